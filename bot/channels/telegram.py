"""The Telegram channel: python-telegram-bot around the engine.

Long polling by default; a webhook (its ``secret_token`` checked in constant
time by :mod:`bot.channels.telegram_webhook`) when a public URL is given.
Updates become :class:`~bot.models.Inbound` and actions become messages through
the pure functions of :mod:`bot.channels.telegram_render`.
Replies go through the outbox of :mod:`bot.coord.turns` (in order, retried, a
dead letter when they keep failing); other calls through
:func:`~bot.channels.retry.send_with_retry`. No handler
ever raises (failures are logged with their traceback). With many workers behind
one webhook, the coordinator (:mod:`bot.coord`) serves each ``update_id`` once
and the turns of one chat one at a time. Behind the webhook, Telegram is answered
200 only once the customer's message is kept in the inbox (500 when it cannot be:
Telegram delivers it again), so a worker killed mid-turn loses nothing. See
``docs/telegram.md``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import sys
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from datetime import timedelta
from functools import wraps
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot.app import App
from bot.channels.retry import send_with_retry
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_render import (
    COMMAND_DESCRIPTIONS,
    MAX_MESSAGE,
    PARSE_MODE,
    START_GREETINGS,
    CallbackData,
    Target,
    callback_to_inbound,
    escape,
    help_text,
    language_of,
    render,
    target_of,
    to_inbound,
    utf16_len,
)
from bot.channels.telegram_webhook import WebhookServer
from bot.config import Settings
from bot.errors import ConfigError, FrontdeskError, StoreError
from bot.models import Action, ConversationKey, Inbound, Reply
from bot.policy import FAQ_PREFIX

log = logging.getLogger(__name__)

# Opt in to PTB 22's time periods as ``timedelta`` (``RetryAfter.retry_after`` …): reading
# them as ints is deprecated since 22.2 and warns on every flood-control error otherwise.
os.environ.setdefault("PTB_TIMEDELTA", "true")

#: The updates the bot asks Telegram for (others are never delivered).
ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY)
#: "typing…" shows only for a turn slower than this, in seconds (a quick reply needs none).
TYPING_DELAY = 0.5
#: Telegram shows "typing…" for 5 seconds; it is renewed this often while the engine works.
TYPING_EVERY = 4.5
#: How long the reply waits for a "typing…" already on its way, so it never lands after the reply.
TYPING_SETTLE = 1.0
#: How long a long-poll ``getUpdates`` waits for updates, in seconds.
POLL_TIMEOUT = 30.0
#: On shutdown, how long turns in progress may take to finish, in seconds.
DRAIN_TIMEOUT = 10.0
#: How long the webhook waits for an update to be kept before answering 500 (Telegram then
#: delivers it again; the inbox drops the repeat if it was kept meanwhile), in seconds.
KEEP_TIMEOUT = 20.0
#: Keyboards remembered as answered (one press per keyboard).
PRESSED_MEMORY = 10_000
TOKEN_FORMAT = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

TelegramApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
Context: TypeAlias = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")


class NotKeptYet(FrontdeskError):
    """Another worker took the update and has not kept it yet (Telegram should ask again)."""


# --- retries ---------------------------------------------------------------------------


def retry_after_seconds(exc: Exception) -> float | None:
    """Telegram's requested wait for a 429, in seconds (an int or a timedelta in PTB 22)."""
    if not isinstance(exc, RetryAfter):
        return None
    with warnings.catch_warnings():
        # reading it as an int is deprecated since PTB 22.2 unless PTB_TIMEDELTA is set
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_retryable(exc: Exception) -> bool:
    """Flood control, time-outs and network errors are retried; a bad request is permanent."""
    if isinstance(exc, RetryAfter | TimedOut):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


async def _with_retry(call: Callable[[], Awaitable[T]], what: str, attempts: int = 5) -> T:
    return await send_with_retry(
        call,
        what=what,
        retry_after=retry_after_seconds,
        retryable=is_retryable,
        attempts=attempts,
    )


Handler: TypeAlias = Callable[["TelegramChannel", Update, Context], Coroutine[Any, Any, None]]


def _guarded(handler: Handler) -> Handler:
    """One customer's failure never escapes: it is logged with its traceback. An update
    that could not be kept (the database is down) is refused to a waiting webhook
    (Telegram delivers it again) and its claim given up, so that the repeat is served."""

    @wraps(handler)
    async def guarded(self: TelegramChannel, update: Update, context: Context) -> None:
        once = f"telegram:{update.update_id}"
        if not await self.coord.claim(once):
            if self._waits(update) and not await self.coord.settled(once):
                # taken by a worker that has not kept it yet, or died first: ask again later
                log.info("telegram: update %s is being taken elsewhere", update.update_id)
                self._kept(update, NotKeptYet(f"update {update.update_id} is not kept yet"))
            else:
                log.info("telegram: update %s delivered again; already taken", update.update_id)
                self._kept(update)
            return
        self._busy += 1
        self._idle.clear()
        refused = False
        try:
            await handler(self, update, context)
        except StoreError as exc:
            # not kept (else it is settled already and this changes nothing): a repeat
            # must find the update free; a waiting webhook answers 500 to ask for it
            refused = True
            await self.coord.release(once)
            if self._waits(update):
                log.warning("telegram: update %s not kept, Telegram will deliver it again: %s",
                            update.update_id, exc)  # fmt: skip
                self._kept(update, exc)
            else:
                log.exception(
                    "telegram: %s failed for update %s", handler.__name__, update.update_id
                )
        except Exception:
            log.exception("telegram: %s failed for update %s", handler.__name__, update.update_id)
        finally:
            if not refused and update.update_id not in self._settled:
                await self.coord.settle(once)
            self._settled.discard(update.update_id)
            if not refused:
                self._kept(update)
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    return guarded


# --- the channel -----------------------------------------------------------------------


class TelegramChannel:
    """Handlers that turn Telegram updates into engine turns and send the replies."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.engine = app.engine
        # every FAQ button's payload is known up front, so long ones survive a restart
        self.payloads = CallbackData(f"{FAQ_PREFIX}{faq_id}" for faq_id in app.content.faq)
        self.coord = app.coord
        self.turns = app.turns
        self._pressed: OrderedDict[tuple[int, int], None] = OrderedDict()
        #: The webhook's requests waiting for their update to be kept, by ``id(update)``.
        self._waiting: dict[int, asyncio.Future[None]] = {}
        #: Updates being handled that are settled already (kept in the inbox).
        self._settled: set[int] = set()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        #: The agents' desk when it is a Telegram group (bot.handoff.telegram_desk).
        self.desk_room: Any = None

    @property
    def languages(self) -> tuple[str, ...]:
        """The content's languages, as of the last reload."""
        return tuple(self.app.content.languages)

    async def drain(self) -> None:
        """Wait until no update is being handled (every reply of every turn is sent)."""
        await self._idle.wait()

    def install(self, application: TelegramApp) -> None:
        """Register the handlers (first match wins) and the error handler."""
        only_new = filters.UpdateType.MESSAGE
        application.add_handler(CommandHandler("start", self.on_start, filters=only_new))
        application.add_handler(CommandHandler("help", self.on_help, filters=only_new))
        application.add_handler(MessageHandler(filters.UpdateType.MESSAGES, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_callback))
        # after the handler above (or none) is done: a waiting webhook may answer now
        application.add_handler(TypeHandler(Update, self._handled), group=1)
        application.add_error_handler(self.on_error)

    # the webhook's answer ---------------------------------------------------

    def submitter(
        self, queue: asyncio.Queue[object]
    ) -> Callable[[Update], Coroutine[Any, Any, None]]:
        """For the webhook: put an update on PTB's ``queue`` and return once the customer's
        message is kept in the inbox (or once the update is handled, when it is no turn);
        raise when it could not be kept, or not within ``KEEP_TIMEOUT``."""

        async def submit(update: Update) -> None:
            kept: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting[id(update)] = kept
            try:
                await queue.put(update)
                await asyncio.wait_for(kept, KEEP_TIMEOUT)
            finally:
                self._waiting.pop(id(update), None)

        return submit

    def _waits(self, update: Update) -> bool:
        """Whether a webhook request still waits for ``update`` to be kept."""
        waiting = self._waiting.get(id(update))
        return waiting is not None and not waiting.done()

    def _kept(self, update: Update, error: Exception | None = None) -> None:
        """Tell the webhook waiting for ``update`` (if any) that it is kept, or with ``error``
        that it could not be (Telegram is answered 500 and delivers it again)."""
        if self._waits(update):
            waiting = self._waiting[id(update)]
            if error is None:
                waiting.set_result(None)
            else:
                waiting.set_exception(error)

    async def _handled(self, update: Update, context: Context) -> None:
        self._kept(update)

    # handlers ---------------------------------------------------------------

    @_guarded
    async def on_message(self, update: Update, context: Context) -> None:
        """Text, edited text, media and other commands."""
        if self.desk_room is not None and await self.desk_room.on_update(update):
            return
        inbound = to_inbound(update, context.bot.username)
        target = target_of(update)
        if inbound is not None and target is not None:
            await self.turn(context.bot, inbound, target, update)

    @_guarded
    async def on_start(self, update: Update, context: Context) -> None:
        """``/start``: the engine is greeted in the language of the customer's app."""
        inbound = to_inbound(update, context.bot.username)
        target = target_of(update)
        if inbound is None or target is None:
            return
        lang = language_of(update.effective_user, self.languages)
        lang = lang or await self._conversation_language(inbound) or self.languages[0]
        greeting = START_GREETINGS.get(lang, START_GREETINGS["en"])
        greet = replace(inbound, text=greeting, kind="command")
        await self.turn(context.bot, greet, target, update)

    @_guarded
    async def on_help(self, update: Update, context: Context) -> None:
        """``/help``: what the bot can do, in the customer's language (the content's
        ``help`` template when it has one, else a built-in text)."""
        inbound = to_inbound(update, context.bot.username)
        target = target_of(update)
        if inbound is None or target is None:
            return
        lang = await self._conversation_language(inbound)
        lang = lang or language_of(update.effective_user, self.languages) or self.languages[0]
        renderer = self.engine.renderer
        company = renderer.render("company_name", lang)
        if renderer.has("help"):
            text = renderer.render("help", lang, name=inbound.name, company=company)
        else:
            text = help_text(lang, company)
        await self.deliver(inbound.key, [Reply(text=text)], route=_route(target))

    @_guarded
    async def on_callback(self, update: Update, context: Context) -> None:
        """A pressed inline button: always answered; each keyboard takes one press."""
        query = update.callback_query
        if query is None:
            return
        if self.desk_room is not None and await self.desk_room.on_update(update):
            return
        bot = context.bot
        inbound = callback_to_inbound(update, payloads=self.payloads)
        target = target_of(update)
        jobs: list[Awaitable[None]] = []
        if inbound is not None and target is not None and self._first_press(query):
            try:
                kept = await self.keep(inbound, target, update)  # before anything is shown
            except StoreError:
                self._forget_press(query)
                raise
            jobs.append(self._mark_chosen(bot, query))
            if kept:
                jobs.append(self.serve(bot, inbound, target))
        jobs.append(self._answer(query))
        for outcome in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("telegram: a button press failed", exc_info=outcome)

    async def on_error(self, update: object, context: Context) -> None:
        """Whatever python-telegram-bot caught: logged with its traceback."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram: update %s failed", update_id, exc_info=context.error)

    # a turn -----------------------------------------------------------------

    async def turn(self, bot: Bot, inbound: Inbound, target: Target, update: Update) -> None:
        """Keep the message, run the engine (showing "typing…"), send its replies in order."""
        if await self.keep(inbound, target, update):
            await self.serve(bot, inbound, target)

    async def keep(self, inbound: Inbound, target: Target, update: Update) -> bool:
        """Keep the message in the inbox (the webhook may then answer Telegram); False for
        a re-delivery. Raises :class:`StoreError` when the database is down."""
        once = f"telegram:{update.update_id}"
        accepted = await self.turns.accept(once, inbound, _route(target))
        await self.coord.settle(once)  # from now on the inbox has it, whatever happens here
        self._settled.add(update.update_id)
        self._kept(update)
        return accepted

    async def serve(self, bot: Bot, inbound: Inbound, target: Target) -> None:
        """Run the conversation's waiting messages (showing "typing…") and send the replies."""
        async with self._typing(bot, target) as typed:
            await self.turns.serve(str(inbound.key), before_send=typed)

    async def deliver(
        self, key: ConversationKey, actions: list[Action], *, route: Mapping[str, Any] | None = None
    ) -> None:
        """Send what is for the customer (an agent's message, /help), in order with the
        conversation's replies; the rest (handoff, end, flag, relay) is only logged."""
        await self.turns.send(key, actions, route)

    @asynccontextmanager
    async def _typing(
        self, bot: Bot, target: Target
    ) -> AsyncIterator[Callable[[], Awaitable[None]]]:
        """Show "typing…" while the block runs, from :data:`TYPING_DELAY` on. The block gets
        a function to call before replying that stops it: a "typing…" not sent yet never
        is, one on its way is waited for (up to :data:`TYPING_SETTLE`) so it arrives first."""
        sending = False  # the first "typing…" has left
        first = asyncio.Event()  # … and has been answered (or failed)

        async def keep_typing() -> None:
            nonlocal sending
            await asyncio.sleep(TYPING_DELAY)
            while True:
                sending = True
                try:
                    await bot.send_chat_action(
                        target.chat_id, ChatAction.TYPING, message_thread_id=target.thread_id
                    )
                except TelegramError as exc:  # cosmetic: never retried, never fatal
                    log.debug("telegram: typing indicator for %s failed: %s", target.chat_id, exc)
                finally:
                    first.set()
                await asyncio.sleep(TYPING_EVERY)

        async def stop() -> None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

        async def typed() -> None:
            if sending:
                with suppress(TimeoutError):
                    await asyncio.wait_for(first.wait(), TYPING_SETTLE)
            await stop()

        task = asyncio.create_task(keep_typing())
        try:
            yield typed
        finally:
            await stop()

    # buttons ----------------------------------------------------------------

    def _first_press(self, query: CallbackQuery) -> bool:
        """Whether this is the first press on its keyboard (double taps are ignored)."""
        key = _keyboard(query)
        if key is None:
            return True
        if key in self._pressed:
            return False
        self._pressed[key] = None
        while len(self._pressed) > PRESSED_MEMORY:
            self._pressed.popitem(last=False)
        return True

    def _forget_press(self, query: CallbackQuery) -> None:
        """The press was not kept: its re-delivery counts as the first press."""
        key = _keyboard(query)
        if key is not None:
            self._pressed.pop(key, None)

    async def _answer(self, query: CallbackQuery) -> None:
        """Stop the button's spinner (Telegram expects it for every press)."""
        try:
            await _with_retry(query.answer, f"the answer to callback {query.id}", attempts=3)
        except TelegramError:
            log.warning("telegram: callback %s was not answered", query.id)

    async def _mark_chosen(self, bot: Bot, query: CallbackQuery) -> None:
        """Replace the keyboard by a note of the choice, so the chat shows what was picked."""
        shown = query.message
        if not isinstance(shown, Message) or shown.reply_markup is None:
            return
        label = next(
            (
                button.text
                for row in shown.reply_markup.inline_keyboard
                for button in row
                if button.callback_data == query.data
            ),
            None,
        )
        text = f"{shown.text or ''}\n\n✓ {label}".strip() if label else ""
        try:
            if text and shown.text and utf16_len(text) <= MAX_MESSAGE:
                await _with_retry(
                    lambda: shown.edit_text(escape(text), parse_mode=PARSE_MODE),
                    f"the choice on message {shown.message_id}",
                    attempts=3,
                )
            else:
                await _with_retry(
                    lambda: shown.edit_reply_markup(None),
                    f"the keyboard of message {shown.message_id}",
                    attempts=3,
                )
        except TelegramError:
            pass  # logged by send_with_retry; the keyboard merely stays

    async def _conversation_language(self, inbound: Inbound) -> str | None:
        conv = await self.engine.conversation(str(inbound.key))
        lang = conv.language if conv is not None else None
        return lang if lang in self.languages else None

    async def set_commands(self, bot: Bot) -> None:
        """The /start and /help menu, described in each language of the content."""
        for lang in self.languages:
            names = COMMAND_DESCRIPTIONS.get(lang)
            if names is None:
                continue
            commands = [BotCommand(command, about) for command, about in names.items()]
            code = None if lang == self.languages[0] else lang
            try:
                await _with_retry(
                    _command_setter(bot, commands, code), "the command menu", attempts=2
                )
            except TelegramError:
                log.warning("telegram: could not set the command menu for %s", lang)


def _keyboard(query: CallbackQuery) -> tuple[int, int] | None:
    """The message whose keyboard was pressed (None when Telegram no longer shows it)."""
    shown = query.message
    return (shown.chat.id, shown.message_id) if isinstance(shown, Message) else None


def _route(target: Target) -> dict[str, Any]:
    """Where replies go beyond the conversation key: the chat, the topic, the quote."""
    return {"chat_id": target.chat_id, "thread_id": target.thread_id, "reply_to": target.reply_to}


class TelegramCourier:
    """The Telegram side of :class:`~bot.coord.turns.Turns`: HTML parts and keyboards out."""

    def __init__(self, channel: TelegramChannel, bot: Bot) -> None:
        self.channel, self.bot = channel, bot

    async def prepare(self, inbound: Inbound) -> Inbound:
        return inbound

    def render(self, key: str, route: Mapping[str, Any], action: Action) -> list[dict[str, Any]]:
        parts = render(action, payloads=self.channel.payloads)
        if not parts:
            # not for the customer's eyes: the engine already said what they should read
            log.info("telegram: %s in %s", action.type, key)
        chat_id = route.get("chat_id") or int(key.split(":")[1])
        quote = route.get("reply_to")
        out = []
        for text, markup in parts:
            out.append(
                {
                    "chat_id": chat_id,
                    "text": text,
                    "thread_id": route.get("thread_id"),
                    "reply_to": quote,
                    "markup": markup.to_dict() if markup is not None else None,
                }
            )
            quote = None  # only the first part quotes the customer's message
        return out

    async def send(self, message: Mapping[str, Any]) -> None:
        markup = message.get("markup")
        quote = message.get("reply_to")
        await self.bot.send_message(
            chat_id=message["chat_id"],
            text=message["text"],
            parse_mode=PARSE_MODE,
            reply_markup=InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None,
            message_thread_id=message.get("thread_id"),
            reply_parameters=ReplyParameters(quote, allow_sending_without_reply=True)
            if quote
            else None,
        )

    def retryable(self, exc: Exception) -> bool:
        return is_retryable(exc)

    def retry_after(self, exc: Exception) -> float | None:
        return retry_after_seconds(exc)


def _command_setter(
    bot: Bot, commands: list[BotCommand], code: str | None
) -> Callable[[], Awaitable[bool]]:
    return lambda: bot.set_my_commands(commands, language_code=code)


# --- serving ---------------------------------------------------------------------------


def file_url(base_url: str) -> str:
    """The Bot API file URL next to ``base_url`` (``…/bot`` → ``…/file/bot``)."""
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("/bot") else base_url


def build_application(channel: TelegramChannel, settings: Settings) -> TelegramApp:
    """A python-telegram-bot ``Application`` with the channel's handlers installed."""
    token = settings.require("telegram_bot_token")
    if not TOKEN_FORMAT.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and the secret "
            "(123456789:AA…), as BotFather gives it"
        )
    application: TelegramApp = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url(settings.telegram_api_base_url))
        .concurrent_updates(True)  # other chats go on while one waits; one chat stays in order
        .get_updates_read_timeout(10.0)  # on top of the long-poll timeout
        .request(AiohttpRequest())  # half the CPU of PTB's httpx per call
        .build()
    )
    channel.install(application)
    channel.turns.couriers["telegram"] = TelegramCourier(channel, application.bot)
    return application


async def serve_telegram(
    app: App,
    settings: Settings,
    *,
    webhook_url: str | None,
    host: str,
    port: int,
    poll_timeout: float = POLL_TIMEOUT,
    channel: TelegramChannel | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve Telegram until cancelled: long polling, or a webhook at ``webhook_url``.

    The webhook listens on ``host:port`` at the URL's path and rejects requests
    without ``TELEGRAM_WEBHOOK_SECRET`` (403). Raises :class:`ConfigError` for a
    missing, malformed or rejected token or secret. When cancelled, it stops
    taking updates, lets the turns in progress finish (up to ``DRAIN_TIMEOUT``)
    and stops. ``channel`` may be passed in to watch it (benchmarks, tests);
    ``sock`` is a listening socket shared by many workers (instead of ``host:port``).
    """
    secret = None
    if webhook_url:
        secret = settings.require("telegram_webhook_secret")
        if not SECRET_FORMAT.match(secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is malformed: use 1–256 characters A–Z, a–z, 0–9, _ or -"
            )
    channel = channel or TelegramChannel(app)
    application = build_application(channel, settings)
    if app.desk is not None:
        from bot.handoff.telegram_desk import attach_channel

        attach_channel(app.desk, channel, application.bot)  # agents' messages, a group desk
    try:
        async with application:
            await _run(application, channel, webhook_url, secret, (host, port, sock), poll_timeout)
    except InvalidToken:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN was rejected by Telegram: copy it again from @BotFather"
        ) from None
    except BadRequest as exc:  # e.g. "bad webhook: An HTTPS URL must be provided for webhook"
        raise FrontdeskError(f"Telegram refused to set up the bot: {exc}") from None
    except NetworkError as exc:
        raise FrontdeskError(
            f"cannot reach the Telegram Bot API at {settings.telegram_api_base_url}: {exc}"
        ) from None
    finally:
        await application.bot.shutdown()  # PTB leaves it open when start-up failed half-way


async def _run(
    application: TelegramApp,
    channel: TelegramChannel,
    webhook_url: str | None,
    secret: str | None,
    where: tuple[str, int, socket.socket | None],
    poll_timeout: float,
) -> None:
    updater = application.updater
    assert updater is not None  # built with the default updater
    await channel.set_commands(application.bot)
    host, port, sock = where
    server: WebhookServer | None = None
    if webhook_url:
        assert secret  # serve_telegram refuses a webhook without one
        server = WebhookServer(
            application.bot,
            channel.submitter(application.update_queue),
            path=urlsplit(webhook_url).path,
            secret=secret,
        )
        try:
            await server.start(host, port, sock)
        except OSError as exc:
            raise FrontdeskError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        try:
            await _with_retry(
                lambda: application.bot.set_webhook(
                    webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
                ),
                "the webhook",
                attempts=3,
            )
        except BaseException:
            await server.stop()
            raise
        mode = f"webhook {webhook_url} (listening on {host}:{port})"
    else:
        await updater.start_polling(
            timeout=timedelta(seconds=poll_timeout),
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=3,
        )
        mode = "long polling"
    await application.start()
    print(f"Telegram: @{application.bot.username} answering by {mode}", file=sys.stderr)
    try:
        await asyncio.get_running_loop().create_future()  # until cancelled
    finally:
        if updater.running:
            await updater.stop()
        if server is not None:
            await server.stop()
        with suppress(TimeoutError):
            await asyncio.wait_for(channel.drain(), DRAIN_TIMEOUT)
        if application.running:
            await application.stop()
