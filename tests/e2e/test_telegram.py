"""The Telegram channel end to end: real python-telegram-bot, real HTTP, a fake Telegram.

Each test starts ``serve_telegram`` against :class:`FakeTelegram` on 127.0.0.1,
plays customers by delivering updates (long polling, or POSTs to the bot's
webhook), and reads what the bot sent back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import App, build_app
from bot.channels import telegram as channel
from bot.channels.telegram import TYPING_DELAY, serve_telegram
from bot.channels.telegram_render import split_text
from bot.config import default_content_dir, load_settings
from bot.content.scaffold import init
from bot.errors import ConfigError
from tests.e2e.telegram_api import FakeTelegram
from tests.servers import PROXY_VARS, free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_proxy")]

SECRET = "test-webhook-secret_1"


@dataclass
class Running:
    """A frontdesk answering on the fake Telegram."""

    tg: FakeTelegram
    app: App
    mode: str

    def said(self, template: str, lang: str, name: str | None = None) -> set[str]:
        """Every text the ``template`` can render to in ``lang`` for ``name``."""
        renderer = self.app.engine.renderer
        company = renderer.render("company_name", lang)
        variants = self.app.content.templates[template].variants[lang]
        return {v.replace("{name}", name or "").replace("{company}", company) for v in variants}

    def answer(self, faq_id: str, lang: str = "en") -> str:
        return self.app.content.faq[faq_id].answer[lang]

    async def stored(self, key: str) -> list[Any]:
        conv = await self.app.store.current_conversation(key)
        assert conv is not None, f"no conversation {key}"
        return await self.app.store.messages(conv.id)


@asynccontextmanager
async def running(
    tg: FakeTelegram, tmp_path: Path, mode: str, content: Path | None = None
) -> AsyncIterator[Running]:
    settings = load_settings(
        environ={},
        content_dir=content or default_content_dir(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
        telegram_api_base_url=tg.base_url,
        telegram_bot_token=tg.token,
        telegram_webhook_secret=SECRET,
    )
    app = await build_app(settings)
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/telegram" if mode == "webhook" else None
    task = asyncio.create_task(
        serve_telegram(
            app, settings, webhook_url=webhook, host="127.0.0.1", port=port, poll_timeout=1
        )
    )
    try:
        await tg.wait_for("setWebhook" if webhook else "getUpdates")
        yield Running(tg, app, mode)
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await app.close()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture(params=["polling", "webhook"])
async def bot(
    request: pytest.FixtureRequest, tg: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Running]:
    async with running(tg, tmp_path, request.param) as serving:
        yield serving


# --- a small content folder for exact behaviour ----------------------------------------

LONG_PARAGRAPH = " ".join(
    f"Sentence {n} of our long story about books and readers." for n in range(20)
)
WRAP = {
    "en": ["Do you gift wrap books in paper?"],
    "ko": ["책을 종이로 선물 포장해 주나요?"],
    "ja": ["本を紙でギフト包装できますか？"],
}


def _entry(faq_id: str, questions: dict[str, list[str]], answer: str) -> dict[str, Any]:
    return {
        "id": faq_id,
        "questions": questions,
        "answer": dict.fromkeys(("en", "ko", "ja"), answer),
    }


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The built-in intents and templates, a greeting that always names the customer,
    two near-identical FAQ entries (so a question about them is clarified) and one
    with an answer longer than a Telegram message."""
    folder = tmp_path / "content"
    init(folder, source=default_content_dir())
    templates = folder / "responses" / "templates.yml"
    data = yaml.safe_load(templates.read_text(encoding="utf-8"))
    data["responses"]["greet"] = {
        "en": ["Hello {name}! How can I help?"],
        "ko": ["안녕하세요 {name}님! 무엇을 도와드릴까요?"],
        "ja": ["{name}様、こんにちは！"],
    }
    templates.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    box = {lang: [q.replace("paper", "a box") for q in qs] for lang, qs in WRAP.items()}
    box["ko"], box["ja"] = ["책을 상자로 선물 포장해 주나요?"], ["本を箱でギフト包装できますか？"]
    hours = {
        "en": ["What are your opening hours?", "When are you open?"],
        "ko": ["영업시간이 어떻게 되나요?"],
        "ja": ["営業時間を教えてください"],
    }
    faq = [
        _entry("opening-hours", hours, "We're open 9:00–18:00, Monday to Friday."),
        _entry("wrap-paper", WRAP, "Yes — we wrap books in recycled paper for $3."),
        _entry("wrap-box", box, "Yes — a gift box costs $5."),
        _entry(
            "our-story",
            {
                "en": ["Tell me the whole history of your company"],
                "ko": ["회사 역사"],
                "ja": ["会社の歴史"],
            },
            "\n\n".join([LONG_PARAGRAPH] * 8),
        ),
    ]
    faq_file = folder / "responses" / "faq" / "example.yml"
    faq_file.write_text(yaml.safe_dump({"faq": faq}, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture(params=["polling", "webhook"])
async def small(
    request: pytest.FixtureRequest, tg: FakeTelegram, tmp_path: Path, content: Path
) -> AsyncIterator[Running]:
    async with running(tg, tmp_path, request.param, content) as serving:
        yield serving


# --- greeting, /start, /help ------------------------------------------------------------


async def test_greeting_in_each_language(bot: Running) -> None:
    tg = bot.tg
    people = {
        "en": (tg.user("Mina", "Kim", language_code="en"), "hello"),
        "ko": (tg.user("민아", language_code="ko"), "안녕하세요"),
        "ja": (tg.user("美奈", language_code="ja"), "こんにちは"),
    }
    for person, text in people.values():
        await tg.send_text(person, text)
    for lang, (person, _) in people.items():
        [reply] = await tg.replies(person)
        name = " ".join(filter(None, (person["first_name"], person.get("last_name"))))
        assert reply["text"] in bot.said("greet", lang, name)


async def test_the_greeting_uses_the_customer_s_name(small: Running) -> None:
    tg = small.tg
    for lang, person, text in (
        ("en", tg.user("Mina", "Kim"), "hello"),
        ("ko", tg.user("민아", language_code="ko"), "안녕하세요"),
        ("ja", tg.user("美奈", language_code="ja"), "こんにちは"),
    ):
        await tg.send_text(person, text)
        [reply] = await tg.replies(person)
        name = " ".join(filter(None, (person["first_name"], person.get("last_name"))))
        assert reply["text"] == small.said("greet", lang, name).pop()
        assert name in reply["text"]


async def test_start_greets_in_the_app_language_and_help_explains(small: Running) -> None:
    tg = small.tg
    yuki = tg.user("Yuki", language_code="ja")
    await tg.send_text(yuki, "/start")
    [greeting] = await tg.replies(yuki)
    assert greeting["text"] == "Yuki様、こんにちは！"
    await tg.send_text(yuki, "/help")
    [help_] = await tg.replies(yuki)
    company = small.app.engine.renderer.render("company_name", "ja")
    assert "アシスタント" in help_["text"] and company in help_["text"]
    assert set(tg.commands) == {"", "ko", "ja"}  # the command menu, in each language
    assert [c["command"] for c in tg.commands["ko"]] == ["start", "help"]


async def test_help_before_any_conversation_uses_the_app_language(bot: Running) -> None:
    tg = bot.tg
    minho = tg.user("Minho", language_code="ko")
    await tg.send_text(minho, "/help")
    [reply] = await tg.replies(minho)
    assert "도우미" in reply["text"]


# --- answers, buttons, feedback -----------------------------------------------------------


async def test_a_quick_faq_answer_comes_without_typing(bot: Running) -> None:
    tg = bot.tg
    mina = tg.user("Mina")
    await tg.send_text(mina, "How long does delivery take?")
    [reply] = await tg.replies(mina)
    assert reply["text"] == bot.answer("shipping-time")
    await asyncio.sleep(TYPING_DELAY)  # a "typing…" left behind would come by now
    assert [
        c for c in tg.called("sendChatAction", ok=False) if c.params["chat_id"] == mina["id"]
    ] == []
    [record] = [m for m in await bot.stored(f"telegram:{mina['id']}") if m.direction == "in"]
    assert (record.text, record.kind, record.faq_id) == (
        "How long does delivery take?",
        "text",
        "shipping-time",
    )


async def _asks_about_delivery(bot: Running, person: dict[str, Any]) -> dict[str, Any]:
    """``person`` asks how long delivery takes and gets the FAQ answer; returns ``person``."""
    await bot.tg.send_text(person, "How long does delivery take?")
    [reply] = await bot.tg.replies(person)
    assert reply["text"] == bot.answer("shipping-time")
    return person


async def test_typing_shows_before_the_reply_when_it_is_due_at_once(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel, "TYPING_DELAY", 0)
    tg = bot.tg
    mina = await _asks_about_delivery(bot, tg.user("Mina"))
    [typing] = [c for c in tg.called("sendChatAction") if c.params["chat_id"] == mina["id"]]
    assert typing.params["action"] == "typing"
    [sent] = [c for c in tg.called("sendMessage") if c.params["chat_id"] == mina["id"]]
    assert typing.at <= sent.at


async def test_a_typing_on_its_way_lands_before_the_reply(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel, "TYPING_DELAY", 0)
    tg = bot.tg
    mina = tg.user("Mina")
    tg.delay("sendChatAction", 0.3, chat=mina)  # Telegram is slow to take the "typing…"
    await _asks_about_delivery(bot, mina)
    [typing] = [c for c in tg.called("sendChatAction") if c.params["chat_id"] == mina["id"]]
    [sent] = [c for c in tg.called("sendMessage") if c.params["chat_id"] == mina["id"]]
    assert typing.answered is not None and typing.answered <= sent.at


async def test_a_failed_typing_is_not_retried_and_costs_no_reply(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel, "TYPING_DELAY", 0)
    tg = bot.tg
    mina = tg.user("Mina")
    tg.fail_next("sendChatAction", status=400, description="Bad Request: not enough rights")
    await _asks_about_delivery(bot, mina)
    typing = [c for c in tg.called("sendChatAction", ok=False) if c.params["chat_id"] == mina["id"]]
    assert [c.status for c in typing] == [400]


async def test_an_edited_question_is_answered_again(bot: Running) -> None:
    tg = bot.tg
    mina = tg.user("Mina")
    first = await tg.send_text(mina, "hello")
    await tg.replies(mina)
    await tg.edit(first, "How long does delivery take?")
    [reply] = await tg.replies(mina)
    assert reply["text"] == bot.answer("shipping-time")
    kinds = [m.kind for m in await bot.stored(f"telegram:{mina['id']}") if m.direction == "in"]
    assert kinds == ["text", "edit"]


async def test_a_clarifying_question_answered_by_a_button(small: Running) -> None:
    tg = small.tg
    mina = tg.user("Mina")
    await tg.send_text(mina, "gift wrap books?")
    [question] = await tg.replies(mina)
    rows = question["reply_markup"]["inline_keyboard"]
    assert all(len(row) == 1 for row in rows)  # one choice per row
    payloads = [row[0]["callback_data"] for row in rows]
    assert {"faq:wrap-paper", "faq:wrap-box"} <= set(payloads) and payloads[-1] == "else"
    label = next(row[0]["text"] for row in rows if row[0]["callback_data"] == "faq:wrap-box")

    update = await tg.press(mina, question, "faq:wrap-box")
    [answer] = await tg.replies(mina)
    assert answer["text"] == small.answer("wrap-box")
    [answered] = await tg.wait_for("answerCallbackQuery")
    assert answered.params["callback_query_id"] == update["callback_query"]["id"]
    [edit] = await tg.wait_for("editMessageText")
    shown = tg.messages[(mina["id"], question["message_id"])]
    assert shown["text"].endswith(f"✓ {label}") and "reply_markup" not in shown
    assert edit.params["message_id"] == question["message_id"]

    await tg.press(mina, question, "faq:wrap-paper")  # a double tap on the old keyboard
    await tg.wait_for("answerCallbackQuery", 2)  # is answered, but not acted on
    await asyncio.sleep(0.2)
    assert len(tg.sent(mina)) == 2


async def test_an_unknown_button_is_answered_politely(bot: Running) -> None:
    tg = bot.tg
    mina = tg.user("Mina")
    await tg.send_text(mina, "hello")
    [greeting] = await tg.replies(mina)
    await tg.press(mina, greeting, "#stale-short-id")
    [reply] = await tg.replies(mina)
    assert reply["text"] in bot.said("unknown_button", "en")
    await tg.wait_for("answerCallbackQuery")


async def test_feedback_buttons(small: Running) -> None:
    bot, tg = small, small.tg
    mina = tg.user("Mina")
    await tg.send_text(mina, "What are your opening hours?")
    [answer] = await tg.replies(mina)
    assert answer["text"] == bot.answer("opening-hours")
    await tg.send_text(mina, "thanks!")
    thanks, ask = await tg.replies(mina, 2)
    assert thanks["text"] in bot.said("thanks", "en", "Mina")
    assert ask["text"] in bot.said("feedback_ask", "en")
    [row] = ask["reply_markup"]["inline_keyboard"]  # the five ratings on one row
    assert [b["callback_data"] for b in row] == [f"feedback:{n}" for n in range(1, 6)]

    await tg.press(mina, ask, "feedback:5")
    [reply] = await tg.replies(mina)
    assert reply["text"] in bot.said("feedback_thanks", "en", "Mina")
    await tg.wait_for("answerCallbackQuery")
    conv = await bot.app.store.current_conversation(f"telegram:{mina['id']}")
    assert conv is not None and await bot.app.store.feedback(conv.id) == [5]


# --- what the bot cannot read, what must not break it -------------------------------------


async def test_stickers_and_photos_get_the_polite_non_text_reply(bot: Running) -> None:
    tg = bot.tg
    mina = tg.user("Mina")
    await tg.send_media(mina, "sticker")
    [reply] = await tg.replies(mina)
    assert reply["text"] in bot.said("non_text", "en")
    await tg.send_media(mina, "photo", caption="my parcel arrived like this")
    [reply] = await tg.replies(mina)
    assert reply["text"] in bot.said("non_text", "en")
    stored = [
        (m.kind, m.text) for m in await bot.stored(f"telegram:{mina['id']}") if m.direction == "in"
    ]
    assert stored == [("sticker", ""), ("photo", "my parcel arrived like this")]


async def test_markup_from_the_customer_is_shown_literally(small: Running) -> None:
    tg = small.tg
    spoofer = tg.user("<b>Mina</b>", "_x_ &amp;")
    await tg.send_text(spoofer, "hello <b>hi</b> _x_")
    [reply] = await tg.replies(spoofer)
    assert reply["text"] == "Hello <b>Mina</b> _x_ &amp;! How can I help?"
    assert reply["html"] == "Hello &lt;b&gt;Mina&lt;/b&gt; _x_ &amp;amp;! How can I help?"
    [call] = [c for c in tg.called("sendMessage") if c.params["chat_id"] == spoofer["id"]]
    assert call.params["parse_mode"] == "HTML"


async def test_a_long_answer_is_split(small: Running) -> None:
    tg = small.tg
    mina = tg.user("Mina")
    await tg.send_text(mina, "Tell me the whole history of your company")
    answer = small.answer("our-story")
    assert len(answer) > 4096
    count = len(split_text(answer))
    assert count >= 2
    parts = await tg.replies(mina, count)
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert "\n\n".join(p["text"] for p in parts) == answer  # split between paragraphs
    await asyncio.sleep(0.1)
    assert len(tg.sent(mina)) == count


# --- groups ---------------------------------------------------------------------------------


async def test_in_a_group_only_messages_for_the_bot_are_answered(small: Running) -> None:
    bot, tg = small, small.tg
    group = tg.group()
    jo, mina = tg.user("Jo"), tg.user("Mina")
    await tg.send_text(jo, "What are your opening hours?", chat=group)  # not for the bot
    asked = await tg.send_text(
        mina, f"@{tg.bot['username']} What are your opening hours?", chat=group
    )
    [reply] = await tg.replies(group)
    assert reply["text"] == bot.answer("opening-hours")
    assert reply["reply_to"] == asked["message_id"]  # quotes who it answers
    follow_up = await tg.send_text(mina, "thanks", chat=group, reply_to=reply)  # a reply to it
    replies = await tg.replies(group, 2)
    assert replies[0]["text"] in bot.said("thanks", "en", "Mina")
    assert replies[0]["reply_to"] == follow_up["message_id"]
    assert await bot.app.store.current_conversation(f"telegram:{group['id']}:{jo['id']}") is None
    assert len(tg.sent(group)) == 3


# --- the webhook secret, retries -------------------------------------------------------------


async def test_a_wrong_webhook_secret_is_rejected(tg: FakeTelegram, tmp_path: Path) -> None:
    async with running(tg, tmp_path, "webhook") as bot:
        assert tg.webhook["secret_token"] == SECRET
        mina = tg.user("Mina")
        update = {"update_id": 999, "message": tg.message(mina, "hello")}
        assert await tg.post_webhook(update, secret="wrong") == 403
        assert await tg.post_webhook(update, secret=None) == 403
        assert await tg.post_webhook(update, secret=SECRET[:-1] + "X") == 403
        await asyncio.sleep(0.2)
        assert tg.sent(mina) == []
        assert await bot.app.store.current_conversation(f"telegram:{mina['id']}") is None
        assert await tg.post_webhook(update) == 200
        [reply] = await tg.replies(mina)
        assert reply["text"] in bot.said("greet", "en", "Mina")


async def test_flood_control_is_honoured_and_the_reply_sent_once(small: Running) -> None:
    bot, tg = small, small.tg
    mina = tg.user("Mina")
    tg.fail_next("sendMessage", status=429, retry_after=1)
    started = time.monotonic()
    await tg.send_text(mina, "What are your opening hours?")
    [reply] = await tg.replies(mina)
    assert time.monotonic() - started >= 1.0  # waited as told
    assert reply["text"] == bot.answer("opening-hours")
    assert [c.status for c in tg.calls if c.method == "sendMessage"] == [429, 200]
    await asyncio.sleep(0.2)
    assert len(tg.sent(mina)) == 1


# --- configuration and the command line ------------------------------------------------------


async def test_token_and_secret_problems_are_one_line_errors(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    settings = load_settings(
        environ={},
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
        telegram_api_base_url=tg.base_url,
        telegram_bot_token=tg.token,
    )
    app = await build_app(settings)
    hook = f"http://127.0.0.1:{free_port()}/telegram"
    try:
        for token, secret, webhook, message in (
            ("", "", None, "TELEGRAM_BOT_TOKEN is missing"),
            ("not a token", "", None, "TELEGRAM_BOT_TOKEN is malformed"),
            ("123:revoked", "", None, "TELEGRAM_BOT_TOKEN was rejected"),
            (tg.token, "", hook, "TELEGRAM_WEBHOOK_SECRET is missing"),
            (tg.token, "a b", hook, "TELEGRAM_WEBHOOK_SECRET is malformed"),
        ):
            with pytest.raises(ConfigError, match=message):
                await serve_telegram(
                    app,
                    replace(settings, telegram_bot_token=token, telegram_webhook_secret=secret),
                    webhook_url=webhook,
                    host="127.0.0.1",
                    port=free_port(),
                )
    finally:
        await app.close()


async def test_frontdesk_run_telegram_answers_with_the_example_content(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDESK_", "TELEGRAM_"))}
    for var in PROXY_VARS:
        env.pop(var, None)
        env.pop(var.lower(), None)
    env |= {
        "FRONTDESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "telegram",
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(60):
            line = await proc.stderr.readline()
        assert b"answering by long polling" in line, line
        mina = tg.user("Mina")
        await tg.send_text(mina, "How long does delivery take?")
        [reply] = await tg.replies(mina, within=10)
        assert reply["text"] == default_answer("shipping-time")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C: stop taking updates, finish, exit
        async with asyncio.timeout(15):
            rest = await proc.stderr.read()
            code = await proc.wait()
    assert code == 130, rest.decode()
    assert b"Traceback" not in rest, rest.decode()


def default_answer(faq_id: str, lang: str = "en") -> str:
    from bot.content import load_content

    return load_content(default_content_dir()).faq[faq_id].answer[lang]
