"""The guard stage: reads every customer turn before the policy and acts as good staff would.

- Rising frustration: apologise, repeat back what the customer asked about,
  offer a person; hand off when they accept or the level keeps rising. A calm
  message is answered first: when only the bot's failures raised the level, the
  offer (or handoff) waits to see whether the bot fails again.
- First abuse: ask politely but firmly to stop, then keep helping. Again: end
  the conversation and flag the customer, with the messages.
- A threat: a calm reply, an urgent handoff and a ``threat`` flag.

While an agent has the conversation the guard only reads the mood and reports
threats. What it remembers lives in ``turn.state["guard"]`` (see
:class:`~bot.guard.mood.Memory`); flags, moods and customer types are stored
through :class:`~bot.guard.repository.GuardRepository`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import StoreError
from bot.guard.content import GuardContent, load_guard
from bot.guard.customer import History, classify
from bot.guard.mood import Act, Memory, Verdict, frustrated, is_repeat, relieve, step, unhold
from bot.guard.repository import ConversationMood, GuardRepository, hostile
from bot.guard.signals import Reader, Reading
from bot.models import Button, End, Flag, Handoff, Reply, State
from bot.policy import BUTTON_HUMAN
from bot.store.sql import SqlStore
from bot.text import preview
from bot.turn import Mood, Turn

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Intents whose message states the customer's problem (quoted back as {topic}).
TOPICAL = frozenset({"faq", "complaint", "clarify", "fallback"})
#: Intents after which things are going well (the level eases).
GOOD = frozenset({"thanks", "feedback", "goodbye"})
TOPIC_CHARS = 80
KEEP_CHARS = 500


class Guard:
    """Frustration, abuse and threats, handled before the policy."""

    def __init__(self, content: GuardContent, repository: GuardRepository) -> None:
        self.content = content
        self.settings = content.settings
        self.reader = Reader(content.lexicons, content.settings)
        self.repository = repository

    @classmethod
    def open(cls, root: Path, store: SqlStore, *, fallback: Path | None = None) -> Guard:
        """The guard for the content folder ``root``; raises ``ContentError``.

        A folder without ``handoff/guard/`` uses ``fallback``'s (by default the
        default content's).
        """
        if fallback is None:
            from bot.config import default_content_dir

            fallback = default_content_dir()
        return cls(load_guard(root, fallback=fallback), GuardRepository(store.engine))

    # the stage ----------------------------------------------------------------------

    async def before(self, turn: Turn) -> None:
        """Read the message, set ``turn.mood``, and act when something calls for it."""
        fresh = "guard" not in turn.state
        memory = Memory.from_state(turn.state.get("guard"))
        if fresh:
            await self._welcome(turn, memory)
        with_agent = turn.conv.status is State.WITH_AGENT
        reading = self._read(turn, memory)
        if with_agent:
            reading = dataclasses.replace(reading, abuse=False, accept=False, person=False)
        repeat = bool(turn.text) and is_repeat(memory, turn.text, self.settings)
        failures = int(turn.state.get("failures") or 0)
        verdict = step(memory, reading, self.settings, repeat=repeat, failures=failures)
        turn.mood = Mood(
            frustration=memory.level,
            frustrated=frustrated(memory, self.settings),
            abuse=reading.abuse,
            threat=reading.threat is not None,
        )
        if with_agent:
            if verdict.act is Act.THREAT:
                await self._flag(turn, memory, "threat", _threat_reason(verdict), [turn.text])
        elif verdict.held:
            memory.held = [verdict.act.value, verdict.why]  # the bot tries first (after())
        else:
            await self._act(turn, memory, verdict, reading)
        await self._retype(turn, memory)
        turn.state["guard"] = memory.to_state()

    async def after(self, turn: Turn) -> None:
        """Ease the level when things went well; remember the topic; record the mood."""
        memory = Memory.from_state(turn.state.get("guard"))
        understood = turn.understood
        if understood.faq_id or understood.intent in GOOD:
            relieve(memory, self.settings)
        topical = understood.faq_id or understood.intent in TOPICAL
        if topical and memory.clean and turn.inbound.button is None and len(turn.text) >= 4:
            memory.topic = preview(turn.text, TOPIC_CHARS)
        memory.thanked = memory.thanked or understood.intent == "thanks"
        if memory.held:
            await self._unhold(turn, memory)
        mood = ConversationMood(memory.peak, memory.strikes, memory.threats, memory.thanked)
        if list(dataclasses.astuple(mood)) != memory.saved:
            conv, customer = turn.conv.id, turn.customer.id
            turn.writes.append(partial(self.repository.save_mood, conv, customer, mood))
            memory.saved = list(dataclasses.astuple(mood))
        turn.state["guard"] = memory.to_state()

    # reading and acting ---------------------------------------------------------------

    def _read(self, turn: Turn, memory: Memory) -> Reading:
        button = turn.inbound.button
        if button is None:
            return self.reader.read(turn.text, turn.lang)
        pending = memory.offered and not memory.handed_off
        return Reading(accept=button == BUTTON_HUMAN and bool(pending))

    async def _act(self, turn: Turn, memory: Memory, verdict: Verdict, reading: Reading) -> None:
        act = verdict.act
        if act is Act.NONE:
            return
        turn.done = True
        if act is Act.THREAT:
            turn.say("guard_threat")
            summary = preview(turn.text, 200)
            turn.actions.append(Handoff(reason="threat", summary=summary, priority="urgent"))
            await self._flag(turn, memory, "threat", _threat_reason(verdict), [turn.text])
        elif act in (Act.STOP, Act.END):
            memory.abusive = [*memory.abusive, turn.text[:KEEP_CHARS]][-self.settings.abuse.keep :]
            if act is Act.STOP:
                turn.say("guard_stop")
                turn.done = not reading.substance  # a real question in it still gets answered
                return
            turn.say("guard_end")
            turn.actions.append(End(reason="abuse"))
            reason = f"abuse: {memory.strikes} abusive messages, the last after a request to stop"
            await self._flag(turn, memory, "abuse", reason, memory.abusive)
            turn.conv.status = State.ENDED
        elif act is Act.OFFER:
            button = Button(turn.render("button_human") or "👤", BUTTON_HUMAN)
            turn.say("guard_frustration", buttons=(button,), topic=self._topic(turn, memory))
        else:
            turn.say("guard_handoff", topic=self._topic(turn, memory, reading))
            summary = memory.topic or preview(turn.text, 200)
            reason = "customer_request" if verdict.why == "asked" else "frustration"
            turn.actions.append(Handoff(reason=reason, summary=summary, priority="high"))

    async def _unhold(self, turn: Turn, memory: Memory) -> None:
        """A held offer or handoff stands if the bot failed to answer the calm message
        too (a clarifying question replaced by the handoff); otherwise it lapses."""
        act, why = memory.held
        memory.held = []
        handed = any(isinstance(a, Handoff) for a in turn.actions)
        if handed or turn.conv.status is not State.ACTIVE:
            return
        verdict = unhold(memory, Verdict(Act(act), why, held=True), turn.understood.intent)
        if verdict.act is Act.NONE:
            return
        if verdict.act is Act.HANDOFF:
            turn.actions = [a for a in turn.actions if not isinstance(a, Reply)]
            turn.state.pop("pending", None)
        await self._act(turn, memory, verdict, Reading())

    def _topic(self, turn: Turn, memory: Memory, reading: Reading | None = None) -> str:
        """What the customer asked about, quoted in their words, or a neutral phrase
        (never their request for a person or their yes: "about “I WANT A HUMAN”" helps
        nobody)."""
        text = memory.topic
        asked = reading is not None and (reading.person or reading.accept)
        if not text and memory.clean and not asked and len(turn.text) >= 8:
            text = preview(turn.text, TOPIC_CHARS)
        if text:
            return turn.render("guard_quote", topic=text) or text
        return turn.render("guard_topic")

    async def _flag(
        self, turn: Turn, memory: Memory, kind: str, reason: str, messages: list[str]
    ) -> None:
        turn.actions.append(Flag(kind=kind, reason=reason))
        stored = self.repository.add_flag(
            turn.customer.id, turn.conv.id, kind=kind, reason=reason, messages=messages
        )
        flag = await self._safely(stored, None)
        if flag is not None:
            memory.flags = [*memory.flags, _flag_note(kind, reason, flag.created_at.isoformat())]
        if hostile(kind, reason):
            memory.history["flags"] = memory.history.get("flags", 0) + 1

    # the customer ------------------------------------------------------------------------

    async def _welcome(self, turn: Turn, memory: Memory) -> None:
        """First turn of a conversation: earlier flags and history, for whoever serves them."""
        customer = turn.customer
        if not customer.earlier_conversations:
            return
        flags = await self._safely(self.repository.flags(customer.id), [])
        memory.flags = [_flag_note(f.kind, f.reason, f.created_at.isoformat()) for f in flags]
        history = await self._safely(
            self.repository.history(
                customer.id,
                excluding=turn.conv.id,
                rules=self.settings.customer,
                frustrated_at=self.settings.frustration.offer,
            ),
            History(),
        )
        memory.history = dataclasses.asdict(history)

    async def _retype(self, turn: Turn, memory: Memory) -> None:
        """Work out the customer type again; store it when it changed."""
        try:
            history = History(**memory.history)
        except TypeError:
            history = History()
        now = memory.peak >= self.settings.frustration.offer
        customer_type = classify(history, self.settings.customer, frustrated_now=now)
        if customer_type != memory.customer_type:
            memory.customer_type = customer_type
            await self._safely(self.repository.set_type(turn.customer.id, customer_type), None)

    def describe(self, state: dict[str, Any], lang: str) -> str:
        """For agents: earlier flags, and the customer type with the recommended approach."""
        memory = Memory.from_state(state.get("guard"))
        lines = [f"⚠ {f['kind']}: {f['reason']} ({f['at'][:10]})" for f in memory.flags]
        text = self.content.types.get(memory.customer_type)
        if text is not None:
            label = text.label.get(lang) or text.label.get("en", memory.customer_type)
            approach = text.approach.get(lang) or text.approach.get("en", "")
            lines.append(f"{label}: {approach}")
        return "\n".join(lines)

    @staticmethod
    async def _safely(work: Awaitable[T], default: T) -> T:
        """The guard's records never cost the customer their turn."""
        try:
            return await work
        except StoreError:
            log.exception("the guard could not reach the store")
            return default


def _threat_reason(verdict: Verdict) -> str:
    return f"threat: {verdict.why}"


def _flag_note(kind: str, reason: str, at: str) -> dict[str, str]:
    return {"kind": kind, "reason": reason, "at": at}
