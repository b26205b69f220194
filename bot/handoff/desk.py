"""The desk protocol: tickets opened from a turn's Handoff, agents' commands, timeouts.

Two stages sit in the engine (see ``build_app``):

- :class:`RelayStage`, right after the guard: while a conversation is with an
  agent the guard still reads the message (threats are flagged and marked in
  the relay), then this stage relays it to the ticket and ends the turn — the
  bot never answers on its own while a ticket is open.
- :class:`TicketStage`, last: turns a Handoff action (policy or guard) into a
  ticket with a summary note, tells the customer the expected wait (or, outside
  business hours, apologises and promises a time), and records the mood.

Agents act through :meth:`Desk.act` (JSONL, console, Slack, Telegram); what
must reach the customer comes back in an :class:`Outcome`. An action that
changes the conversation (return, resolve, takeover) holds the conversation's
lock (:mod:`bot.coord`), so it runs before or after a customer's turn, never in
the middle of one — in any worker. The state lives in the database, so a
restart keeps tickets and the relay.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.content.model import Content
from bot.coord import Coordinator, LocalCoordinator
from bot.errors import StoreError
from bot.handoff.drafts import save_draft
from bot.handoff.repository import Ticket, TicketRepository, parse_code
from bot.handoff.settings import HandoffSettings
from bot.handoff.summary import INTERNAL, Case, ExtractiveSummarizer, Summarizer, build_note
from bot.models import Action, Button, End, Flag, Handoff, Offer, Relay, Reply, State
from bot.policy import FEEDBACK_PREFIX
from bot.privacy import mask
from bot.responses import Renderer
from bot.store.records import Conversation, Message
from bot.store.sql import SqlStore
from bot.turn import Turn

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ACTIONS = ("claim", "reply", "release", "return", "resolve", "note", "transcript", "save_faq")
#: An agent taking over a customer's open conversation on their own (the target is
#: the conversation key, e.g. ``jsonl:u1``, or its number), not a ticket.
TAKEOVER = "takeover"
TAKEOVER_REASON = "agent_takeover"
MIN_WAIT, MAX_WAIT = timedelta(minutes=1), timedelta(hours=4)
MOODS_KEPT = 20
#: A customer writing while their ticket waits in the queue hears where it stands at
#: most this often (their messages go to the ticket either way).
STATUS_EVERY = timedelta(minutes=1)


class Describer(Protocol):
    """The guard's view of a customer for agents (flags, type and approach)."""

    def describe(self, state: dict[str, Any], lang: str) -> str: ...


class Resolver(Protocol):
    """The offer stage's hook for a resolved ticket."""

    async def offer_on_resolution(
        self, conv: Conversation, *, at: datetime | None = None
    ) -> Offer | None: ...


@dataclass(frozen=True, slots=True)
class DeskEvent:
    """Something the desk should show: a new ticket, a relayed message, a claim…"""

    event: str
    ticket: Ticket
    text: str = ""
    agent: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {"type": "desk", "event": self.event, "ticket": self.ticket.code}
        out |= {"status": self.ticket.status}
        if self.agent:
            out["agent"] = self.agent
        if self.text:
            out["text"] = self.text
        return out


@dataclass(slots=True)
class Outcome:
    """The result of an agent's command or a timeout: for the customer, for the desk."""

    ticket: Ticket | None = None
    customer: list[Action] = field(default_factory=list)
    events: list[DeskEvent] = field(default_factory=list)
    error: str = ""


Listener = Callable[[DeskEvent], Awaitable[None]]
#: Shows a notice that belongs to no ticket (an abuse flag) in a live desk.
NoticeListener = Callable[[str], Awaitable[None]]
ABUSE_MARK = "⚠ abuse"
#: Sends actions to a customer by conversation key (one per customer platform).
Deliver = Callable[[str, list[Action]], Awaitable[None]]


def _wait_words(span: timedelta, lang: str) -> str:
    n = max(1, round(span.total_seconds() / 60))
    if lang == "ko":
        return f"약 {n}분"
    if lang == "ja":
        return f"約{n}分"
    return "about a minute" if n == 1 else f"about {n} minutes"


def _when(at: datetime, zone: Any) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") + f" ({zone})"


class Desk:
    """Tickets and the agents who work them; one per process."""

    def __init__(
        self,
        *,
        content: Content,
        store: SqlStore,
        settings: HandoffSettings,
        describer: Describer | None = None,
        offers: Resolver | None = None,
        summarizer: Summarizer | None = None,
        clock: Clock | None = None,
        coord: Coordinator | None = None,
    ) -> None:
        self.content = content
        self.store = store
        self.settings = settings
        self.repository = TicketRepository(store.engine)
        self.describer = describer
        self.offers = offers
        self.summarizer = summarizer or ExtractiveSummarizer()
        self.clock = clock or (lambda: datetime.now(UTC))
        #: Holds a conversation while an agent changes it (the turns' coordinator).
        self.coord: Coordinator = coord or LocalCoordinator()
        self.renderer = Renderer(content.templates)
        self.listeners: list[Listener] = []
        self.notice_listeners: list[NoticeListener] = []
        self.deliverers: dict[str, Deliver] = {}
        #: Where "Save as FAQ" writes drafts (``responses/drafts/`` below it).
        self.drafts_root = content.root
        self.relay = RelayStage(self)
        self.tickets = TicketStage(self)

    def use(
        self,
        *,
        content: Content,
        settings: HandoffSettings,
        describer: Describer | None,
        offers: Resolver | None,
    ) -> None:
        """A reload: new content and handoff settings, in one step.

        The rooms already attached to Slack or Telegram stay where they are: a
        desk moved to another channel or group takes effect at the next start.
        """
        if settings.desk.platform != self.settings.desk.platform or (
            settings.desk.channel != self.settings.desk.channel
        ):
            log.warning("the agents' desk moves to its new channel or group at the next start")
        self.content, self.settings = content, settings
        self.describer, self.offers = describer, offers
        self.renderer = Renderer(content.templates)

    # events ---------------------------------------------------------------------

    async def publish(self, events: list[DeskEvent]) -> None:
        """Tell the live desks (Slack, Telegram); a failing desk never costs a turn."""
        for event in events:
            for listener in self.listeners:
                try:
                    await listener(event)
                except Exception:
                    log.exception("a desk failed to show %s %s", event.event, event.ticket.code)

    async def notify(self, text: str) -> None:
        """A notice with no ticket (an abuse flag) to the live desks; never costs a turn."""
        for listener in self.notice_listeners:
            try:
                await listener(text)
            except Exception:
                log.exception("a desk failed to show a notice")

    async def report_abuse(self, turn: Turn, flag: Flag) -> str:
        """The guard ended a chat for repeated abuse: a marked notice for the desk."""
        who = turn.name or turn.customer.user_id
        handle = turn.customer.handle or turn.customer.user_id
        text = (
            f"{ABUSE_MARK} · {who} @{handle} · {turn.customer.platform} ({turn.conv.key}): "
            f"chat ended by the guard"
        )
        if flag.reason:
            text += f" — {flag.reason}"
        await self.notify(text)
        log.info("abuse notice for %s", turn.conv.key)
        return text

    async def deliver(self, outcome: Outcome) -> None:
        """Send an outcome's customer actions through the customer's platform."""
        if outcome.ticket is None or not outcome.customer:
            return
        key = outcome.ticket.conv_key
        send = self.deliverers.get(key.split(":", 1)[0])
        if send is None:
            log.warning("ticket %s: no channel delivers to %s", outcome.ticket.code, key)
            return
        try:
            await send(key, outcome.customer)
        except Exception:
            log.exception("ticket %s: the customer %s was not reached", outcome.ticket.code, key)

    async def run_sweeps(self) -> None:
        """``frontdesk run``: look for unclaimed tickets every ``sweep_every``, until cancelled."""
        while True:
            await asyncio.sleep(self.settings.sweep_every.total_seconds())
            try:
                for outcome in await self.sweep():
                    await self.deliver(outcome)
            except Exception:
                log.exception("the handoff sweep failed")

    # waits ------------------------------------------------------------------------

    async def expected_wait(self) -> timedelta:
        """From the queue and recent claim times; the configured wait when nothing is known.

        Each ticket ahead costs one typical claim time (the median of the last ten).
        """
        waits = await self.repository.recent_claim_waits()
        typical = timedelta(seconds=statistics.median(waits)) if waits else self.settings.wait
        ahead = len(await self.repository.queued())
        return min(MAX_WAIT, max(MIN_WAIT, typical * (ahead + 1)))

    def promise(self, now: datetime) -> datetime:
        """When a person will get back: the next opening plus the usual wait."""
        return self.settings.hours.next_open(now) + self.settings.wait

    def shown(self, text: str) -> str:
        """Customer text as the desk shows it: PII masked when ``mask_pii_in_notes``."""
        return mask(text) if self.settings.mask_pii_in_notes else text

    # customer-facing text ------------------------------------------------------------

    def say(self, conv: Conversation, template: str, **values: str | None) -> str:
        lang = conv.language or self.content.languages[0]
        hand = conv.state.get("handoff") or {}
        values.setdefault("name", hand.get("name"))
        values.setdefault("company", self.renderer.render("company_name", lang))
        return self.renderer.render(template, lang, **values)

    # opening a ticket -----------------------------------------------------------------

    async def open_ticket(self, turn: Turn, handoff: Handoff) -> tuple[Ticket, list[Action]]:
        """A ticket for this turn's handoff; what to tell the customer."""
        now, conv = turn.inbound.at, turn.conv
        hand = turn.state.setdefault("handoff", {})
        hand["name"] = turn.name
        messages = [m.text for m in await self.store.messages(conv.id) if m.direction == "in"]
        messages = [m for m in messages if m and not m.startswith(FEEDBACK_PREFIX)]
        if turn.text and turn.inbound.button is None:
            messages.append(turn.text)
        wait = await self.expected_wait()
        open_now = self.settings.hours.is_open(now)
        lang = self.settings.desk.language
        profile = self.describer.describe(turn.state, lang) if self.describer else ""
        case = Case(
            code="T?",
            reason=handoff.reason,
            priority=handoff.priority,
            name=turn.name or turn.customer.user_id,
            platform=turn.customer.platform,
            handle=turn.customer.handle or turn.customer.user_id,
            language=turn.lang,
            messages=messages,
            answered=list(turn.state.get("answered") or []),
            feedback=turn.state.get("feedback"),
            moods=list(hand.get("moods") or []),
            profile=profile,
            earlier=turn.customer.earlier_conversations,
            last_feedback=(await self.history(turn.customer.id, conv.id))["last_feedback"],
            in_chat=now - conv.started_at,
            expected_wait=_wait_words(wait, lang) if open_now else "",
            topic=handoff.summary,
        )
        promised = None if open_now else self.promise(now)
        ticket = await self.repository.create(
            conversation_id=conv.id,
            conv_key=conv.key,
            customer_id=turn.customer.id,
            customer_user=turn.inbound.user,
            reason=handoff.reason,
            priority=handoff.priority,
            note="",
            at=now,
            follow_up=not open_now,
            promised_at=promised,
        )
        note = self.shown(
            build_note(_with_code(case, ticket.code), lang=lang, summarizer=self.summarizer)
        )
        await self.repository.update(ticket.id, note=note)
        ticket.note = note
        hand["ticket"] = ticket.code
        hand["told_at"] = now.isoformat()
        conv.status = State.WITH_AGENT
        if promised is None:
            told = turn.render("handoff_connecting", wait=_wait_words(wait, turn.lang))
        else:
            zone = self.settings.hours.zone
            told = turn.render("handoff_after_hours", wait=_when(promised, zone))
        await self.publish([DeskEvent("ticket", ticket, note)])
        log.info("ticket %s opened for %s (%s)", ticket.code, conv.key, handoff.reason)
        return ticket, [Reply(told)] if told else []

    # timeouts ------------------------------------------------------------------------

    async def expire(self, ticket: Ticket, now: datetime) -> Outcome:
        """Nobody claimed in time: apology, a promise with a time, a follow-up ticket."""
        if ticket.status != "queued" or ticket.follow_up:
            return Outcome(ticket)
        if now - ticket.created_at < self.settings.claim_timeout:
            return Outcome(ticket)
        conv = await self.store.conversation(ticket.conversation_id)
        if conv is None:
            return Outcome(ticket)
        promised = (
            self.promise(now)
            if not self.settings.hours.is_open(now)
            else now + self.settings.claim_timeout
        )
        await self.repository.update(ticket.id, follow_up=True, promised_at=promised)
        ticket.follow_up, ticket.promised_at = True, promised
        text = self.say(conv, "handoff_no_agent", wait=_when(promised, self.settings.hours.zone))
        event = DeskEvent("follow_up", ticket, f"unclaimed since {ticket.created_at:%H:%M} UTC")
        await self.publish([event])
        return Outcome(ticket, [Reply(text)] if text else [], [event])

    async def sweep(self, now: datetime | None = None) -> list[Outcome]:
        """The periodic check (``frontdesk run``): every unclaimed ticket past its time."""
        now = now or self.clock()
        out = []
        for ticket in await self.repository.queued():
            outcome = await self.expire(ticket, now)
            if outcome.customer:
                out.append(outcome)
        return out

    # agents ---------------------------------------------------------------------------

    async def act(
        self,
        agent: str,
        code: str,
        action: str,
        text: str = "",
        *,
        name: str | None = None,
        handle: str | None = None,
    ) -> Outcome:
        """An agent's command on a ticket; never raises for the agent's input.

        Someone not on ``desk.agents`` (when set) gets an error and changes nothing."""
        if not self.settings.is_member(agent, handle):
            log.warning("desk: %s (%s) is not on desk.agents; %s refused", agent, handle, action)
            return Outcome(error=f"'{agent}' is not a member of the agents' desk")
        ticket_id = parse_code(code)
        ticket = None if ticket_id is None else await self.repository.get(ticket_id)
        if ticket is None:
            return Outcome(error=f"no ticket '{code}'")
        if action not in ACTIONS:
            return Outcome(ticket, error=f"unknown action '{action}'; one of {', '.join(ACTIONS)}")
        if action == "transcript":
            return await self._transcript(ticket)
        if action == "save_faq":
            return await self._save_faq(ticket, agent)
        if not ticket.open:
            return Outcome(ticket, error=f"ticket {ticket.code} is already {ticket.status}")
        now = self.clock()
        if action == "claim":
            return await self._claim(ticket, agent, name or agent, now)
        if (action == "reply" and text.lstrip().startswith(INTERNAL)) or action == "note":
            note = text.lstrip().removeprefix(INTERNAL).strip()
            await self._record(ticket, "note", f"[{agent}] {note}", now)
            return Outcome(ticket, events=[DeskEvent("note", ticket, note, agent)])
        if ticket.status == "claimed" and ticket.agent != agent:
            return Outcome(ticket, error=f"ticket {ticket.code} is {ticket.agent_name}'s")
        if action == "reply":
            if ticket.status != "claimed":
                return Outcome(ticket, error=f"claim ticket {ticket.code} before replying")
            if not text.strip():
                return Outcome(ticket, error="nothing to send")
            await self._record(ticket, "agent", text, now)
            return Outcome(ticket, [Reply(text)], [DeskEvent("sent", ticket, text, agent)])
        if action == "release":
            if not await self.repository.release(ticket.id, agent):
                return Outcome(ticket, error=f"ticket {ticket.code} is not claimed by you")
            fresh = await self.repository.get(ticket.id) or ticket
            event = DeskEvent("released", fresh, agent=agent)
            await self.publish([event])
            return Outcome(fresh, events=[event])
        async with self.coord.hold(ticket.conv_key):
            return await self._close(ticket, agent, action, now)

    async def takeover(
        self, agent: str, target: str, *, name: str | None = None, handle: str | None = None
    ) -> Outcome:
        """An agent takes over a customer's open conversation: a ticket already theirs."""
        if not self.settings.is_member(agent, handle):
            return Outcome(error=f"'{agent}' is not a member of the agents' desk")
        target = target.strip()
        conv = await self.store.current_conversation(target) if target else None
        if conv is None and target.isdigit():
            conv = await self.store.conversation(int(target))
        if conv is None or conv.status is State.ENDED:
            return Outcome(error=f"no open conversation '{target}'")
        async with self.coord.hold(conv.key):
            return await self._takeover(conv.id, target, agent, name or agent)

    async def _takeover(self, conv_id: int, target: str, agent: str, name: str) -> Outcome:
        conv = await self.store.conversation(conv_id)  # as the last turn left it
        if conv is None or conv.status is State.ENDED:
            return Outcome(error=f"no open conversation '{target}'")
        existing = await self.repository.open_for(conv.id)
        if existing is not None:
            if existing.status == "queued":
                return await self._claim(existing, agent, name, self.clock())
            taken = existing.agent_name or existing.agent or "someone"
            return Outcome(existing, error=f"ticket {existing.code} was already claimed by {taken}")
        now = self.clock()
        hand = conv.state.setdefault("handoff", {})
        messages = [m.text for m in await self.store.messages(conv.id) if m.direction == "in"]
        messages = [m for m in messages if m and not m.startswith(FEEDBACK_PREFIX)]
        lang = self.settings.desk.language
        user = conv.key.split(":", 1)[-1]
        customer = await self.store.customer_by_id(conv.customer_id)
        if customer is not None:
            user = customer.user_id
        case = Case(
            code="T?",
            reason=TAKEOVER_REASON,
            priority="normal",
            name=hand.get("name") or (customer.name if customer else None) or user,
            platform=conv.platform,
            handle=(customer.handle if customer else None) or user,
            language=conv.language or self.content.languages[0],
            messages=messages,
            answered=list(conv.state.get("answered") or []),
            feedback=conv.state.get("feedback"),
            moods=list(hand.get("moods") or []),
            profile=self.describer.describe(conv.state, lang) if self.describer else "",
            in_chat=now - conv.started_at,
            **await self.history(conv.customer_id, conv.id),
        )
        ticket = await self.repository.create(
            conversation_id=conv.id,
            conv_key=conv.key,
            customer_id=conv.customer_id,
            customer_user=user,
            reason=TAKEOVER_REASON,
            priority="normal",
            note="",
            at=now,
        )
        note = self.shown(
            build_note(_with_code(case, ticket.code), lang=lang, summarizer=self.summarizer)
        )
        await self.repository.update(ticket.id, note=note)
        ticket.note = note
        await self.publish([DeskEvent("ticket", ticket, note)])
        if not await self.repository.claim(ticket.id, agent, name, now):
            return Outcome(ticket, error=f"ticket {ticket.code} could not be claimed")
        fresh = await self.repository.get(ticket.id) or ticket
        hand["ticket"] = fresh.code
        conv.status = State.WITH_AGENT
        await self.store.save_conversation(conv)
        text = self.say(conv, "handoff_joined", agent=name)
        await self._record(fresh, "text", text, now, direction="out")
        event = DeskEvent("claimed", fresh, f"{name} at {now:%H:%M} UTC (takeover)", agent)
        await self.publish([event])
        log.info("ticket %s: %s took over %s", fresh.code, agent, conv.key)
        return Outcome(
            fresh, [Reply(text)] if text else [], [DeskEvent("ticket", fresh, note), event]
        )

    async def history(self, customer_id: int, conversation_id: int) -> dict[str, Any]:
        """Earlier conversations of a customer and the last feedback among them."""
        try:
            count = await self.store.count_conversations(customer_id)
            last = await self.store.last_feedback(customer_id, besides=conversation_id)
        except StoreError:
            log.exception("no history for customer %s", customer_id)
            return {"earlier": 0, "last_feedback": None}
        return {"earlier": max(0, count - 1), "last_feedback": last}

    async def _claim(self, ticket: Ticket, agent: str, name: str, now: datetime) -> Outcome:
        won = await self.repository.claim(ticket.id, agent, name, now)
        fresh = await self.repository.get(ticket.id) or ticket
        if not won:
            taken = fresh.agent_name or fresh.agent or "someone"
            return Outcome(fresh, error=f"ticket {ticket.code} was already claimed by {taken}")
        conv = await self.store.conversation(ticket.conversation_id)
        customer: list[Action] = []
        if conv is not None:
            text = self.say(conv, "handoff_joined", agent=name)
            customer = [Reply(text)] if text else []
            await self._record(ticket, "text", text, now, direction="out")
        event = DeskEvent("claimed", fresh, f"{name} at {now:%H:%M} UTC", agent)
        await self.publish([event])
        return Outcome(fresh, customer, [event])

    async def _close(self, ticket: Ticket, agent: str, action: str, now: datetime) -> Outcome:
        status = "returned" if action == "return" else "resolved"
        if not await self.repository.close(ticket.id, status, now):
            return Outcome(ticket, error=f"ticket {ticket.code} is no longer open")
        fresh = await self.repository.get(ticket.id) or ticket
        conv = await self.store.conversation(ticket.conversation_id)
        customer: list[Action] = []
        if conv is not None and conv.status is not State.ENDED:
            conv.status = State.ACTIVE
            conv.state["failures"] = 0
            conv.state.get("handoff", {}).pop("ticket", None)
            if status == "returned":
                text = self.say(conv, "handoff_returned")
                customer.append(Reply(text))
            else:
                conv.state["feedback_asked"] = True
                conv.state.pop("feedback", None)
                stars = tuple(Button("⭐" * n, f"{FEEDBACK_PREFIX}{n}") for n in range(1, 6))
                customer.append(Reply(self.say(conv, "handoff_resolved"), stars))
                if self.offers is not None:
                    try:
                        offer = await self.offers.offer_on_resolution(conv, at=now)
                    except StoreError:
                        log.exception("no offer after ticket %s", ticket.code)
                        offer = None
                    if offer is not None:
                        customer.append(offer)
            await self.store.save_conversation(conv)
            for reply in customer:
                if isinstance(reply, Reply):
                    await self._record(ticket, "text", reply.text, now, direction="out")
        event = DeskEvent(status, fresh, agent=agent)
        await self.publish([event])
        return Outcome(fresh, customer, [event])

    async def _save_faq(self, ticket: Ticket, agent: str) -> Outcome:
        """The customer's question and the agent's answer, as a draft FAQ entry."""
        if ticket.status != "resolved":
            return Outcome(ticket, error=f"resolve ticket {ticket.code} before saving it as FAQ")
        messages = await self.store.messages(ticket.conversation_id)
        asked = [
            m.text
            for m in messages
            if m.direction == "in" and m.created_at <= (ticket.claimed_at or ticket.created_at)
        ]
        asked = [t for t in asked if t and not t.startswith(FEEDBACK_PREFIX)]
        answers = [m.text for m in messages if m.kind == "agent"]
        question = next(iter(self.summarizer.key_sentences(asked, limit=1)), "")
        if not question or not answers:
            return Outcome(ticket, error=f"ticket {ticket.code} has no question and answer to save")
        conv = await self.store.conversation(ticket.conversation_id)
        lang = (conv.language if conv else None) or self.content.languages[0]
        path = await asyncio.to_thread(
            save_draft,
            self.drafts_root,
            code=ticket.code,
            lang=lang,
            question=question,
            answer="\n".join(answers),
        )
        rel = path.relative_to(self.drafts_root)
        return Outcome(ticket, events=[DeskEvent("faq_draft", ticket, str(rel), agent)])

    async def _transcript(self, ticket: Ticket) -> Outcome:
        lines = []
        for m in await self.store.messages(ticket.conversation_id):
            who = {"in": "customer", "out": "bot", "note": "note"}.get(m.direction, m.direction)
            if m.kind == "agent":
                who = "agent"
            lines.append(f"{m.created_at:%H:%M} {who}: {m.text}")
        return Outcome(ticket, events=[DeskEvent("transcript", ticket, "\n".join(lines))])

    async def _record(
        self, ticket: Ticket, kind: str, text: str, at: datetime, *, direction: str = ""
    ) -> None:
        if not text:
            return
        direction = direction or ("note" if kind == "note" else "out")
        record = Message(ticket.conversation_id, direction, text, at, kind=kind)
        try:
            await self.store.add_messages([record])
        except StoreError:
            log.exception("ticket %s: a message was not recorded", ticket.code)


def _with_code(case: Case, code: str) -> Case:
    from dataclasses import replace

    return replace(case, code=code)


class RelayStage:
    """Before the policy, after the guard: relay to the open ticket instead of answering."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def before(self, turn: Turn) -> None:
        conv, repo = turn.conv, self.desk.repository
        ticket = None
        if conv.status is State.WITH_AGENT:
            ticket = await repo.open_for(conv.id)
        elif turn.new_conversation:
            # The engine ended an idle conversation while its ticket was open: carry on.
            ticket = await repo.open_for_key(conv.key)
            if ticket is not None:
                old = await self.desk.store.conversation(ticket.conversation_id)
                if old is not None:
                    conv.state.update({k: v for k, v in old.state.items() if k != "guard"})
                await repo.update(ticket.id, conversation_id=conv.id)
                ticket.conversation_id = conv.id
        if ticket is None:
            if conv.status is State.WITH_AGENT:
                conv.status = State.ACTIVE  # closed meanwhile: the bot answers again
            return
        conv.status = State.WITH_AGENT
        turn.done = True
        turn.understood.intent = "relay"
        outcome = await self.desk.expire(ticket, turn.inbound.at)
        turn.actions += outcome.customer or await self._status(turn, ticket)
        text = turn.text if turn.inbound.button is None else f"[button] {turn.inbound.button}"
        if not text:
            text = f"[{turn.inbound.kind}]"
        if turn.mood.threat:
            text = f"🚨 THREAT: {text}"
        text = self.desk.shown(text)
        turn.actions.append(Relay(ticket=ticket.code, text=text))
        await self.desk.publish([DeskEvent("relay", ticket, text)])

    async def after(self, turn: Turn) -> None:
        return None

    async def _status(self, turn: Turn, ticket: Ticket) -> list[Action]:
        """Still in the queue: say so, with the wait, unless said within STATUS_EVERY."""
        if (
            ticket.status != "queued"
            or ticket.follow_up
            or not turn.renderer.has("handoff_waiting")
        ):
            return []
        hand = turn.state.setdefault("handoff", {})
        now = turn.inbound.at
        try:
            told = datetime.fromisoformat(hand.get("told_at") or "")
        except ValueError:
            told = None
        if told is not None and now - told < STATUS_EVERY:
            return []
        hand["told_at"] = now.isoformat()
        wait = _wait_words(await self.desk.expected_wait(), turn.lang)
        return [Reply(text)] if (text := turn.render("handoff_waiting", wait=wait)) else []


class TicketStage:
    """Last: a Handoff action becomes a ticket; the mood is kept for the note."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def before(self, turn: Turn) -> None:
        return None

    async def after(self, turn: Turn) -> None:
        hand = turn.state.setdefault("handoff", {})
        if turn.text or turn.inbound.button is None:
            hand["moods"] = [*hand.get("moods", []), round(turn.mood.frustration, 2)][-MOODS_KEPT:]
        ended = any(isinstance(a, End) for a in turn.actions)
        abuse = next((a for a in turn.actions if isinstance(a, Flag) and a.kind == "abuse"), None)
        if ended and abuse is not None:
            await self.desk.report_abuse(turn, abuse)
        if turn.conv.status is not State.ACTIVE or ended:
            return
        handoffs = [a for a in turn.actions if isinstance(a, Handoff)]
        if not handoffs:
            return
        first = handoffs[0]
        try:
            ticket, told = await self.desk.open_ticket(turn, first)
        except StoreError:
            log.exception("no ticket for %s", turn.conv.key)
            return
        kept: list[Action] = []
        for action in turn.actions:
            if isinstance(action, Offer) or (isinstance(action, Handoff) and action is not first):
                continue  # never sell at a handoff; one ticket per turn
            if action is first:
                action = Handoff(
                    reason=first.reason,
                    summary=ticket.note,
                    ticket=ticket.code,
                    priority=first.priority,
                )
            kept.append(action)
        turn.actions = kept + told
