"""The report tests' database: a SQLite file, and PostgreSQL where the test servers exist.

``postgres_url`` comes from the shared PostgreSQL fixtures (``tests/conftest.py``);
where they are not available the PostgreSQL case is skipped.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.nlu.encoder import UseEncoder, use_encoder
from bot.store import SqlStore, open_store
from tests.report.seed import seed


@pytest.fixture(scope="session")
def encoder() -> UseEncoder:
    model = use_encoder()
    model.encode(["warm up"])
    return model


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    try:
        return str(request.getfixturevalue("postgres_url"))
    except pytest.FixtureLookupError:
        pytest.skip("no PostgreSQL test server fixture (postgres_url) in this checkout")


@pytest.fixture
async def store(url: str) -> AsyncIterator[SqlStore]:
    """The seeded store (see ``tests/report/seed.py``)."""
    store = await open_store(url)
    await seed(store)
    yield store
    await store.close()
