"""``redis_url`` and ``postgres_url``: real servers, started once per session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.coord.servers import create_database, running_postgres, running_redis

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    with running_redis() as url:
        yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with running_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty PostgreSQL database for this test."""
    return create_database(postgres_server, f"coord_{next(_databases)}")
