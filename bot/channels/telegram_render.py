"""Telegram ↔ frontdesk, as pure functions: updates to ``Inbound``, actions to messages.

Nothing here does I/O; :mod:`bot.channels.telegram` wires these into
python-telegram-bot. Decisions (also in ``docs/telegram.md``):

* **Conversation key.** A private chat is ``telegram:<chat id>``. In a group each
  member is their own conversation, ``telegram:<chat id>:<user id>``, so two
  people asking in the same group never share a half-finished clarifying
  question; replies quote the member's message so it is clear who is answered.
* **Groups.** A message is answered only when it is addressed to the bot: an
  ``@mention`` of it, a reply to one of its messages, or a command (``/cmd`` or
  ``/cmd@this_bot``; ``/cmd@other_bot`` is not for us). The mention is removed
  from the text before the engine reads it.
* **Edits.** An edited text message is answered as a new message with kind
  ``edit`` (customers edit to fix the question); edits of media and commands
  are ignored.
* **Non-text.** Photos, stickers, voice, video, files… become kind ``photo``,
  ``sticker``, ``voice``, ``video``, ``file``… with the caption as text, so the
  engine stores them and answers that the bot reads text.
* **Escaping.** Messages go out in HTML parse mode and every text is escaped
  with :func:`html.escape`, so a customer's ``<b>`` or ``_x_`` shows literally.
* **Length.** Telegram allows 4096 characters (UTF-16 code units, after entity
  parsing); longer texts are split at a paragraph, line, sentence or space
  boundary before escaping, never inside an escape sequence or a character.
* **Buttons.** Inline keyboards: one choice per row; the five feedback buttons on
  one row. ``callback_data`` is limited to 64 bytes: longer payloads are sent
  as ``#`` + a 22-character hash and mapped back by :class:`CallbackData`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ParseMode

from bot.models import Action, Button, ConversationKey, Inbound, Offer, Reply
from bot.policy import FEEDBACK_PREFIX

PLATFORM = "telegram"
#: Telegram's limit on a message, in UTF-16 code units after entity parsing.
MAX_MESSAGE = 4096
#: Telegram's limit on ``callback_data``, in bytes.
MAX_CALLBACK_DATA = 64
PARSE_MODE = ParseMode.HTML
#: What an empty reply with buttons shows (Telegram rejects empty messages).
EMPTY_TEXT = "…"

#: Attachment attribute → the kind the engine knows; the first one present wins
#: (an animation also carries a ``document``, so it comes first).
ATTACHMENT_KINDS: tuple[tuple[str, str], ...] = (
    ("sticker", "sticker"),
    ("photo", "photo"),
    ("voice", "voice"),
    ("video_note", "video"),
    ("animation", "video"),
    ("video", "video"),
    ("audio", "audio"),
    ("document", "file"),
    ("location", "location"),
    ("venue", "location"),
    ("contact", "contact"),
    ("dice", "sticker"),
    # anything else a customer can send that is not text
    ("poll", "file"),
    ("game", "file"),
    ("story", "file"),
    ("paid_media", "file"),
    ("invoice", "file"),
)

#: What ``/start`` feeds the engine, by the language of the customer's Telegram app.
START_GREETINGS = {"en": "hello", "ko": "안녕하세요", "ja": "こんにちは"}

#: ``/help``, when the content has no ``help`` template; ``{company}`` is filled in.
HELP_TEXTS = {
    "en": (
        "I'm {company}'s assistant. Ask me anything in your own words — in English, "
        "Korean or Japanese — and I'll answer or ask a short question to be sure. "
        "Tap a button when I offer choices. If you'd rather talk to a person from "
        "our team, just say so at any time."
    ),
    "ko": (
        "저는 {company}의 상담 도우미예요. 궁금하신 점을 편하게 물어보세요. 한국어, "
        "영어, 일본어로 답해 드리고, 헷갈릴 때는 짧게 확인 질문을 드릴게요. 선택지가 "
        "나오면 버튼을 눌러 주세요. 직원과 직접 이야기하고 싶으시면 언제든 말씀해 주세요."
    ),
    "ja": (
        "{company}のアシスタントです。ご質問をそのままお書きください。日本語・英語・"
        "韓国語でお答えし、確認が必要なときは短くお尋ねします。選択肢が表示されたら"
        "ボタンを押してください。スタッフとのやり取りをご希望の際は、いつでもお申し付けください。"
    ),
}

#: Descriptions of the bot's commands in the Telegram menu, by language.
COMMAND_DESCRIPTIONS = {
    "en": {"start": "Start a conversation", "help": "What I can do"},
    "ko": {"start": "상담 시작하기", "help": "도움말"},
    "ja": {"start": "会話を始める", "help": "ヘルプ"},
}


# --- inbound ---------------------------------------------------------------------------


def conversation_key(chat: Chat, user: User) -> ConversationKey:
    """``telegram:<chat>`` for a private chat, ``telegram:<chat>:<user>`` in a group."""
    if chat.type == Chat.PRIVATE:
        return ConversationKey(PLATFORM, str(chat.id))
    return ConversationKey(PLATFORM, str(chat.id), str(user.id))


def command_of(message: Message, bot_username: str) -> tuple[str, str] | None:
    """``(command, rest)`` when the message starts with a command for this bot.

    ``/cmd@other_bot`` is for another bot and gives ``None``.
    """
    text = message.text or ""
    entity = next(iter(message.entities), None)
    if entity is None or entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return None
    token = message.parse_entity(entity)[1:]
    command, _, addressee = token.partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    rest = text[len(message.parse_entity(entity)) :].strip()
    return command.lower(), rest


def _mentions(message: Message, bot_username: str) -> bool:
    wanted = "@" + bot_username.lower()
    for found in (
        message.parse_entities([MessageEntity.MENTION]),
        message.parse_caption_entities([MessageEntity.MENTION]),
    ):
        if any(text.lower() == wanted for text in found.values()):
            return True
    for entity in (*message.entities, *message.caption_entities):
        user = entity.user
        if (
            entity.type == MessageEntity.TEXT_MENTION
            and user is not None
            and (user.username or "").lower() == bot_username.lower()
        ):
            return True
    return False


def is_addressed(message: Message, bot_username: str) -> bool:
    """Whether a group message is for the bot: a mention, a reply to it, or a command."""
    if _mentions(message, bot_username):
        return True
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    if author is not None and (author.username or "").lower() == bot_username.lower():
        return True
    return command_of(message, bot_username) is not None


def _strip_mention(text: str, bot_username: str) -> str:
    pattern = re.compile(rf"@{re.escape(bot_username)}\b", re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", pattern.sub("", text)).strip()


def attachment_kind(message: Message) -> str | None:
    """The engine's kind for a non-text message (``photo``, ``sticker``…), if it is one."""
    for attribute, kind in ATTACHMENT_KINDS:
        if getattr(message, attribute, None):
            return kind
    return None


def to_inbound(update: Update, bot_username: str) -> Inbound | None:
    """A message or edited message → :class:`Inbound`; ``None`` when it is not for us."""
    edited = update.message is None
    message = update.message or update.edited_message
    if message is None:
        return None
    user = message.from_user
    if user is None or user.is_bot:
        return None
    private = message.chat.type == Chat.PRIVATE
    if not private and not is_addressed(message, bot_username):
        return None
    command = command_of(message, bot_username)
    kind = attachment_kind(message)
    if kind is not None:
        if edited:
            return None
        text = message.caption or ""
    elif message.text is not None:
        text = message.text
        kind = "edit" if edited else "text"
        if command is not None:
            if edited:
                return None
            name, rest = command
            text, kind = rest or name, "command"
    else:
        return None  # service messages: members joined, pinned, …
    if not private:
        text = _strip_mention(text, bot_username)
    at = (message.edit_date if edited else None) or message.date
    return Inbound(
        key=conversation_key(message.chat, user),
        user=str(user.id),
        text=text,
        name=user.full_name or None,
        handle=user.username,
        at=at,
        message_id=str(message.message_id),
        kind=kind,
    )


def callback_to_inbound(update: Update, *, payloads: CallbackData | None = None) -> Inbound | None:
    """A pressed inline button → :class:`Inbound` with ``button`` set to its payload."""
    query: CallbackQuery | None = update.callback_query
    if query is None or query.data is None or query.message is None:
        return None
    user = query.from_user
    if user.is_bot:
        return None
    payload = payloads.decode(query.data) if payloads is not None else query.data
    return Inbound(
        key=conversation_key(query.message.chat, user),
        user=str(user.id),
        button=payload,
        name=user.full_name or None,
        handle=user.username,
        message_id=f"cb:{query.id}",
        kind="button",
    )


@dataclass(frozen=True, slots=True)
class Target:
    """Where replies to an update go."""

    chat_id: int
    #: The forum topic the update came from, if any.
    thread_id: int | None = None
    #: The message to quote (in groups, so it is clear who is answered).
    reply_to: int | None = None


def target_of(update: Update) -> Target | None:
    """The chat (and topic, and message to quote) that replies to ``update`` go to."""
    query = update.callback_query
    if query is not None and query.message is not None:
        shown = query.message
        topic = None
        if isinstance(shown, Message) and shown.is_topic_message:
            topic = shown.message_thread_id
        return Target(shown.chat.id, topic)
    message = update.message or update.edited_message
    if message is None:
        return None
    thread = message.message_thread_id if message.is_topic_message else None
    private = message.chat.type == Chat.PRIVATE
    return Target(message.chat.id, thread, None if private else message.message_id)


def language_of(user: User | None, languages: Iterable[str]) -> str | None:
    """The user's Telegram app language, if the content speaks it."""
    code = ((user.language_code if user else None) or "").lower().split("-")[0]
    return code if code in set(languages) else None


# --- outbound --------------------------------------------------------------------------


class CallbackData:
    """Button payloads ↔ Telegram ``callback_data`` (at most 64 bytes).

    A payload that fits is sent as it is. A longer one is sent as ``#`` plus a
    hash of it and remembered here (the most recent ``size`` of them). The hash
    is deterministic, so payloads registered at start-up (every FAQ entry's)
    still resolve after a restart; an unknown short id is passed through and the
    engine answers that the button is no longer active.
    """

    def __init__(self, known: Iterable[str] = (), *, size: int = 10_000) -> None:
        self._size = size
        self._long: OrderedDict[str, str] = OrderedDict()
        self._pinned: dict[str, str] = {}
        for payload in known:
            if not fits(payload):
                self._pinned[short_id(payload)] = payload

    def encode(self, payload: str) -> str:
        """The ``callback_data`` for ``payload``."""
        if fits(payload):
            return payload
        data = short_id(payload)
        if data not in self._pinned:
            self._long[data] = payload
            self._long.move_to_end(data)
            while len(self._long) > self._size:
                self._long.popitem(last=False)
        return data

    def decode(self, data: str) -> str:
        """The payload behind ``callback_data`` (the data itself when unknown)."""
        return self._pinned.get(data) or self._long.get(data) or data


def fits(payload: str) -> bool:
    """Whether a payload can be ``callback_data`` as it is."""
    return 1 <= len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA


def short_id(payload: str) -> str:
    """``#`` + 22 URL-safe characters of a hash of ``payload`` (23 bytes)."""
    digest = hashlib.blake2b(payload.encode("utf-8"), digest_size=16).digest()
    return "#" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def keyboard(buttons: tuple[Button, ...], payloads: CallbackData) -> InlineKeyboardMarkup | None:
    """An inline keyboard: one choice per row, feedback ratings on one row."""
    if not buttons:
        return None
    keys = [
        InlineKeyboardButton(b.label or b.payload, callback_data=payloads.encode(b.payload))
        for b in buttons
    ]
    if all(b.payload.startswith(FEEDBACK_PREFIX) for b in buttons):
        return InlineKeyboardMarkup([keys])
    return InlineKeyboardMarkup([[key] for key in keys])


def escape(text: str) -> str:
    """Text safe for HTML parse mode: ``&``, ``<`` and ``>`` escaped."""
    return html.escape(text, quote=False)


Rendered = tuple[str, InlineKeyboardMarkup | None]


def render(action: Action, *, payloads: CallbackData | None = None) -> list[Rendered]:
    """An action → the messages to send, as ``(html_text, reply_markup)``.

    Replies and offers are shown; handoff, end, flag and relay are not for the
    customer (the engine already adds the words) and render to nothing.
    Buttons go under the last part of a split message.
    """
    if not isinstance(action, Reply | Offer):
        return []
    table = payloads if payloads is not None else CallbackData()
    markup = keyboard(action.buttons, table)
    parts = split_text(action.text)
    if not parts:
        return [(EMPTY_TEXT, markup)] if markup is not None else []
    out: list[Rendered] = [(escape(part), None) for part in parts]
    out[-1] = (out[-1][0], markup)
    return out


def help_text(lang: str, company: str) -> str:
    """The built-in ``/help`` text in ``lang`` (English when unknown)."""
    return HELP_TEXTS.get(lang, HELP_TEXTS["en"]).format(company=company or "our company")


# --- splitting -------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n\s*\n"),  # paragraph
    re.compile(r"\n"),  # line
    re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])"),  # sentence
    re.compile(r"\s+"),  # word
)


def _fit(text: str, limit: int) -> int:
    """The longest prefix of ``text`` (in code points) within ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _joins(before: str, after: str) -> bool:
    """Whether cutting between these two characters would break what the reader sees."""
    regional = "\U0001f1e6" <= before <= "\U0001f1ff" and "\U0001f1e6" <= after <= "\U0001f1ff"
    return (
        regional
        or before == "\u200d"  # zero-width joiner: 👩‍💻
        or after in "\u200d\u20e3"  # joiner, keycap: 1️⃣
        or unicodedata.combining(after) != 0
        or unicodedata.category(after) in ("Mn", "Me")
        or "\ufe00" <= after <= "\ufe0f"  # variation selectors
        or "\U0001f3fb" <= after <= "\U0001f3ff"  # skin tones
        or "\U000e0020" <= after <= "\U000e007f"  # tag sequences (subdivision flags)
    )


def _cut(text: str, size: int) -> tuple[int, int]:
    """Where a part of ``text`` ends and the next begins; ``text[:size]`` is what fits."""
    window = text[: size + 1]  # with the next character: a space there is a boundary too
    for pattern in _BOUNDARIES:
        last = None
        for match in pattern.finditer(window):
            if size // 3 < match.start() <= size:
                last = match
        if last is not None:
            return last.start(), last.end()
    end = size
    while end > 1 and _joins(text[end - 1], text[end]):
        end -= 1
    return end, end


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-16 units, at clean boundaries.

    Prefers a paragraph break, then a line break, then a sentence end, then a
    space (in the last two thirds of the part); only a text without any of
    these is cut mid-word, and never inside a character or a combining sequence.
    """
    text = text.strip()
    parts: list[str] = []
    while utf16_len(text) > limit:
        size = max(1, _fit(text, limit))
        end, start = _cut(text, size)
        part = text[:end].rstrip()
        if part:
            parts.append(part)
        text = text[start:].lstrip()
    if text:
        parts.append(text)
    return parts
