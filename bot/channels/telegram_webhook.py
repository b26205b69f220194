"""The Telegram webhook endpoint: Telegram's secret checked in constant time.

python-telegram-bot's own webhook server compares ``X-Telegram-Bot-Api-Secret-Token``
with ``!=``, which leaks how much of a guess was right through timing; this
small aiohttp server compares with :func:`hmac.compare_digest` instead and hands
each update to ``submit`` (the channel puts it on the ``Application``'s update
queue, the documented way to feed PTB from a custom webhook, and returns once the
customer's message is kept in the inbox). A request without the right secret gets
403 and is never read as an update; a body that is not an update gets 400; an
update that could not be kept (``submit`` raised, e.g. the database is down) gets
500, and Telegram delivers it again.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web
from telegram import Bot, Update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def secret_ok(given: str | None, expected: str) -> bool:
    """Whether the request's secret header is ``expected`` (constant time; never for empty)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class WebhookServer:
    """Receives Telegram's POSTs at one path and answers 200 once ``submit`` returns."""

    def __init__(
        self,
        bot: Bot,
        submit: Callable[[Update], Awaitable[object]],
        *,
        path: str,
        secret: str,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self.bot, self.submit, self.secret = bot, submit, secret
        self.path = "/" + path.strip("/")
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int, sock: socket.socket | None = None) -> None:
        """Listen on ``host:port`` (or on ``sock``, bound by the workers' supervisor);
        raises ``OSError`` when the port is taken."""
        webapp = web.Application()
        webapp.router.add_post(self.path, self._on_post)
        if self.path != "/":
            webapp.router.add_post(self.path + "/", self._on_post)
        runner = web.AppRunner(webapp, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port) if sock is None else web.SockSite(runner, sock)
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening (idempotent)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_post(self, request: web.Request) -> web.Response:
        if not secret_ok(request.headers.get(SECRET_HEADER), self.secret):
            log.warning("telegram webhook: a request without the right secret was refused")
            return web.Response(status=HTTPStatus.FORBIDDEN)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.bot)
        except Exception:
            log.warning("telegram webhook: a body that is not an update was refused")
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if update is not None:
            try:
                await self.submit(update)
            except Exception as exc:
                log.warning("telegram webhook: update %s not kept: %s", update.update_id, exc)
                return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
        return web.Response(status=HTTPStatus.OK)
