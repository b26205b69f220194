"""The Slack channel: slack-bolt in, the engine, Block Kit out.

Socket Mode by default (no public URL needed); the HTTP Events API with
signature verification when a port is given (Bolt's HMAC check; requests
without well-formed signature headers are refused before it, see
:func:`signed_shape`; no signing secret, no HTTP mode). Every request is acknowledged
first (Bolt acks events itself; button presses call ``ack()`` before anything
else) and the turn runs afterwards in a task of ours, so Slack's 3-second limit
never depends on the engine.

Never twice: Slack re-sends an event it thinks was missed (``X-Slack-Retry-Num``
over HTTP, ``retry_attempt`` in Socket Mode) with the same ``event_id``, maybe
to another worker; the coordinator (:mod:`bot.coord`, Redis with many workers)
lets one worker claim each id and drops the repeats. A claim lapses if its
worker dies before answering, so a later re-delivery is served, not lost. The
turns of one conversation run one at a time under the coordinator's lock, their
replies sent before the next turn starts.

No typing indicator: Slack offers none to bots on the Events API (the legacy
RTM ``typing`` message is gone, and ``assistant.threads.setStatus`` only works in
"AI assistant" threads), so none is faked.

The pure parts live in :mod:`bot.channels.slack_events` (payload → ``Inbound``)
and :mod:`bot.channels.slack_blocks` (action → Block Kit).
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import sys
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import ClientError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_blocks import ACTION_PATTERN, pressed, render
from bot.channels.slack_events import (
    block_action_to_inbound,
    display_name,
    reply_target,
    to_inbound,
)
from bot.config import Settings
from bot.coord import Coordinator, LocalCoordinator
from bot.coord.turns import Turns
from bot.errors import ConfigError
from bot.models import Action, ConversationKey, Inbound

if TYPE_CHECKING:
    from bot.app import App
    from bot.engine import Engine

__all__ = [
    "EVENTS_PATH",
    "SlackChannel",
    "block_action_to_inbound",
    "render",
    "serve_slack",
    "to_inbound",
]

log = logging.getLogger(__name__)

#: The one URL path Slack posts events and interactivity to in HTTP mode.
EVENTS_PATH = "/slack/events"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signed_shape(headers: Mapping[str, str]) -> bool:
    """Whether a request carries a ``v0=`` signature and a numeric timestamp (Slack's shape).

    Bolt checks the signature itself (HMAC-SHA256, compared in constant time,
    timestamps older or newer than five minutes refused) but raises on a
    timestamp that is not a number; such requests are refused here with 401.
    """
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    return bool(_TIMESTAMP.fullmatch(stamp)) and signature.startswith("v0=")


PLATFORM = "slack"


class Names:
    """Display names from ``users.info``, cached (bounded, for an hour)."""

    def __init__(self, client: AsyncWebClient, *, size: int = 10_000, ttl: float = 3600) -> None:
        self._client, self._size, self._ttl = client, size, ttl
        self._cache: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    async def get(self, user: str) -> str | None:
        """The person's display name, or None if Slack won't say."""
        now = time.monotonic()
        hit = self._cache.get(user)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        try:
            response = await self._client.users_info(user=user)
            data = response.get("user")
            name = display_name(data) if isinstance(data, dict) else None
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user, _error(exc))
            if retryable(exc):
                return hit[1] if hit else None
            name = None  # e.g. user_not_found: don't ask again for an hour
        except (ClientError, TimeoutError) as exc:
            log.warning("users.info failed for %s: %r", user, exc)
            return hit[1] if hit else None
        self._cache[user] = (now, name)
        self._cache.move_to_end(user)
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return name


def _error(exc: SlackApiError) -> str:
    """Slack's error code (``invalid_auth``, ``ratelimited``, …) of a failed call."""
    try:
        return str(exc.response.get("error") or exc.response.status_code)
    except Exception:
        return str(exc)


def retryable(exc: Exception) -> bool:
    """Rate limits, Slack's 5xx and network failures are worth another try."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 0)
        return status == 429 or status >= 500
    return isinstance(exc, ClientError | TimeoutError)


def retry_after(exc: Exception) -> float | None:
    """Slack's ``Retry-After`` (seconds) on a 429, if given."""
    if isinstance(exc, SlackApiError):
        headers = getattr(exc.response, "headers", None) or {}
        value = headers.get("Retry-After") or headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None
    return None


class SlackChannel:
    """One Slack app serving customers through one engine."""

    def __init__(
        self,
        engine: Engine,
        *,
        bot_token: str,
        app_token: str = "",
        signing_secret: str = "",
        api_base_url: str = "https://slack.com/api/",
        coord: Coordinator | None = None,
        turns: Turns | None = None,
    ) -> None:
        self.engine = engine
        self.coord: Coordinator = coord or LocalCoordinator()
        self.turns = turns or Turns(engine, engine.store.engine, self.coord)
        self.turns.couriers[PLATFORM] = SlackCourier(self)
        self.app_token = app_token
        self.signing_secret = signing_secret
        # Retries are ours (bot.coord.turns, honouring Retry-After): none in the SDK.
        self.client = AsyncWebClient(
            token=bot_token,
            base_url=api_base_url if api_base_url.endswith("/") else api_base_url + "/",
            retry_handlers=[],
        )
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret,
            logger=logging.getLogger("slack_bolt"),
            # answer Slack once our listener has kept the message (it then returns at once)
            process_before_response=True,
        )
        self.bolt.event("message")(self._on_event)
        self.bolt.event("app_mention")(self._on_event)
        self.bolt.action(ACTION_PATTERN)(self._on_action)
        self.bot_user_id: str | None = None
        self.names = Names(self.client)
        #: What happened so far: ``duplicate``, ``ignored``, ``turn``, ``sent``, ``dead``.
        self.stats: Counter[str] = self.turns.stats
        self._tasks: set[asyncio.Task[None]] = set()
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        #: The agents' desk when it is a Slack channel (bot.handoff.slack_desk).
        self.desk_room: Any = None

    @classmethod
    def from_settings(
        cls,
        engine: Engine,
        settings: Settings,
        *,
        coord: Coordinator | None = None,
        turns: Turns | None = None,
    ) -> SlackChannel:
        """A channel configured from settings (tokens checked for presence)."""
        return cls(
            engine,
            bot_token=settings.require("slack_bot_token"),
            app_token=settings.slack_app_token,
            signing_secret=settings.slack_signing_secret,
            api_base_url=settings.slack_api_base_url,
            coord=coord,
            turns=turns,
        )

    # lifecycle ------------------------------------------------------------------

    async def start(
        self,
        *,
        http_port: int | None = None,
        host: str = "127.0.0.1",
        sock: socket.socket | None = None,
    ) -> str:
        """Check the token, then connect (Socket Mode) or listen (HTTP, on ``http_port``
        or on ``sock``, a socket bound by the supervisor of many workers); returns where."""
        if self.client.session is None or self.client.session.closed:
            # one session for every Web API call: without it the SDK opens (and closes)
            # a session, hence a TCP connection, per call
            self.client.session = aiohttp.ClientSession()
        try:
            await self._whoami()
            if http_port is None and sock is None:
                return await self._start_socket_mode()
            return await self._start_http(host, http_port or 0, sock)
        except BaseException:
            await self._close_session()
            raise

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop receiving, let running turns finish (up to ``grace`` seconds), then close."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.drain(grace=grace)
        await self._close_session()

    async def _close_session(self) -> None:
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = None

    async def drain(self, *, grace: float = 10.0) -> None:
        """Wait (up to ``grace`` seconds) until every turn in progress has been answered."""
        while self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            if pending:
                log.warning("%d Slack turn(s) still running after %.0fs", len(pending), grace)
                return

    async def _whoami(self) -> None:
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            raise ConfigError(f"SLACK_BOT_TOKEN was rejected by Slack: {_error(exc)}") from None
        except (ClientError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach Slack at {self.client.base_url}: {exc}") from None
        self.bot_user_id = str(auth.get("user_id") or "") or None

    async def _start_socket_mode(self) -> str:
        if not self.app_token:
            raise ConfigError(
                "SLACK_APP_TOKEN is missing: set it in the environment or the config file"
            )
        if not self.app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN is malformed: an app-level token starts with xapp-")
        handler = AsyncSocketModeHandler(self.bolt, self.app_token, web_client=self.client)
        try:
            # Asked here once so that a bad app token fails now, not in a retry loop.
            opened = await self.client.apps_connections_open(app_token=self.app_token)
        except SlackApiError as exc:
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise ConfigError(f"SLACK_APP_TOKEN was rejected by Slack: {_error(exc)}") from None
        except (ClientError, TimeoutError) as exc:
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise ConfigError(f"cannot reach Slack at {self.client.base_url}: {exc}") from None
        handler.client.wss_uri = str(opened["url"])
        await handler.connect_async()  # type: ignore[no-untyped-call]
        self._socket = handler
        return "Socket Mode"

    async def _start_http(self, host: str, port: int, sock: socket.socket | None = None) -> str:
        if not self.signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is missing: set it in the environment or the config file"
            )
        webapp = web.Application()
        webapp.router.add_post(EVENTS_PATH, self._on_http)
        webapp.router.add_get("/healthz", _healthz)
        runner = web.AppRunner(webapp, access_log=None)
        await runner.setup()
        site: web.BaseSite = (
            web.TCPSite(runner, host, port) if sock is None else web.SockSite(runner, sock)
        )
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self._runner = runner
        bound = runner.addresses[0]
        return f"http://{_host(bound[0])}:{bound[1]}{EVENTS_PATH}"

    @property
    def http_port(self) -> int | None:
        """The port the HTTP endpoint is bound to (useful with port 0)."""
        if self._runner is None or not self._runner.addresses:
            return None
        return int(self._runner.addresses[0][1])

    async def _on_http(self, request: web.Request) -> web.Response:
        if not signed_shape(request.headers):
            # Bolt verifies the signature; this only spares it headers that make it raise
            log.warning("Slack request refused: no well-formed signature headers")
            return web.json_response({"error": "invalid request"}, status=401)
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # Bolt listeners: quick, never raising; the turn runs in a task ----------------

    async def _on_event(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        event_id = str(body.get("event_id") or "")
        if self.desk_room is not None and self.desk_room.wants(event):
            once = f"slack:{event_id}" if event_id else ""
            if once and not await self.coord.claim(once):
                log.info("desk event %s delivered again; already taken", event_id)
                self.stats["duplicate"] += 1
                return
            self._spawn(self._settled(self.desk_room.on_message(event), once), "desk")
            return
        inbound = to_inbound(event, bot_user_id=self.bot_user_id)
        if inbound is None:
            self.stats["ignored"] += 1
            return
        # kept before Slack hears back (a failure here answers 500: Slack sends again)
        once = f"slack:{event_id or f'{inbound.key}:{inbound.message_id}'}"
        if await self.turns.accept(once, inbound):
            self._spawn(self.turns.serve(str(inbound.key)), event_id or "event")

    async def _on_action(
        self, ack: Callable[[], Awaitable[Any]], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        inbound = block_action_to_inbound(body)
        if inbound is None:
            await ack()
            return
        once = f"slack:action:{inbound.user}:{inbound.message_id}"
        accepted = await self.turns.accept(once, inbound)
        await ack()
        if accepted:
            self._spawn(self._press(body, respond, inbound), "block_actions")

    async def _settled(self, work: Coroutine[Any, Any, None], once: str) -> None:
        """Run ``work``; then its event counts as served (repeats are dropped for long)."""
        try:
            await work
        finally:
            if once:
                await self.coord.settle(once)

    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.create_task(work, name=f"slack {what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # turns ----------------------------------------------------------------------

    async def _press(self, body: dict[str, Any], respond: AsyncRespond, inbound: Inbound) -> None:
        """Replace the pressed buttons by the choice, then serve the press."""
        message = body.get("message")
        action = body["actions"][0]
        label = str((action.get("text") or {}).get("text") or inbound.button)
        if isinstance(message, dict) and body.get("response_url"):
            try:
                sent = await respond(
                    text=str(message.get("text") or label),
                    blocks=pressed(message.get("blocks") or [], label),
                    replace_original=True,
                )
                if sent.status_code != 200:
                    log.warning("response_url answered %s: %s", sent.status_code, sent.body)
            except Exception:
                log.warning("could not mark the pressed button on %s", inbound.key, exc_info=True)
        await self.turns.serve(str(inbound.key))

    async def deliver(self, key: ConversationKey, action: Action) -> None:
        """Send one action to a conversation (an agent's message, from the desk), in
        order with the conversation's replies."""
        await self.turns.send(key, [action])


class SlackCourier:
    """The Slack side of :class:`~bot.coord.turns.Turns`: names in, Block Kit out."""

    def __init__(self, channel: SlackChannel) -> None:
        self.channel = channel

    async def prepare(self, inbound: Inbound) -> Inbound:
        name = await self.channel.names.get(inbound.user)
        return replace(inbound, name=name) if name else inbound

    def render(self, key: str, route: Mapping[str, Any], action: Action) -> list[dict[str, Any]]:
        args = render(action)
        if args is None:
            log.info("%s on %s: %s", action.type, key, action)
            return []
        parts = key.split(":")
        channel, thread = reply_target(ConversationKey(*parts[:3]))
        args["channel"] = channel
        if thread:
            args["thread_ts"] = thread
        return [args]

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.channel.client.chat_postMessage(**message)

    def retryable(self, exc: Exception) -> bool:
        return retryable(exc)

    def retry_after(self, exc: Exception) -> float | None:
        return retry_after(exc)


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def serve_slack(
    app: App,
    settings: Settings,
    *,
    http_port: int | None,
    host: str,
    sock: socket.socket | None = None,
) -> None:
    """Serve customers on Slack until cancelled (``sock``: a port shared by workers)."""
    channel = SlackChannel.from_settings(app.engine, settings, coord=app.coord, turns=app.turns)
    if app.desk is not None:
        from bot.handoff.slack_desk import attach_channel

        attach_channel(app.desk, channel)  # agents' messages, a channel desk
    where = await channel.start(http_port=http_port, host=host, sock=sock)
    if http_port is None:
        print("Slack: connected over Socket Mode", file=sys.stderr)
    else:
        print(f"Slack: Events API and interactivity at {where}", file=sys.stderr)
    try:
        await asyncio.Event().wait()
    finally:
        await channel.stop()
