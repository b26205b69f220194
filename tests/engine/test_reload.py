"""Hot reload under a live conversation: good edits are taken, bad ones refused.

A small content folder of our own (contentkit's), copied per test, so that
edits never touch the repo's content; its trained model is cached by content,
so a template or answer edit reloads without training again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.reload import serving_reloads
from bot.turn import Turn
from tests.harness import Chat, start_app
from tests.unit.contentkit import make_content

FAQ = "responses/faq/shop.yml"
TEMPLATES = "responses/templates.yml"
QUESTION = "How long does delivery take?"
OLD_ANSWER = "Orders arrive in 2 to 4 business days."
NEW_ANSWER = "Orders now arrive the next business day."
OLD_THANKS = "[thanks] Thank you, we will help you."
NEW_THANKS = "[thanks] Much obliged, we will help you."


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    content = make_content(tmp_path / "content")
    app = await start_app(tmp_path, content)
    yield app
    await app.close()


def edit(app: App, rel: str, old: str, new: str) -> None:
    path = app.content.root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def good_edits(app: App) -> None:
    edit(app, FAQ, OLD_ANSWER, NEW_ANSWER)
    edit(app, TEMPLATES, '["[thanks] Thank you', '["[thanks] Much obliged')


def listen(app: App) -> list[str]:
    """What the agents' desk is told (as a live Slack or Telegram desk would show it)."""
    assert app.desk is not None
    notices: list[str] = []

    async def show(text: str) -> None:
        notices.append(text)

    app.desk.notice_listeners.append(show)
    return notices


async def test_a_good_edit_answers_in_the_same_conversation(app: App) -> None:
    chat = Chat(app, user="mina", name="Mina")
    await chat.say(QUESTION)
    assert chat.text == OLD_ANSWER
    before = await app.store.current_conversation(str(chat.key))
    assert before is not None

    good_edits(app)
    result = await app.reload()

    assert result.ok and not result.retrained, result.problems
    await chat.say(QUESTION)
    assert chat.text == NEW_ANSWER
    await chat.say("thanks")
    assert NEW_THANKS in chat.text
    after = await app.store.current_conversation(str(chat.key))
    assert after is not None and after.id == before.id
    assert after.state["answered"] == ["shipping-time", "shipping-time"]
    said = [m.text for m in await chat.recorded() if m.direction == "in"]
    assert said == [QUESTION, QUESTION, "thanks"]


async def test_broken_yaml_is_refused_and_the_last_good_content_keeps_answering(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    notices = listen(app)
    chat = Chat(app, user="jun", name="Jun")
    await chat.say(QUESTION)
    edit(app, FAQ, f'en: "{OLD_ANSWER}"', 'en: "Orders arrive: in 2 to 4 days": oops')

    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        result = await app.reload()

    assert not result.ok
    assert [f"{p.file}:{p.line}" for p in result.problems] == [f"{FAQ}:8"]
    assert f"{FAQ}:8: error: invalid YAML" in caplog.text
    assert len(notices) == 1 and f"{FAQ}:8" in notices[0] and "previous version" in notices[0]
    await chat.say(QUESTION)
    assert chat.text == OLD_ANSWER
    assert len([m for m in await chat.recorded() if m.direction == "in"]) == 2


async def test_content_that_fails_validation_is_refused_with_file_and_line(app: App) -> None:
    notices = listen(app)
    edit(app, FAQ, f'en: "{OLD_ANSWER}"', 'en: "I don\'t know, sorry."')

    result = await app.reload()

    assert not result.ok
    assert [f"{p.file}:{p.line}" for p in result.problems] == [f"{FAQ}:2"]
    assert "don't know" in result.problems[0].message
    assert f"{FAQ}:2" in notices[0]
    chat = Chat(app, user="aoi")
    await chat.say(QUESTION)
    assert chat.text == OLD_ANSWER


async def test_after_a_refusal_the_fixed_content_is_taken(app: App) -> None:
    edit(app, FAQ, f'en: "{OLD_ANSWER}"', 'en: "broken": here')
    assert not (await app.reload()).ok
    edit(app, FAQ, 'en: "broken": here', f'en: "{NEW_ANSWER}"')
    assert (await app.reload()).ok
    chat = Chat(app, user="min")
    await chat.say(QUESTION)
    assert chat.text == NEW_ANSWER


class Gate:
    """A stage that holds its turn until released (a turn caught mid-way by a reload)."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def before(self, turn: Turn) -> None:
        self.entered.set()
        await self.release.wait()

    async def after(self, turn: Turn) -> None:
        return None


async def test_a_turn_in_progress_finishes_on_its_version_and_nobody_waits(app: App) -> None:
    gate = Gate()
    app.engine.stages = (gate, *app.engine.stages)
    held, other = Chat(app, user="held"), Chat(app, user="other")
    good_edits(app)
    turn = asyncio.create_task(held.say("thanks"))
    await asyncio.wait_for(gate.entered.wait(), 5)

    result = await asyncio.wait_for(app.reload(), 10)  # does not wait for the held turn
    await asyncio.wait_for(other.say("thanks"), 10)  # nor does another conversation

    assert result.ok
    assert NEW_THANKS in other.text
    gate.release.set()
    await asyncio.wait_for(turn, 5)
    assert OLD_THANKS in held.text


async def test_the_watcher_reloads_an_edit_and_keeps_a_pid_file(app: App, tmp_path: Path) -> None:
    run = tmp_path / "run"
    chat = Chat(app, user="sora")
    async with serving_reloads(app, command="test", folder=run, watching=True, every=0.05) as r:
        pidfile = next(run.glob("frontdesk-*.json"))
        assert json.loads(pidfile.read_text())["content"] == str(app.content.root)
        good_edits(app)
        for _ in range(200):
            if app.content.faq["shipping-time"].answer["en"] == NEW_ANSWER:
                break
            await asyncio.sleep(0.05)
        await r.idle()
        await chat.say(QUESTION)
        assert chat.text == NEW_ANSWER
        record = json.loads(pidfile.read_text())
        assert record["reloads"] == 1 and record["last"]["ok"] is True
    assert not pidfile.exists()


async def test_requests_during_a_reload_make_one_more_not_one_each(
    app: App, tmp_path: Path
) -> None:
    async with serving_reloads(app, command="test", folder=tmp_path / "run", watching=False) as r:
        r.request("one")
        await asyncio.sleep(0)  # the first reload is under way
        for why in ("two", "three", "four"):
            r.request(why)
        await r.idle()
        assert r.pidfile is not None and r.pidfile.record["reloads"] == 2


NEW_ENTRY = """\
- id: gift-wrap
  questions:
    en: ["Do you offer gift wrapping?", "Can you wrap my order as a present?"]
  answer:
    en: "Yes: tick 'gift wrap' at checkout and we wrap it for free."
    ko: "네, 결제할 때 '선물 포장'을 선택하시면 무료로 포장해 드립니다."
    ja: "はい、ご注文時に「ギフト包装」を選んでいただければ無料でお包みします。"
"""


@pytest.mark.slow
async def test_a_new_faq_entry_is_learned_and_answered_in_the_same_conversation(
    app: App,
) -> None:
    chat = Chat(app, user="hana", name="Hana")
    await chat.say(QUESTION)
    assert chat.text == OLD_ANSWER
    path = app.content.root / FAQ
    path.write_text(path.read_text(encoding="utf-8") + NEW_ENTRY, encoding="utf-8")

    result = await app.reload()

    assert result.ok and result.retrained, result.problems
    await chat.say("Do you offer gift wrapping?")
    assert chat.text == "Yes: tick 'gift wrap' at checkout and we wrap it for free."
    conv = await app.store.current_conversation(str(chat.key))
    assert conv is not None and conv.state["answered"] == ["shipping-time", "gift-wrap"]
