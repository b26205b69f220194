"""Fixtures shared by every test folder: real PostgreSQL and Redis servers on loopback.

The servers start once per session, on first use, and stop at its end. Each test
gets an empty PostgreSQL namespace (``postgres_url``) and an empty Redis
(``redis_url``). ``database_url`` runs a test once on SQLite and once on PostgreSQL.
Missing binaries skip these tests, or fail them under ``FRONTDESK_REQUIRE_SERVERS=1``.
Tests that talk to a platform stand-in on 127.0.0.1 use ``no_proxy``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import (
    PROXY_VARS,
    Postgres,
    Redis,
    ServerUnavailable,
    required,
    running_postgres,
    running_redis,
)


def _unavailable(exc: ServerUnavailable) -> None:
    if required():
        pytest.fail(f"{exc} (FRONTDESK_REQUIRE_SERVERS is set)", pytrace=False)
    pytest.skip(str(exc))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The session's PostgreSQL cluster."""
    try:
        with running_postgres() as server:
            yield server
    except ServerUnavailable as exc:
        _unavailable(exc)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    """The session's redis-server."""
    try:
        with running_redis() as server:
            yield server
    except ServerUnavailable as exc:
        _unavailable(exc)


@pytest.fixture
def postgres_url(postgres: Postgres) -> str:
    """An empty PostgreSQL namespace of this test's own (``postgresql+asyncpg://…``).

    A role owning a schema of the same name, not a database: ``CREATE DATABASE`` copies
    a template and costs about a second, this a few milliseconds. Need a real database?
    Call ``postgres.create_database()``.
    """
    return postgres.create_schema()


@pytest.fixture
def redis_url(redis_server: Redis) -> str:
    """The session's Redis, emptied for this test (``redis://127.0.0.1:<port>/0``)."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy settings in the environment: the stand-ins on 127.0.0.1 are reached directly."""
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
