"""The agents' desk in a Telegram group, end to end on the fake Bot API.

A customer in a private chat is handed off; the note shows up in the desk
group with a Claim button; agents claim (one wins), reply to the ticket's
messages, keep internal notes, and resolve — the customer sees exactly what
they should.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.channels.telegram import TYPING_DELAY, serve_telegram
from bot.config import default_content_dir, load_settings
from bot.handoff.settings import DeskSettings
from bot.handoff.telegram_desk import NOT_IN_GROUP
from tests.e2e.telegram_api import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_proxy")]


@dataclass
class Desk:
    tg: FakeTelegram
    app: App
    group: dict[str, Any]
    sora: dict[str, Any]
    bo: dict[str, Any]


@asynccontextmanager
async def serving(tmp_path: Path, *, members: tuple[str, ...] = ()) -> AsyncIterator[Desk]:
    async with FakeTelegram() as tg:
        settings = load_settings(
            environ={},
            content_dir=default_content_dir(),
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
            telegram_api_base_url=tg.base_url,
            telegram_bot_token=tg.token,
        )
        app = await build_app(settings)
        group = tg.group("Support desk")
        sora, bo = tg.user("Sora", id=501), tg.user("Bo", id=502)
        assert app.desk is not None
        where = DeskSettings(platform="telegram", channel=str(group["id"]), agents=members)
        app.desk.settings = dataclasses.replace(app.desk.settings, desk=where)
        task = asyncio.create_task(
            serve_telegram(
                app, settings, webhook_url=None, host="127.0.0.1", port=0, poll_timeout=1
            )
        )
        try:
            await tg.wait_for("getUpdates")
            yield Desk(tg, app, group, sora, bo)
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await app.close()


async def note_shows(tg: FakeTelegram, group: dict[str, Any], text: str) -> None:
    """Wait until the first desk message (the note) shows ``text``."""
    await tg.wait_until(lambda: [1] if text in tg.sent(group)[0]["text"] else [], what=text)


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_claim_relay_note_and_resolve_from_a_telegram_group(tmp_path: Path) -> None:
    async with serving(tmp_path) as d:
        tg = d.tg
        mina = tg.user("Mina", username="mina")
        await tg.send_text(mina, "can I speak to a human")
        told = await tg.replies(mina, 2)
        assert "expected wait" in told[1]["text"]
        (note,) = await tg.replies(d.group)
        assert note["text"].startswith("🎫 Ticket T1") and "Mina" in note["text"]
        assert buttons(note) == ["desk:claim:T1"]

        await tg.send_text(mina, "my order #777 is late")
        (relayed,) = await tg.replies(d.group)
        assert relayed["text"] == "T1 · 👤 my order #777 is late"
        assert relayed["reply_to"] == note["message_id"]

        await tg.press(d.sora, note, "desk:claim:T1")
        (joined,) = await tg.replies(mina)
        assert "Sora" in joined["text"]
        await note_shows(tg, d.group, "claimed by Sora")
        note = tg.sent(d.group)[0]
        assert buttons(note) == ["desk:return:T1", "desk:resolve:T1"]

        await tg.press(d.bo, note, "desk:claim:T1")
        await tg.wait_for("answerCallbackQuery", 2)
        loser = tg.called("answerCallbackQuery")[-1].params
        assert "already claimed" in loser["text"]

        await tg.send_text(d.sora, "// checking the warehouse", chat=d.group, reply_to=relayed)
        await tg.send_text(d.sora, "lunch anyone?", chat=d.group)
        await tg.send_text(d.sora, "Hi Mina, it ships today.", chat=d.group, reply_to=relayed)
        (sent,) = await tg.replies(mina)
        assert sent["text"] == "Hi Mina, it ships today."  # no note, no chatter before it

        await tg.send_text(d.sora, "/resolve T1", chat=d.group)
        (resolved,) = await tg.replies(mina)
        assert "resolved" in resolved["text"]
        assert buttons(resolved)[-1].endswith("5")
        await note_shows(tg, d.group, "T1 resolved")


async def test_a_non_member_cannot_claim(tmp_path: Path) -> None:
    async with serving(tmp_path, members=("501",)) as d:
        tg = d.tg
        jo = tg.user("Jo")
        await tg.send_text(jo, "I want a human agent")
        (note,) = await tg.replies(d.group)
        await tg.press(d.bo, note, "desk:claim:T1")
        await tg.wait_for("answerCallbackQuery")
        assert "not a member" in tg.called("answerCallbackQuery")[-1].params["text"]
        await tg.send_text(d.bo, "/claim T1", chat=d.group)
        (refused,) = await tg.replies(d.group)
        assert "not a member" in refused["text"]
        await tg.press(d.sora, note, "desk:claim:T1")
        joined = (await tg.replies(jo, 3))[-1]
        assert "Sora" in joined["text"]


async def test_a_press_from_outside_the_group_is_refused_privately(tmp_path: Path) -> None:
    async with serving(tmp_path, members=("@sora_k", "502")) as d:
        tg = d.tg
        outsider = tg.user("Eve", username="eve", id=666)
        tg.outsiders.add((d.group["id"], 666))  # Eve is not in the group (a public one)
        tg.outsiders.add((d.group["id"], 502))  # Bo is on the list but has left the group
        jo = tg.user("Jo")
        await tg.send_text(jo, "I want a human agent")
        (note,) = await tg.replies(d.group)
        for person in (outsider, d.bo):
            await tg.press(person, note, "desk:claim:T1")
        await tg.wait_for("answerCallbackQuery", 2)
        for answer in tg.called("answerCallbackQuery"):
            assert answer.params["text"] == NOT_IN_GROUP
            assert answer.params["show_alert"] in (True, "true", "True")
        assert d.app.desk is not None
        ticket = await d.app.desk.repository.get(1)
        assert ticket is not None and ticket.status == "queued"
        await tg.wait_until(lambda: tg.sent(jo), 2, what="replies")  # sent from the outbox
        assert len(tg.sent(jo)) == 2  # and only those: nothing reached Jo
        assert len(tg.sent(d.group)) == 1  # no refusal shown to the group

        sora = tg.user("Sora", username="Sora_K", id=503)  # on the list by @username
        await tg.press(sora, note, "desk:claim:T1")
        joined = (await tg.replies(jo, 3))[-1]
        assert "Sora" in joined["text"]


async def test_a_slow_handoff_shows_typing_before_its_replies(tmp_path: Path) -> None:
    async with serving(tmp_path) as d:
        tg = d.tg
        tg.delay("sendMessage", TYPING_DELAY + 0.5, chat=d.group)  # the desk group is slow
        mina = tg.user("Mina")
        await tg.send_text(mina, "can I speak to a human")
        told = await tg.replies(mina, 2)
        assert "expected wait" in told[1]["text"]
        [typing] = [c for c in tg.called("sendChatAction") if c.params["chat_id"] == mina["id"]]
        assert typing.params["action"] == "typing"
        sent = [c for c in tg.called("sendMessage") if c.params["chat_id"] == mina["id"]]
        assert typing.answered is not None and all(typing.answered <= s.at for s in sent)
