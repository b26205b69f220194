"""The agents' desk in a Telegram group.

Each ticket is posted as its note with an inline **Claim** button; once
claimed the note is edited in place (who, when) and shows **Return to bot**
and **Resolve**. The customer's messages come in as replies to the note; an
agent's *reply* to any ticket message goes to the customer (a leading ``//``
keeps it an internal note); ``/claim T1``, ``/release``, ``/return``,
``/resolve`` and ``/transcript`` work as commands (with the ticket code, or as
a reply to a ticket message). Anything else said in the group stays there.

Every desk message names its ticket (``T12``), so a reply is matched to its
ticket by the replied-to text — nothing to remember across a restart.

Desk messages are plain text (no parse mode), so a customer's ``<a href>`` or
``<b>`` shows literally; in what customers wrote (relays, notes, transcripts,
notices) an ``@name`` or ``/command`` at the start of a word gets an invisible
word joiner after its first character (:func:`defang`), so it neither pings a
member of the group nor turns into a command an agent could tap by mistake.

Who may act: messages and commands count only in the desk group (Telegram
lets only members post there); a button press must also come from a member
(``getChatMember``, cached for a minute: in a public group anyone can press a
button); and, when ``desk.agents`` is set, from someone on that list, by user
id or ``@username``. A refused press gets a private alert; a refused command a
reply in the group. Nothing changes.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import TelegramError

from bot.channels.telegram import TelegramChannel
from bot.handoff.desk import Desk, DeskEvent, Outcome
from bot.handoff.repository import Ticket
from bot.models import Action, ConversationKey

log = logging.getLogger(__name__)

PLATFORM = "telegram"
CALLBACK = "desk:"
COMMANDS = {"claim", "release", "return", "resolve", "transcript", "note", "save_faq"}
CODE = re.compile(r"\bT(\d+)\b")
_ENTITY = re.compile(r"(^|\s)([@/])(?=\w)")
#: U+2060 WORD JOINER: invisible, and breaks Telegram's @mention and /command detection.
JOINER = "\u2060"
MAX_TEXT = 4000
#: How long a member check is trusted, in seconds.
MEMBER_TTL = 60.0
MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})
NOT_IN_GROUP = "only members of the agents' desk group can act on tickets"
BUTTONS = {
    "queued": (("🙋 Claim", "claim"),),
    "claimed": (("↩ Return to bot", "return"), ("✅ Resolve", "resolve")),
    "resolved": (("💾 Save as FAQ", "save_faq"),),
}


def code_in(text: str | None) -> str | None:
    """The first ticket code in a desk message (``T12``)."""
    match = CODE.search(text or "")
    return f"T{match.group(1)}" if match else None


def defang(text: str) -> str:
    """Customer text for the group: ``@name`` and ``/command`` can no longer ping or run."""
    return _ENTITY.sub(lambda m: f"{m.group(1)}{m.group(2)}{JOINER}", text)


def keyboard(ticket: Ticket) -> InlineKeyboardMarkup | None:
    """The note's buttons for the ticket's state."""
    rows = BUTTONS.get(ticket.status)
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"{CALLBACK}{act}:{ticket.code}")]
         for label, act in rows]
    )  # fmt: skip


def parse_command(text: str) -> tuple[str, str, str] | None:
    """``/resolve@bot T3 rest`` → ``("resolve", "T3", "rest")``; ``None`` for other text."""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if name not in COMMANDS:
        return None
    rest = rest.strip()
    code = code_in(rest.split(" ", 1)[0]) if rest else None
    if code is not None:
        rest = rest.split(" ", 1)[1] if " " in rest else ""
    return name, code or "", rest


def target_chat(key: str) -> int:
    """``telegram:<chat>[:<user>]`` → the chat id to write to."""
    return int(key.split(":")[1])


class TelegramDesk:
    """The desk protocol on a Telegram group."""

    def __init__(self, desk: Desk, chat_id: int, bot: Bot) -> None:
        self.desk = desk
        self.chat_id = chat_id
        self.bot = bot
        self._checked: dict[int, tuple[float, bool]] = {}

    # desk events → the group ----------------------------------------------------

    async def on_event(self, event: DeskEvent) -> None:
        ticket = event.ticket
        note_id = (ticket.desk_refs.get(PLATFORM) or {}).get("note")
        if event.event == "ticket":
            shown = await self._send(
                f"{defang(event.text)}\n{ticket.state_line()}", keyboard(ticket)
            )
            refs = {**ticket.desk_refs, PLATFORM: {"chat": self.chat_id, "note": shown.message_id}}
            await self.desk.repository.update(ticket.id, desk_refs=refs)
        elif event.event == "relay":
            await self._send(f"{ticket.code} · 👤 {defang(event.text)}", None, reply_to=note_id)
        elif event.event == "follow_up":
            await self._send(f"{ticket.code} ⏰ follow-up: {event.text}", None, reply_to=note_id)
        elif event.event in ("claimed", "released", "returned", "resolved") and note_id:
            fresh = await self.desk.repository.get(ticket.id) or ticket
            text = f"{defang(fresh.note)}\n{fresh.state_line()}"[:MAX_TEXT]
            try:
                await self.bot.edit_message_text(
                    text, chat_id=self.chat_id, message_id=note_id, reply_markup=keyboard(fresh)
                )
            except TelegramError:
                log.exception("telegram desk: the note of %s was not updated", ticket.code)

    async def on_notice(self, text: str) -> None:
        """A notice with no ticket (``⚠ abuse …``), as its own message in the group."""
        await self._send(defang(text), None)

    async def _send(
        self, text: str, markup: InlineKeyboardMarkup | None, *, reply_to: int | None = None
    ) -> Message:
        return await self.bot.send_message(
            self.chat_id,
            text[:MAX_TEXT],
            reply_markup=markup,
            reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to
            else None,
        )

    # the group → the desk -----------------------------------------------------------

    async def on_update(self, update: Update) -> bool:
        """Handle an update from the desk group; ``True`` when it was the desk's."""
        chat = update.effective_chat
        if chat is None or chat.id != self.chat_id:
            return False
        query = update.callback_query
        if query is not None:
            await self._pressed(query.data or "", query)
            return True
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return True
        text = message.text or ""
        replied = message.reply_to_message
        context_code = code_in(replied.text) if replied is not None else None
        command = parse_command(text)
        if command is not None:
            action, code, rest = command
            code = code or context_code or ""
        elif context_code is not None and text:
            action, code, rest = "reply", context_code, text
        else:
            return True  # agents talking among themselves: never sent anywhere
        if not code:
            await self._send(
                f"✗ which ticket? e.g. /{action} T1", None, reply_to=message.message_id
            )
            return True
        user = message.from_user
        outcome = await self.desk.act(
            str(user.id), code, action, rest, name=user.full_name, handle=user.username
        )
        await self._report(outcome, message.message_id)
        return True

    async def _pressed(self, data: str, query: Any) -> None:
        if not data.startswith(CALLBACK):
            await query.answer()
            return
        action, _, code = data[len(CALLBACK) :].partition(":")
        user = query.from_user
        if not await self.is_member(user.id):
            log.warning(
                "telegram desk: %s pressed %s on %s: not in the group", user.id, action, code
            )
            outcome = Outcome(error=NOT_IN_GROUP)
        else:
            outcome = await self.desk.act(
                str(user.id), code, action, name=user.full_name, handle=user.username
            )
        try:
            await query.answer(outcome.error or f"{code}: {action}", show_alert=bool(outcome.error))
        except TelegramError:
            log.warning("telegram desk: callback %s was not answered", query.id)
        await self.desk.deliver(outcome)

    async def is_member(self, user_id: int) -> bool:
        """Whether ``user_id`` is in the desk group (``getChatMember``, cached a minute)."""
        now = time.monotonic()
        hit = self._checked.get(user_id)
        if hit is not None and now - hit[0] < MEMBER_TTL:
            return hit[1]
        try:
            member = await self.bot.get_chat_member(self.chat_id, user_id)
        except TelegramError as exc:
            log.warning("telegram desk: getChatMember for %s failed: %s", user_id, exc)
            return False  # not cached: the next press asks again
        inside = member.status in MEMBER_STATUSES or bool(getattr(member, "is_member", False))
        if len(self._checked) > 10_000:
            self._checked.clear()
        self._checked[user_id] = (now, inside)
        return inside

    async def _report(self, outcome: Outcome, reply_to: int) -> None:
        if outcome.error:
            await self._send(f"✗ {defang(outcome.error)}", None, reply_to=reply_to)
        for event in outcome.events:
            if event.event == "transcript":
                await self._send(f"{event.ticket.code} transcript\n{defang(event.text)}", None)
            elif event.event == "faq_draft":
                await self._send(f"{event.ticket.code} 💾 draft FAQ saved: {event.text}", None)
        await self.desk.deliver(outcome)


def attach(desk: Desk, chat_id: int, bot: Bot) -> TelegramDesk:
    """Show the desk's events in the Telegram group ``chat_id``."""
    room = TelegramDesk(desk, chat_id, bot)
    desk.listeners.append(room.on_event)
    desk.notice_listeners.append(room.on_notice)
    return room


def attach_channel(desk: Desk, channel: TelegramChannel, bot: Bot) -> None:
    """From ``serve_telegram``: Telegram customers get agents' messages; and when the
    desk is a Telegram group, the group's updates go to the desk."""

    async def send(key: str, actions: list[Action]) -> None:
        platform, chat, *thread = key.split(":")
        await channel.deliver(ConversationKey(platform, chat, *thread[:1]), actions)

    desk.deliverers[PLATFORM] = send
    where = desk.settings.desk
    if where.platform == PLATFORM and where.channel:
        channel.desk_room = attach(desk, int(where.channel), bot)
