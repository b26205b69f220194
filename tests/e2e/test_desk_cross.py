"""Either desk for either platform: a Telegram customer handled from the Slack desk."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import suppress
from pathlib import Path

import pytest

from bot.app import build_app
from bot.channels.slack import serve_slack
from bot.channels.telegram import serve_telegram
from bot.config import default_content_dir, load_settings
from bot.handoff.settings import DeskSettings
from tests.e2e.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack, block_actions
from tests.e2e.telegram_api import FakeTelegram
from tests.e2e.test_desk_slack import DESK, in_thread, send, ticket_ts, wait_posts

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)


async def test_a_telegram_customer_served_from_the_slack_desk(tmp_path: Path) -> None:
    async with FakeSlack() as slack, FakeTelegram() as tg:
        slack.add_user("U0SORA", "Sora")
        settings = load_settings(
            environ={},
            content_dir=default_content_dir(),
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
            slack_api_base_url=slack.base_url,
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            telegram_api_base_url=tg.base_url,
            telegram_bot_token=tg.token,
        )
        app = await build_app(settings)
        assert app.desk is not None
        where = DeskSettings(platform="slack", channel=DESK)
        app.desk.settings = dataclasses.replace(app.desk.settings, desk=where)
        tasks = [
            asyncio.create_task(serve_slack(app, settings, http_port=None, host="127.0.0.1")),
            asyncio.create_task(
                serve_telegram(
                    app, settings, webhook_url=None, host="127.0.0.1", port=0, poll_timeout=1
                )
            ),
        ]
        try:
            await slack.wait_connected()
            await tg.wait_for("getUpdates")
            mina = tg.user("Mina")
            await tg.send_text(mina, "I want a human agent")
            await tg.replies(mina, 2)
            (note,) = await wait_posts(slack, DESK, 1)
            assert "telegram" in note.args["text"]
            payload = block_actions(note, 0, user="U0SORA", response_url=slack.response_url())
            await slack.wait_ack(await slack.send_envelope("interactive", payload))
            (joined,) = await tg.replies(mina)
            assert "Sora" in joined["text"]
            await send(slack, in_thread("Hello Mina, Sora here.", await ticket_ts(app)))
            (sent,) = await tg.replies(mina)
            assert sent["text"] == "Hello Mina, Sora here."
        finally:
            for task in tasks:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await app.close()
