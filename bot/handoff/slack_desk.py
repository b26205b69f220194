"""The agents' desk in a Slack channel.

Each ticket is posted as its note with **Claim**; claiming updates the note in
place (who, when) and its buttons become **Return to bot**, **Resolve** and
**Release**. The customer's messages come into the note's thread; an agent's
reply in the thread goes to the customer (a leading ``//`` keeps it an
internal note). **Transcript** posts the whole conversation in the thread.
Anything said outside a ticket's thread stays in the channel.

Everything shown here that a customer (or an agent) wrote goes out as
``plain_text`` blocks with an escaped fallback, so nothing pings ``@channel``,
mentions anyone, formats or hides a link. An agent's reply is Slack markup;
it reaches the customer as plain text with every labelled link's address shown.

Who may act: a message counts only in the desk channel (Slack lets only
members post there); a button press must come from the desk channel and from
one of its members (``conversations.members``, cached for a minute: anyone in
the workspace can press a button in a public channel they merely preview);
and, when ``desk.agents`` is set, from someone on that list. A refusal is an
ephemeral message to the person alone and changes nothing.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.channels.slack import SlackChannel
from bot.channels.slack_blocks import escape, shorten, split_text
from bot.channels.slack_events import plain_text
from bot.handoff.desk import Desk, DeskEvent, Outcome
from bot.handoff.repository import Ticket
from bot.models import Action, ConversationKey

log = logging.getLogger(__name__)

PLATFORM = "slack"
ACTION_PREFIX = "fd_desk_"
ACTION_ID = re.compile(rf"^{ACTION_PREFIX}(claim|release|return|resolve|transcript|save_faq)$")
MAX_SECTION = 2900
MAX_BLOCKS = 50
#: How long the desk channel's member list is trusted, in seconds.
MEMBERS_TTL = 60.0
NOT_IN_CHANNEL = "only members of the agents' desk channel can act on tickets"
CANNOT_CHECK = "could not check that you are in the agents' desk channel; please try again"
#: The notification fallback: a preview, escaped (at most 5 characters per character).
MAX_FALLBACK = 500
BUTTONS = {
    "queued": (("🙋 Claim", "claim", "primary"), ("Transcript", "transcript", "")),
    "claimed": (
        ("↩ Return to bot", "return", ""),
        ("✅ Resolve", "resolve", "primary"),
        ("Release", "release", ""),
        ("Transcript", "transcript", ""),
    ),
    "resolved": (("💾 Save as FAQ", "save_faq", ""), ("Transcript", "transcript", "")),
}


def note_blocks(ticket: Ticket) -> list[dict[str, Any]]:
    """The note as Block Kit: the note, its state, and the buttons for that state."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "plain_text", "text": ticket.note[:MAX_SECTION]}},
        {"type": "context", "elements": [{"type": "plain_text", "text": ticket.state_line()}]},
    ]
    buttons = []
    for label, act, style in BUTTONS.get(ticket.status, ()):
        button: dict[str, Any] = {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{act}",
            "text": {"type": "plain_text", "text": label},
            "value": ticket.code,
        }
        if style:
            button["style"] = style
        buttons.append(button)
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"fd_desk_{ticket.code}", "elements": buttons}
        )
    return blocks


def plain(text: str) -> dict[str, Any]:
    """``chat.postMessage`` arguments showing ``text`` literally: ``plain_text`` sections
    (no mentions, links or formatting) and an escaped notification fallback."""
    sections = [
        {"type": "section", "text": {"type": "plain_text", "text": piece, "emoji": True}}
        for piece in split_text(text, MAX_SECTION)
    ][:MAX_BLOCKS]
    fallback = escape(shorten(text.strip(), MAX_FALLBACK)) or "…"
    return {"text": fallback, "blocks": sections} if sections else {"text": fallback}


def conversation_key(key: str) -> ConversationKey:
    """``slack:<channel>[:<thread>]`` → the key the Slack channel replies to."""
    parts = key.split(":")
    return ConversationKey(parts[0], parts[1], parts[2] if len(parts) > 2 else "")


class SlackDesk:
    """The desk protocol on a Slack channel."""

    def __init__(self, desk: Desk, channel_id: str, channel: SlackChannel) -> None:
        self.desk = desk
        self.channel_id = channel_id
        self.slack = channel
        self.client = channel.client
        self._threads: dict[str, int] = {}  # note ts → ticket id
        self._members: tuple[float, frozenset[str]] | None = None

    # desk events → the channel ------------------------------------------------------

    async def on_event(self, event: DeskEvent) -> None:
        ticket = event.ticket
        ts = (ticket.desk_refs.get(PLATFORM) or {}).get("ts")
        if event.event == "ticket":
            posted = await self.client.chat_postMessage(
                channel=self.channel_id,
                text=escape(ticket.note[:MAX_SECTION]),
                blocks=note_blocks(ticket),
            )
            ts = str(posted["ts"])
            self._threads[ts] = ticket.id
            refs = {**ticket.desk_refs, PLATFORM: {"channel": self.channel_id, "ts": ts}}
            await self.desk.repository.update(ticket.id, desk_refs=refs)
        elif event.event in ("relay", "follow_up") and ts:
            mark = "👤" if event.event == "relay" else "⏰ follow-up:"
            await self._thread(ts, f"{mark} {event.text}")
        elif event.event in ("claimed", "released", "returned", "resolved") and ts:
            fresh = await self.desk.repository.get(ticket.id) or ticket
            await self.client.chat_update(
                channel=self.channel_id,
                ts=ts,
                text=escape(f"{fresh.code}: {fresh.state_line()}"),
                blocks=note_blocks(fresh),
            )

    async def on_notice(self, text: str) -> None:
        """A notice with no ticket (``⚠ abuse …``), as its own message in the channel."""
        await self.client.chat_postMessage(channel=self.channel_id, **plain(text))

    async def _thread(self, ts: str, text: str) -> None:
        await self.client.chat_postMessage(channel=self.channel_id, thread_ts=ts, **plain(text))

    # the channel → the desk -------------------------------------------------------------

    def wants(self, event: dict[str, Any]) -> bool:
        """Whether an Events API event happened in the desk channel."""
        return str(event.get("channel") or "") == self.channel_id

    async def on_message(self, event: dict[str, Any]) -> None:
        """An agent's message: in a ticket's thread it is a reply (or a ``//`` note)."""
        try:
            if event.get("bot_id") or event.get("subtype") or event.get("type") != "message":
                return
            thread = str(event.get("thread_ts") or "")
            text = plain_text(str(event.get("text") or ""), show_urls=True)
            ticket = await self._ticket_of(thread) if thread else None
            if ticket is None or not text:
                return  # agents talking among themselves: never sent anywhere
            user = str(event.get("user") or "")
            name = await self.slack.names.get(user) or user
            outcome = await self.desk.act(user, ticket.code, "reply", text, name=name)
            await self._report(outcome, thread, user)
        except Exception:
            log.exception("slack desk: a message in the desk failed")

    async def on_action(
        self,
        ack: Callable[[], Awaitable[Any]],
        body: dict[str, Any],
        respond: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        """A button on a note: claim, release, return, resolve, transcript."""
        await ack()
        try:
            action = body["actions"][0]
            act = ACTION_ID.match(str(action.get("action_id") or ""))
            if act is None:
                return
            # Only the id counts: Slack names can be changed by their owner at will.
            user = str((body.get("user") or {}).get("id") or "")
            code = str(action.get("value") or "")
            refusal = await self._refusal(body, user)
            if refusal:
                log.warning(
                    "slack desk: %s pressed %s on %s: %s", user, act.group(1), code, refusal
                )
                await self._refuse(refusal, user, respond)
                return
            name = await self.slack.names.get(user) or user
            outcome = await self.desk.act(user, code, act.group(1), name=name)
            ticket = outcome.ticket
            thread = (ticket.desk_refs.get(PLATFORM) or {}).get("ts") if ticket else None
            await self._report(outcome, thread, user)
        except Exception:
            log.exception("slack desk: a button press failed")

    async def _refuse(
        self, text: str, user: str, respond: Callable[..., Awaitable[Any]] | None
    ) -> None:
        """Tell only the person who pressed (a non-member cannot get an ephemeral message
        in the channel, so through the press's ``response_url``)."""
        if respond is not None:
            try:
                await respond(
                    text=escape(f"✗ {text}"), response_type="ephemeral", replace_original=False
                )
                return
            except Exception:
                log.warning("slack desk: the refusal to %s was not delivered", user)
        await self._report(Outcome(error=text), None, user)

    async def _refusal(self, body: dict[str, Any], user: str) -> str:
        """Why a button press may not act (not the desk channel, not a member), or ""."""
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        if channel != self.channel_id or not user:
            return NOT_IN_CHANNEL
        try:
            members = await self.members()
        except SlackApiError as exc:
            log.warning("slack desk: conversations.members failed: %s", exc.response.get("error"))
            return CANNOT_CHECK
        except Exception:
            log.exception("slack desk: conversations.members failed")
            return CANNOT_CHECK
        return "" if user in members else NOT_IN_CHANNEL

    async def members(self) -> frozenset[str]:
        """The desk channel's members (every page), cached for ``MEMBERS_TTL``."""
        now = time.monotonic()
        if self._members is not None and now - self._members[0] < MEMBERS_TTL:
            return self._members[1]
        found: set[str] = set()
        cursor = None
        while True:
            page = await self.client.conversations_members(
                channel=self.channel_id, cursor=cursor, limit=1000
            )
            found.update(str(m) for m in page.get("members") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        self._members = (now, frozenset(found))
        return self._members[1]

    async def _report(self, outcome: Outcome, thread: str | None, user: str) -> None:
        if outcome.error:
            try:
                await self.client.chat_postEphemeral(
                    channel=self.channel_id,
                    user=user,
                    text=escape(f"✗ {outcome.error}"),
                    thread_ts=thread,
                )
            except SlackApiError:
                log.warning("slack desk: could not tell %s: %s", user, outcome.error)
        for event in outcome.events:
            if event.event == "transcript" and thread:
                await self._thread(thread, f"Transcript of {event.ticket.code}\n{event.text}")
            elif event.event == "faq_draft" and thread:
                await self._thread(thread, f"💾 draft FAQ saved: {event.text} (for review)")
        await self.desk.deliver(outcome)

    async def _ticket_of(self, thread: str) -> Ticket | None:
        ticket_id = self._threads.get(thread)
        if ticket_id is not None:
            return await self.desk.repository.get(ticket_id)
        for ticket in await self.desk.repository.open_tickets():  # after a restart
            if (ticket.desk_refs.get(PLATFORM) or {}).get("ts") == thread:
                self._threads[thread] = ticket.id
                return ticket
        return None


def attach_channel(desk: Desk, channel: SlackChannel) -> None:
    """From ``serve_slack``: Slack customers get agents' messages; and when the desk
    is a Slack channel, its messages and buttons go to the desk."""

    async def send(key: str, actions: list[Action]) -> None:
        for action in actions:
            await channel.deliver(conversation_key(key), action)

    desk.deliverers[PLATFORM] = send
    where = desk.settings.desk
    if where.platform == PLATFORM and where.channel:
        room = SlackDesk(desk, where.channel, channel)
        desk.listeners.append(room.on_event)
        desk.notice_listeners.append(room.on_notice)
        channel.bolt.action(ACTION_ID)(room.on_action)
        channel.desk_room = room
