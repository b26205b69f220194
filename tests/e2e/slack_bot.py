"""A bot whose Slack is the stand-in (``tests/e2e/slack_api.py``), and its agents' desk
in the Slack channel :data:`DESK`, driven over Socket Mode::

    async with FakeSlack() as fake:
        app = await build_app(slack_settings(fake, f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}"))
        ...
        await send(fake, dm("can I speak to a human"))
        (note,) = await wait_posts(fake, DESK, 1)
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.app import App
from bot.config import Settings, default_content_dir, load_settings
from tests.e2e.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    Call,
    FakeSlack,
    event_body,
    now_ts,
)

#: The agents' desk channel.
DESK = "C0DESK"


def slack_settings(fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    """Settings on the default content that take ``fake`` for slack.com, with its tokens and
    signing secret (for Socket Mode and for the Events API alike), and ``overrides``."""
    values: dict[str, Any] = {
        "content_dir": default_content_dir(),
        "database_url": database_url,
        "slack_api_base_url": fake.base_url,
        "slack_bot_token": BOT_TOKEN,
        "slack_app_token": APP_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
    }
    return load_settings(environ={}, **(values | overrides))


async def send(fake: FakeSlack, event: dict[str, Any]) -> None:
    """Deliver an event over Socket Mode; returns once the bot acknowledged it."""
    await fake.wait_ack(await fake.send_envelope("events_api", event_body(event)))


def posts_to(fake: FakeSlack, channel: str) -> list[Call]:
    """The messages the bot posted in ``channel`` so far."""
    return [c for c in fake.posts if c.args.get("channel") == channel]


async def wait_posts(fake: FakeSlack, channel: str, count: int) -> list[Call]:
    """The bot's posts in ``channel``, once there are ``count`` of them."""
    return await fake.wait_until(lambda: posts_to(fake, channel), count, what=f"posts to {channel}")


def in_thread(text: str, ts: str, *, user: str = "U0SORA") -> dict[str, Any]:
    """An agent's message in the desk thread of the note posted at ``ts``."""
    now = now_ts()
    return {
        "type": "message",
        "channel": DESK,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": now,
        "event_ts": now,
        "thread_ts": ts,
        "team": TEAM,
    }


async def ticket_ts(app: App) -> str:
    """The ``ts`` of ticket T1's note, as the desk saved it on the ticket."""
    assert app.desk is not None
    for _ in range(100):
        ticket = await app.desk.repository.get(1)
        ts = (ticket.desk_refs.get("slack") or {}).get("ts") if ticket else None
        if ts:
            return str(ts)
        await asyncio.sleep(0.02)
    raise AssertionError("the note's ts was never saved")
