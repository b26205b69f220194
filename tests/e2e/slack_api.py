"""A stand-in for slack.com on 127.0.0.1: the Web API, Socket Mode and ``response_url``.

Real slack-bolt/slack_sdk talk to it over real HTTP and WebSocket; only Slack
is fake. It answers Web API methods with canned per-method answers, records and
counts every call, can be told to fail the next call of a method (e.g. 429
with ``Retry-After``), serves a Socket Mode WebSocket (``hello``, then the
envelopes a test injects, collecting the acks), and sinks ``response_url``
posts. Helpers at the bottom build Events API bodies, ``block_actions``
payloads and signed HTTP requests.

    async with FakeSlack() as slack:
        settings = load_settings(environ={}, slack_api_base_url=slack.base_url, ...)
        ...
        await slack.send_envelope("events_api", event_body(dm("hi")))
        [post] = await slack.wait_for("chat.postMessage")
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-1-test"
SIGNING_SECRET = "test-signing-secret"
TEAM = "T0TEAM"
APP_ID = "A0FRONTDESK"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"

Answer = Callable[["Call"], "dict[str, Any] | web.Response"]


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    headers: Mapping[str, str]
    status: int = 200
    #: Whether Slack answered ``ok: true``.
    ok: bool = True
    at: float = field(default_factory=time.monotonic)

    @property
    def token(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ").strip()


@dataclass
class Failure:
    status: int
    error: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """The fake Slack server; use as ``async with FakeSlack() as slack``."""

    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.responses: list[Call] = []  # posts to response_url
        self.acks: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        #: People ``add_user`` knows who are *not* in a channel (by channel id).
        self.outsiders: dict[str, set[str]] = {}
        self.connections = 0
        self._answers: dict[str, Answer] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "users.info": self._users_info,
            "conversations.members": self._members,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
        }
        self._failures: dict[str, list[Failure]] = {}
        self._ts = itertools.count(1)
        self._envelopes = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket-mode/link", self._socket)
        app.router.add_post("/response/{name}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """For ``SLACK_API_BASE_URL`` (ends with ``/``, as slack_sdk needs)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # configuring -------------------------------------------------------------------

    def add_user(
        self, user: str, display_name: str, *, real_name: str = "", name: str = ""
    ) -> None:
        """A person ``users.info`` knows."""
        self.users[user] = {
            "id": user,
            "team_id": TEAM,
            "name": name or display_name.lower(),
            "real_name": real_name or display_name,
            "is_bot": False,
            "profile": {"display_name": display_name, "real_name": real_name or display_name},
        }

    def answer(self, method: str, answer: Answer) -> None:
        """Answer ``method`` with ``answer(call)`` (a JSON dict or a full response)."""
        self._answers[method] = answer

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        error: str = "ratelimited",
        retry_after: float | None = 1,
        times: int = 1,
    ) -> None:
        """Fail the next ``times`` calls of ``method`` (default: rate limited, Retry-After 1)."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        self._failures.setdefault(method, []).extend(
            Failure(status, error, headers) for _ in range(times)
        )

    # reading -------------------------------------------------------------------------

    def called(self, method: str, *, ok: bool = True) -> list[Call]:
        """The calls of ``method`` (only the successful ones unless ``ok=False``)."""
        return [c for c in self.calls if c.method == method and (c.ok or not ok)]

    @property
    def open_sockets(self) -> int:
        """Socket Mode connections currently open."""
        return len(self._sockets)

    @property
    def posts(self) -> list[Call]:
        """Messages the bot posted (successful ``chat.postMessage`` calls)."""
        return self.called("chat.postMessage")

    async def wait_for(self, method: str, count: int = 1, *, within: float = 5) -> list[Call]:
        """Wait until ``method`` succeeded ``count`` times; returns those calls."""
        return await self.wait_until(lambda: self.called(method), count, within=within, what=method)

    async def wait_responses(self, count: int = 1, *, within: float = 5) -> list[Call]:
        return await self.wait_until(
            lambda: self.responses, count, within=within, what="response_url"
        )

    async def wait_connected(self, count: int = 1, *, within: float = 5) -> None:
        await self.wait_until(
            lambda: self._sockets, count, within=within, what="a Socket Mode connection"
        )

    async def wait_ack(self, envelope_id: str, *, within: float = 5) -> dict[str, Any]:
        """The client's acknowledgement of an envelope."""

        def got() -> list[dict[str, Any]]:
            return [self.acks[envelope_id]] if envelope_id in self.acks else []

        acks: list[dict[str, Any]] = await self.wait_until(
            got, within=within, what=f"the ack of {envelope_id}"
        )
        return acks[0]

    async def wait_until(
        self, items: Callable[[], list[Any]], count: int = 1, *, within: float = 5, what: str = ""
    ) -> list[Any]:
        """Wait until ``items()`` (re-checked whenever the fake is called) has ``count`` entries."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: len(items()) >= count)
        except TimeoutError:
            raise AssertionError(
                f"timed out waiting for {count} × {what}; got {len(items())}"
            ) from None
        return items()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # Socket Mode ---------------------------------------------------------------------------

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, envelope_id: str = ""
    ) -> str:
        """Push an envelope (``events_api``, ``interactive``, …) to the connected client."""
        if not self._sockets:
            raise AssertionError("no Socket Mode client is connected")
        envelope_id = envelope_id or f"env-{next(self._envelopes)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does every few hours."""
        for ws in list(self._sockets):
            await ws.send_str(json.dumps({"type": "disconnect", "reason": reason}))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections += 1
        self._sockets.append(ws)
        await self._notify()
        hello = {
            "type": "hello",
            "num_connections": 1,
            "connection_info": {"app_id": APP_ID},
            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
        }
        await ws.send_str(json.dumps(hello))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if "envelope_id" in data:
                        self.acks[data["envelope_id"]] = data
                        await self._notify()
        finally:
            self._sockets.remove(ws)
        return ws

    # HTTP -----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        call = Call(method, args, dict(request.headers))
        self.calls.append(call)
        self.counts[method] += 1
        try:
            failures = self._failures.get(method)
            if failures:
                failure = failures.pop(0)
                call.status, call.ok = failure.status, False
                return web.json_response(
                    {"ok": False, "error": failure.error},
                    status=failure.status,
                    headers=failure.headers,
                )
            expected = self.app_token if method == "apps.connections.open" else self.bot_token
            if call.token != expected:
                call.ok = False
                error = "invalid_auth" if call.token else "not_authed"
                return web.json_response({"ok": False, "error": error})
            answer = self._answers.get(method, _ok)(call)
            if isinstance(answer, web.Response):
                call.status, call.ok = answer.status, answer.status == 200
                return answer
            call.ok = bool(answer.get("ok"))  # Slack answers errors with 200 and ok: false
            return web.json_response(answer)
        finally:
            await self._notify()

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append(
            Call(request.match_info["name"], await request.json(), dict(request.headers))
        )
        await self._notify()
        return web.Response(text="ok")

    # canned answers -------------------------------------------------------------------------

    def _auth_test(self, call: Call) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Inkwell Books",
            "user": "frontdesk",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _connections_open(self, call: Call) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket-mode/link?ticket=t"}

    def _members(self, call: Call) -> dict[str, Any]:
        """Every known person is in every channel, except ``outsiders``; two per page."""
        channel = str(call.args.get("channel") or "")
        members = sorted(u for u in self.users if u not in self.outsiders.get(channel, set()))
        start = int(str(call.args.get("cursor") or "0") or 0)
        page, rest = members[start : start + 2], members[start + 2 :]
        cursor = str(start + 2) if rest else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _users_info(self, call: Call) -> dict[str, Any]:
        user = self.users.get(str(call.args.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _post_message(self, call: Call) -> dict[str, Any]:
        channel = str(call.args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {k: v for k, v in call.args.items() if k in ("text", "blocks", "thread_ts")}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, **message},
        }

    def _update(self, call: Call) -> dict[str, Any]:
        return {"ok": True, "channel": call.args.get("channel"), "ts": call.args.get("ts")}


def _ok(call: Call) -> dict[str, Any]:
    return {"ok": True}


# payloads ---------------------------------------------------------------------------------------

_ids = itertools.count(1)


def now_ts() -> str:
    """A Slack message timestamp for now, unique within the run."""
    return f"{time.time():.6f}"


def dm(text: str, *, user: str = "U0MINA", channel: str = "D0MINA", **extra: Any) -> dict[str, Any]:
    """A ``message.im`` event: a customer writing to the bot in a DM."""
    ts = now_ts()
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM,
    }
    return {**event, **extra}


def mention(
    text: str,
    *,
    user: str = "U0MINA",
    channel: str = "C0GENERAL",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An ``app_mention`` event: ``<@BOT> text`` in a channel (optionally in a thread)."""
    ts = now_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "event_ts": ts,
        "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def event_body(event: dict[str, Any], *, event_id: str = "") -> dict[str, Any]:
    """The ``event_callback`` envelope Slack posts (or wraps in Socket Mode)."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER, "is_bot": True}
        ],
        "is_ext_shared_channel": False,
    }


def block_actions(
    post: Call,
    button: str | int,
    *,
    user: str = "U0MINA",
    response_url: str = "",
) -> dict[str, Any]:
    """The ``block_actions`` payload of pressing a button (value or index) of a posted message."""
    blocks = post.args["blocks"]
    elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    if isinstance(button, int):
        element = elements[button]
    else:
        [element] = [e for e in elements if e["value"] == button]
    [block] = [b for b in blocks if b["type"] == "actions" and element in b["elements"]]
    channel = str(post.args["channel"])
    ts = f"{int(time.time())}.{next(_ids):06d}"
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER,
        "bot_id": BOT_ID,
        "ts": ts,
        "text": post.args.get("text", ""),
        "blocks": blocks,
    }
    if post.args.get("thread_ts"):
        message["thread_ts"] = post.args["thread_ts"]
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "mina", "name": "mina", "team_id": TEAM},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
            **({"thread_ts": post.args["thread_ts"]} if post.args.get("thread_ts") else {}),
        },
        "trigger_id": f"{next(_ids)}.trigger",
        "team": {"id": TEAM, "domain": "inkwell"},
        "channel": {
            "id": channel,
            "name": "directmessage" if channel.startswith("D") else "general",
        },
        "message": message,
        "response_url": response_url,
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": block.get("block_id", "b"),
                "text": element["text"],
                "value": element["value"],
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
        "state": {"values": {}},
    }


def sign(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Headers Slack signs an HTTP request with (v0 HMAC-SHA256 over ``v0:ts:body``)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def event_request(body: dict[str, Any], *, retry: int = 0) -> tuple[str, dict[str, str]]:
    """An Events API POST: JSON body and content type (sign it with :func:`sign`); with
    ``retry``, Slack's headers for that retry of the same event."""
    headers = {"Content-Type": "application/json"}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "timeout"}
    return json.dumps(body), headers


def interactive_request(payload: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """An interactivity POST: form-encoded ``payload=<json>``."""
    form = urlencode({"payload": json.dumps(payload)})
    return form, {"Content-Type": "application/x-www-form-urlencoded"}
