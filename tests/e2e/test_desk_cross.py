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
from bot.handoff.settings import DeskSettings
from tests.e2e.slack_api import FakeSlack, block_actions
from tests.e2e.slack_bot import DESK, in_thread, send, slack_settings, ticket_ts, wait_posts
from tests.e2e.telegram_api import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_proxy")]


async def test_a_telegram_customer_served_from_the_slack_desk(tmp_path: Path) -> None:
    async with FakeSlack() as slack, FakeTelegram() as tg:
        slack.add_user("U0SORA", "Sora")
        settings = slack_settings(
            slack,
            f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
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
