"""The Telegram stand-in itself: it must behave like the Bot API where the bot relies on it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.e2e.telegram_api import FakeTelegram, parse_html

pytestmark = pytest.mark.slow


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    tg: FakeTelegram,
    method: str,
    *,
    token: str | None = None,
    **kw: Any,
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{tg.base_url}{token or tg.token}/{method}", **kw) as response:
        return response.status, await response.json()


async def test_form_and_json_bodies_keep_text_a_string(
    tg: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    mina = tg.user("Mina")
    tg.private(mina)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    form = {"chat_id": str(mina["id"]), "text": "123", "reply_markup": json.dumps(markup)}
    status, body = await call(http, tg, "sendMessage", data=form)
    assert status == 200 and body["result"]["text"] == "123"
    assert body["result"]["reply_markup"] == markup
    status, body = await call(http, tg, "sendMessage", json={"chat_id": mina["id"], "text": "true"})
    assert status == 200 and body["result"]["text"] == "true"
    assert [m["text"] for m in tg.sent(mina)] == ["123", "true"]
    assert tg.counts["sendMessage"] == 2


async def test_errors_look_like_telegram_s(tg: FakeTelegram, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, tg, "getMe", token="123:wrong")
    assert (status, body["ok"], body["error_code"]) == (401, False, 401)
    status, body = await call(http, tg, "noSuchMethod")
    assert status == 404
    status, body = await call(http, tg, "sendMessage", json={"chat_id": 5, "text": "hi"})
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    tg.private(tg.user("Jo", id=5))
    for text in ("<b>unclosed", "1 < 2", "a & b", "<script>x</script>"):
        html = {"chat_id": 5, "text": text, "parse_mode": "HTML"}
        status, body = await call(http, tg, "sendMessage", json=html)
        assert status == 400 and "can't parse entities" in body["description"], text
    status, body = await call(http, tg, "sendMessage", json={"chat_id": 5, "text": "x" * 4097})
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    long_data = {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]}
    payload: dict[str, Any] = {"chat_id": 5, "text": "hi", "reply_markup": long_data}
    status, body = await call(http, tg, "sendMessage", json=payload)
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


def test_html_is_read_as_telegram_reads_it() -> None:
    assert parse_html("<b>Hi</b> &lt;b&gt; &amp; &quot;x&quot; &#39;") == 'Hi <b> & "x" \''


async def test_flood_control_once(tg: FakeTelegram, http: aiohttp.ClientSession) -> None:
    tg.fail_next("getMe", retry_after=3)
    status, body = await call(http, tg, "getMe")
    assert (status, body["parameters"]) == (429, {"retry_after": 3})
    status, body = await call(http, tg, "getMe")
    assert status == 200 and body["result"]["is_bot"] is True
    assert [c.status for c in tg.calls] == [429, 200]


async def test_a_delay_answers_late_for_its_chat_only(
    tg: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    slow, quick = tg.user("Slow"), tg.user("Quick")
    tg.private(slow), tg.private(quick)
    tg.delay("sendChatAction", 0.3, chat=slow)
    for person in (slow, quick):
        status, _ = await call(
            http, tg, "sendChatAction", json={"chat_id": person["id"], "action": "typing"}
        )
        assert status == 200
    late, prompt = tg.called("sendChatAction")
    assert late.answered is not None and late.answered - late.at >= 0.3
    assert prompt.answered is not None and prompt.answered - prompt.at < 0.3


async def test_get_updates_long_polls_and_confirms_by_offset(
    tg: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    status, body = await call(http, tg, "getUpdates", data={"timeout": "1"})
    assert (status, body["result"]) == (200, [])
    assert time.monotonic() - started >= 0.9  # waited for updates that never came

    mina = tg.user("Mina")
    poll = asyncio.create_task(call(http, tg, "getUpdates", data={"timeout": "5"}))
    await tg.wait_for("getUpdates", 2)
    sent = await tg.send_text(mina, "/start")
    started = time.monotonic()
    status, body = await poll
    assert time.monotonic() - started < 1  # answered as soon as the update came
    [update] = body["result"]
    assert update["message"]["message_id"] == sent["message_id"]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert isinstance(update["message"]["date"], int)

    again = await call(http, tg, "getUpdates", data={"offset": str(update["update_id"])})
    assert [u["update_id"] for u in again[1]["result"]] == [update["update_id"]]
    confirmed = await call(http, tg, "getUpdates", data={"offset": str(update["update_id"] + 1)})
    assert confirmed[1]["result"] == []


async def test_webhook_mode(tg: FakeTelegram, http: aiohttp.ClientSession) -> None:
    payload = {"url": "https://bot.example.com/hook", "secret_token": "s3cret"}
    status, _ = await call(http, tg, "setWebhook", data=payload)
    assert status == 200 and tg.webhook["secret_token"] == "s3cret"
    status, _ = await call(http, tg, "getUpdates")
    assert status == 409  # as on Telegram: no polling while a webhook is set
    _, info = await call(http, tg, "getWebhookInfo")
    assert info["result"]["url"] == "https://bot.example.com/hook"
    await call(http, tg, "deleteWebhook")
    assert tg.webhook == {}
