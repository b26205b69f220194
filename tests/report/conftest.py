from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.nlu.encoder import UseEncoder, use_encoder
from bot.store import SqlStore, open_store
from tests.report.seed import seed


@pytest.fixture(scope="session")
def encoder() -> UseEncoder:
    return use_encoder()


def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = await open_store(db_url(tmp_path))
    await seed(store)
    yield store
    await store.close()
