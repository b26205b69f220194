from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from tests.harness import Chat, start_app


@pytest.fixture
async def app(tmp_path: Path, database_url: str) -> AsyncIterator[App]:
    """The default content's app, once on SQLite and once on PostgreSQL."""
    app = await start_app(tmp_path, url=database_url)
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app, user="mina", name="Mina")
