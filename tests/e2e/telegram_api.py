"""A stand-in for the Telegram Bot API on 127.0.0.1, for end-to-end tests.

Real python-telegram-bot talks to it over real HTTP; only Telegram is fake. It
serves ``/bot<token>/<method>`` like api.telegram.org: a real long-polling
``getUpdates`` (``offset``, ``timeout``, ``limit``, ``allowed_updates``), and
``getMe``, ``sendMessage``, ``editMessageText``, ``editMessageReplyMarkup``,
``sendChatAction``, ``answerCallbackQuery``, ``setWebhook``, ``deleteWebhook``,
``getWebhookInfo``, ``setMyCommands``… It checks what Telegram checks (HTML
that parses, at most 4096 characters, ``callback_data`` of 1–64 bytes, known
chats and callback queries), records and counts every call, and can be told to
fail the next call of a method (e.g. 429 with ``parameters.retry_after``) or to
answer a method late.

Tests play the customers: helpers build updates the way Telegram does (``date``
in seconds, ``bot_command`` and ``mention`` entities with UTF-16 offsets,
``chat_instance`` on callback queries) and deliver them — queued for
``getUpdates``, or POSTed to the bot's webhook with the secret header once the
bot has called ``setWebhook``.

    async with FakeTelegram() as tg:
        settings = load_settings(environ={}, telegram_api_base_url=tg.base_url,
                                 telegram_bot_token=tg.token, ...)
        ...
        mina = tg.user("Mina", username="mina")
        await tg.send_text(mina, "hello")
        [reply] = await tg.replies(mina)
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123:abc"
BOT_ID = 123
BOT_USERNAME = "frontdesk_test_bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: ``post_webhook``'s default: the secret the bot registered with ``setWebhook``.
REGISTERED = "<registered secret>"

#: Parameters that are strings even when they look like JSON (PTB sends strings raw).
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "action",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "emoji",
        "question",
        "title",
        "description",
        "name",
        "short_description",
    }
)
#: Tags Telegram's HTML parse mode accepts.
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MAX_TEXT = 4096


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    #: When it was answered (``None`` while it is still in progress).
    answered: float | None = None


@dataclass
class Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None


Answer = Callable[[dict[str, Any]], Any]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def parse_html(text: str) -> str:
    """The visible text of an HTML-mode message, or :class:`ApiError` as Telegram answers.

    Every ``<``, ``>`` and ``&`` that is not part of a supported tag or entity
    is an error, as on Telegram.
    """
    out: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            tag = _TAG.match(text, i)
            name = tag.group(2).lower() if tag else ""
            if tag is None or name not in HTML_TAGS:
                offset = len(text[:i].encode())
                raise bad_request(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
                )
            if tag.group(1):
                if not open_tags or open_tags[-1] != name:
                    raise bad_request(f'can\'t parse entities: Unexpected end tag "{name}"')
                open_tags.pop()
            else:
                open_tags.append(name)
            i = tag.end()
        elif char == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:
                raise bad_request("can't parse entities: unescaped & in the text")
            out.append(html.unescape(entity.group()))
            i = entity.end()
        elif char == ">":
            raise bad_request("can't parse entities: unescaped > in the text")
        else:
            out.append(char)
            i += 1
    if open_tags:
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag {open_tags[-1]!r}"
        )
    return "".join(out)


def _entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` and ``mention`` entities Telegram would attach to ``text``."""
    found: list[dict[str, Any]] = []
    command = re.match(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for mention in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{4,32}", text):
        offset = utf16_len(text[: mention.start()])
        found.append({"type": "mention", "offset": offset, "length": utf16_len(mention.group())})
    return found


class FakeTelegram:
    """The fake Bot API server; use as ``async with FakeTelegram() as tg``."""

    def __init__(self, *, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot: dict[str, Any] = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Frontdesk",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.chats: dict[int, dict[str, Any]] = {}
        #: Messages in chats, by (chat id, message id), as Telegram would return them.
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook_statuses: list[int] = []
        #: (chat id, user id) of people who are *not* members (everyone else is).
        self.outsiders: set[tuple[int, int]] = set()
        self._answers: dict[str, Answer] = {
            "getMe": lambda _: self.bot,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "sendChatAction": self._chat_action,
            "answerCallbackQuery": self._answer_callback,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "setMyCommands": self._set_commands,
            "getMyCommands": lambda p: self.commands.get(p.get("language_code") or "", []),
            "deleteMyCommands": self._delete_commands,
            "getChatMember": self._chat_member,
            "logOut": lambda _: True,
            "close": lambda _: True,
        }
        self._failures: dict[str, list[Failure]] = {}
        self._delays: dict[str, tuple[float, int | None]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._ids = itertools.count(10_000)
        self._callbacks: set[str] = set()
        self._read: Counter[int] = Counter()  # replies already returned by replies(), per chat
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0

    # lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        self._closing = True
        await self._notify()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """For ``TELEGRAM_API_BASE_URL`` (the token is appended to it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # configuring ---------------------------------------------------------------------

    def answer(self, method: str, answer: Answer) -> None:
        """Answer ``method`` with ``answer(params)`` (its ``result``, or raise ApiError)."""
        self._answers[method] = answer

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        description: str | None = None,
        retry_after: int | None = 1,
        times: int = 1,
    ) -> None:
        """Fail the next ``times`` calls of ``method`` (default: flood control, retry after 1 s)."""
        parameters = {"retry_after": retry_after} if status == 429 and retry_after else None
        text = description or (
            f"Too Many Requests: retry after {retry_after}" if status == 429 else "Bad Request"
        )
        self._failures.setdefault(method, []).extend(
            Failure(status, text, parameters) for _ in range(times)
        )

    def delay(
        self, method: str, seconds: float, *, chat: Mapping[str, Any] | int | None = None
    ) -> None:
        """Answer ``method`` (for ``chat`` only, if given) ``seconds`` late, as a slow
        Telegram does."""
        self._delays[method] = (seconds, _chat_id(chat))

    # reading -------------------------------------------------------------------------

    def called(self, method: str, *, ok: bool = True) -> list[Call]:
        """The calls of ``method`` (only the successful ones unless ``ok=False``)."""
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok)]

    def sent(self, chat: Mapping[str, Any] | int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (to ``chat``), as Telegram stored them, oldest first.

        Each has the visible ``text``, and ``html`` (what the bot sent),
        ``reply_to`` (the quoted message id) and ``reply_markup`` when given.
        """
        chat_id = _chat_id(chat)
        return [
            m
            for m in self.messages.values()
            if m["from"]["id"] == self.bot["id"] and (chat_id is None or m["chat"]["id"] == chat_id)
        ]

    async def wait_for(self, method: str, count: int = 1, *, within: float = 5) -> list[Call]:
        """Wait until ``method`` succeeded ``count`` times; returns those calls."""
        return await self.wait_until(lambda: self.called(method), count, within=within, what=method)

    async def replies(
        self, chat: Mapping[str, Any] | int, count: int = 1, *, within: float = 5
    ) -> list[dict[str, Any]]:
        """The next ``count`` messages the bot sends to ``chat`` (each returned once)."""
        chat_id = _chat_id(chat)
        assert chat_id is not None
        start = self._read[chat_id]
        sent = await self.wait_until(
            lambda: self.sent(chat_id)[start:], count, within=within, what="replies"
        )
        self._read[chat_id] = start + count
        return sent[:count]

    async def wait_until(
        self,
        items: Callable[[], list[Any]],
        count: int = 1,
        *,
        within: float = 5,
        what: str = "a change",
    ) -> list[Any]:
        """Wait until ``items()`` has ``count`` elements (re-checked after every request)."""
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

    # the customers' side: people, chats, updates -------------------------------------

    def user(
        self,
        first_name: str,
        last_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = "en",
        id: int | None = None,
    ) -> dict[str, Any]:
        """A person (``User``); their private chat with the bot has the same id."""
        person: dict[str, Any] = {
            "id": id or next(self._ids),
            "is_bot": False,
            "first_name": first_name,
        }
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value:
                person[key] = value
        return person

    def private(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """The private chat of ``person`` with the bot."""
        chat = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
        if "username" in person:
            chat["username"] = person["username"]
        self.chats[chat["id"]] = chat
        return chat

    def group(self, title: str = "Book club", *, forum: bool = False) -> dict[str, Any]:
        """A supergroup the bot is a member of."""
        chat: dict[str, Any] = {"id": -1_000_000_000_000 - next(self._ids), "type": "supergroup"}
        chat["title"] = title
        if forum:
            chat["is_forum"] = True
        self.chats[chat["id"]] = chat
        return chat

    def message(
        self,
        person: Mapping[str, Any],
        text: str | None = None,
        *,
        chat: Mapping[str, Any] | None = None,
        reply_to: Mapping[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """A ``Message`` from ``person`` (in their private chat unless ``chat``), stored."""
        chat = dict(chat or self.private(person))
        self.chats[chat["id"]] = chat
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": dict(person),
        }
        if text is not None:
            message["text"] = text
            entities = _entities(text)
            if entities:
                message["entities"] = entities
        if content.get("caption"):
            entities = [e for e in _entities(content["caption"]) if e["type"] == "mention"]
            if entities:
                content["caption_entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = self._public(dict(reply_to))
        message.update(content)
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    async def deliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Give the bot an update: by its webhook once set, else queued for ``getUpdates``."""
        update = {"update_id": next(self._update_ids), **update}
        if self.webhook.get("url"):
            status = await self.post_webhook(update)
            if status != 200:
                raise AssertionError(f"the bot's webhook answered {status}")
        else:
            self._updates.append(update)
            await self._notify()
        return update

    async def send_text(
        self, person: Mapping[str, Any], text: str, **options: Any
    ) -> dict[str, Any]:
        """``person`` sends ``text``; returns the message."""
        message = self.message(person, text, **options)
        await self.deliver({"message": message})
        return message

    async def send_media(
        self, person: Mapping[str, Any], kind: str, *, caption: str | None = None, **options: Any
    ) -> dict[str, Any]:
        """``person`` sends a ``photo``, ``sticker``, ``voice``, ``document`` or ``video``."""
        file = {"file_id": f"F{next(self._ids)}", "file_unique_id": f"U{next(self._ids)}"}
        media: dict[str, Any] = {
            "photo": [{**file, "width": 90, "height": 90}],
            "sticker": {
                **file,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            },
            "voice": {**file, "duration": 2},
            "document": {**file, "file_name": "order.pdf"},
            "video": {**file, "width": 640, "height": 360, "duration": 3},
        }
        content: dict[str, Any] = {kind: media[kind], **options}
        if caption:
            content["caption"] = caption
        message = self.message(person, None, **content)
        await self.deliver({"message": message})
        return message

    async def edit(self, message: Mapping[str, Any], text: str) -> dict[str, Any]:
        """The author edits ``message`` to ``text``."""
        edited = dict(message, text=text, edit_date=int(time.time()))
        entities = _entities(text)
        edited.pop("entities", None)
        if entities:
            edited["entities"] = entities
        self.messages[(edited["chat"]["id"], edited["message_id"])] = edited
        await self.deliver({"edited_message": edited})
        return edited

    async def press(
        self, person: Mapping[str, Any], message: Mapping[str, Any], data: str
    ) -> dict[str, Any]:
        """``person`` presses the button with ``callback_data`` ``data`` under ``message``."""
        return await self.deliver({"callback_query": self.callback_query(person, message, data)})

    def callback_query(
        self, person: Mapping[str, Any], message: Mapping[str, Any], data: str
    ) -> dict[str, Any]:
        """The ``CallbackQuery`` of that press, not delivered yet."""
        current = self.messages[(message["chat"]["id"], message["message_id"])]
        shown = {k: v for k, v in current.items() if k not in ("html", "reply_to")}
        query_id = str(next(self._ids))
        self._callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": dict(person),
            "message": shown,
            "chat_instance": f"ci{shown['chat']['id']}",
            "data": data,
        }
        return query

    async def post_webhook(
        self,
        update: Mapping[str, Any],
        *,
        secret: str | None = REGISTERED,
        url: str | None = None,
    ) -> int:
        """POST ``update`` to the bot's webhook as Telegram does; returns the HTTP status.

        ``secret`` defaults to the ``secret_token`` the bot registered; ``None``
        sends no secret header.
        """
        if secret == REGISTERED:
            secret = self.webhook.get("secret_token")
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if self._client is None:
            self._client = aiohttp.ClientSession()
        for attempt in itertools.count():
            try:
                async with self._client.post(
                    url or self.webhook["url"], json=dict(update), headers=headers
                ) as response:
                    await response.read()
                    self.webhook_statuses.append(response.status)
                    return response.status
            except aiohttp.ClientConnectionError:
                # Telegram retries too; the bot sets its webhook just before it listens
                if attempt >= 50:
                    raise
                await asyncio.sleep(0.05)
        raise AssertionError("unreachable")

    # the Bot API -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        self.calls.append(call)
        self.counts[method] += 1
        await self._notify()  # a long poll answers late; that it arrived is news already
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            failures = self._failures.get(method)
            if failures:
                failure = failures.pop(0)
                raise ApiError(failure.status, failure.description, failure.parameters)
            answer = self._answers.get(method)
            if answer is None:
                raise ApiError(404, "Not Found")
            seconds, chat = self._delays.get(method, (0.0, None))
            if seconds and (chat is None or str(params.get("chat_id")) == str(chat)):
                await asyncio.sleep(seconds)
            result = answer(params)
            if asyncio.iscoroutine(result):
                result = await result
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            call.status = exc.status
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
        call.answered = time.monotonic()
        await self._notify()
        return web.json_response(body, status=call.status)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or None
        if offset > 0:  # confirms every update before ``offset``
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def ready() -> list[dict[str, Any]]:
            return [
                u
                for u in self._updates
                if allowed is None or set(u) - {"update_id"} <= set(allowed)
            ]

        if not ready() and timeout > 0 and not self._closing:
            with_timeout = asyncio.timeout(timeout)
            try:
                async with with_timeout, self._changed:
                    await self._changed.wait_for(lambda: bool(ready()) or self._closing)
            except TimeoutError:
                pass
        return ready()[:limit]

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise bad_request("chat_id is empty")
        try:
            return self.chats[int(chat_id)]
        except (KeyError, ValueError):
            raise bad_request("chat not found") from None

    def _text(self, params: dict[str, Any]) -> str:
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise bad_request("message text is empty")
        mode = params.get("parse_mode")
        visible = parse_html(raw) if mode == "HTML" else raw
        if utf16_len(visible) > MAX_TEXT:
            raise bad_request("message is too long")
        return visible

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise bad_request("BUTTON_TEXT_INVALID")
        return markup

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        visible = self._text(params)
        markup = self._markup(params)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot,
            "text": visible,
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        if markup:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters") or {}
        if isinstance(reply, dict) and reply.get("message_id"):
            message["reply_to"] = int(reply["message_id"])
        self.messages[(chat["id"], message["message_id"])] = {**message, "html": params["text"]}
        return message

    def _stored(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        if key not in self.messages:
            raise bad_request("message to edit not found")
        return self.messages[key]

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if k not in ("html", "reply_to")}

    def _edit_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        visible = self._text(params)
        markup = self._markup(params)
        if visible == message.get("text") and markup == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        message.update(text=visible, html=params["text"], edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return self._public(message)

    def _edit_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        markup = self._markup(params)
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return self._public(message)

    def _chat_action(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _answer_callback(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callbacks:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._callbacks.discard(query_id)
        return True

    def _chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, user = int(params["chat_id"]), int(params["user_id"])
        status = "left" if (chat, user) in self.outsiders else "member"
        return {"status": status, "user": {"id": user, "is_bot": False, "first_name": "?"}}

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {k: v for k, v in params.items() if v is not None} if url else {}
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _set_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        self.commands[params.get("language_code") or ""] = commands
        return True

    def _delete_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(params.get("language_code") or "", None)
        return True


def _kind(update: Mapping[str, Any]) -> str:
    return next(k for k in update if k != "update_id")


def _chat_id(chat: Mapping[str, Any] | int | None) -> int | None:
    if chat is None or isinstance(chat, int):
        return chat
    return int(chat["id"])


async def _params(request: web.Request) -> dict[str, Any]:
    """Query string and body (JSON, form or multipart) as Bot API parameters.

    PTB sends form fields with JSON-encoded non-string values; known string
    parameters (``text``…) are kept as sent, so a text of ``"123"`` stays a string.
    """
    params: dict[str, Any] = {k: _value(k, v) for k, v in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        params.update(body or {})
    elif request.can_read_body:
        form = await request.post()
        params.update({k: _value(k, v) for k, v in form.items() if isinstance(v, str)})
    return params


def _value(key: str, raw: str) -> Any:
    if key in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
