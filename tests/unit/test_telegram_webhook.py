"""The Telegram webhook endpoint: only requests carrying the secret become updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, Update

from bot.channels.telegram_webhook import SECRET_HEADER, WebhookServer, secret_ok

SECRET = "s3cret_-token"
UPDATE = {
    "update_id": 7,
    "message": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Mina"},
        "text": "hello",
    },
}


@pytest.mark.parametrize(
    ("given", "ok"),
    [
        (SECRET, True),
        (None, False),
        ("", False),
        ("s3cret_-toke", False),  # a prefix
        ("s3cret_-tokeN", False),  # same length, last character wrong
        (SECRET + "x", False),
        ("ß3cret_-token", False),  # non-ASCII never raises
    ],
)
def test_the_secret_must_match_exactly(given: str | None, ok: bool) -> None:
    assert secret_ok(given, SECRET) is ok


def test_an_empty_expected_secret_matches_nothing() -> None:
    assert not secret_ok("", "") and not secret_ok("x", "")
    with pytest.raises(ValueError, match="needs a secret"):
        WebhookServer(Bot("1:x"), asyncio.Queue().put, path="/tg", secret="")


@pytest.fixture
async def served(unused_tcp_port: int) -> AsyncIterator[tuple[str, asyncio.Queue[object]]]:
    queue: asyncio.Queue[object] = asyncio.Queue()
    server = WebhookServer(Bot("123:abc"), queue.put, path="/telegram", secret=SECRET)
    await server.start("127.0.0.1", unused_tcp_port)
    yield f"http://127.0.0.1:{unused_tcp_port}/telegram", queue
    await server.stop()


async def post(url: str, body: object, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers) as response,
    ):
        return response.status


@pytest.mark.slow
async def test_only_a_request_with_the_secret_is_queued(
    served: tuple[str, asyncio.Queue[object]],
) -> None:
    url, queue = served
    assert await post(url, UPDATE, {}) == 403
    assert await post(url, UPDATE, {SECRET_HEADER: "wrong"}) == 403
    assert await post(url, UPDATE, {SECRET_HEADER: SECRET[:-1] + "X"}) == 403
    assert queue.empty()
    assert await post(url, UPDATE, {SECRET_HEADER: SECRET}) == 200
    update = queue.get_nowait()
    assert isinstance(update, Update) and update.update_id == 7
    assert update.message is not None and update.message.text == "hello"


@pytest.mark.slow
async def test_a_body_that_is_not_an_update_is_refused(
    served: tuple[str, asyncio.Queue[object]],
) -> None:
    url, queue = served
    assert await post(url, ["not", "an", "update"], {SECRET_HEADER: SECRET}) == 400
    assert queue.empty()


@pytest.mark.slow
async def test_an_update_that_could_not_be_kept_is_answered_500(unused_tcp_port: int) -> None:
    async def refuse(update: Update) -> None:
        raise OSError("the database is down")

    server = WebhookServer(Bot("123:abc"), refuse, path="/telegram", secret=SECRET)
    await server.start("127.0.0.1", unused_tcp_port)
    try:
        url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
        assert await post(url, UPDATE, {SECRET_HEADER: SECRET}) == 500
    finally:
        await server.stop()
