"""PTB's requests over aiohttp: what reaches the Bot API, and PTB's errors when it can't."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram_http import AiohttpRequest

pytestmark = pytest.mark.slow

TOKEN = "123456:TEST-token"


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A Bot API stand-in that records each call's form and answers ``ok``."""
    calls: list[dict[str, object]] = []

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if name == "slow":
            await asyncio.sleep(2)
        form = await request.post()
        fields: dict[str, object] = {"method": name}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                fields[key] = (value.filename, value.file.read(), value.content_type)
            else:
                fields[key] = value
        calls.append(fields)
        if name == "getMe":
            me = {"id": 123456, "is_bot": True, "first_name": "Desk", "username": "desk_bot"}
            return web.json_response({"ok": True, "result": me})
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/{{method}}", method)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot", calls
    finally:
        await runner.cleanup()


async def test_parameters_arrive_as_the_bot_api_reads_them(
    api: tuple[str, list[dict[str, object]]],
) -> None:
    base, calls = api
    async with Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
        await bot.send_chat_action(42, "typing", message_thread_id=7)
    assert calls[-1] == {
        "method": "sendChatAction",
        "chat_id": "42",
        "action": "typing",
        "message_thread_id": "7",
    }


async def test_a_file_goes_up_as_multipart(api: tuple[str, list[dict[str, object]]]) -> None:
    base, calls = api
    request = AiohttpRequest()
    await request.initialize()
    try:
        upload = InputFile(b"hello", filename="note.txt")
        status, _ = await request.do_request(
            f"{base}{TOKEN}/sendDocument",
            "POST",
            request_data=_data({"chat_id": 5, "document": upload}),
        )
    finally:
        await request.shutdown()
    assert status == 200
    call = calls[-1]
    assert call["chat_id"] == "5"
    filename, content, _ = call[next(k for k in call if k not in ("method", "chat_id"))]  # type: ignore[misc]
    assert (filename, content) == ("note.txt", b"hello")


async def test_a_slow_api_is_a_timeout_and_a_closed_port_a_network_error(
    api: tuple[str, list[dict[str, object]]],
) -> None:
    base, _ = api
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{base}{TOKEN}/slow", "POST")
        with pytest.raises(NetworkError):
            await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")
    finally:
        await request.shutdown()


def _data(params: dict[str, object]) -> object:
    from telegram.request import RequestData
    from telegram.request._requestparameter import RequestParameter

    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])
