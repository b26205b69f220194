"""The engine: one customer turn in, platform-free actions out.

``Engine.handle`` loads the conversation, detects the language, understands the
message, lets the policy decide, and records everything. It never calls a
platform and never raises for a customer's input.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.content.model import Content
from bot.language import detect
from bot.locks import KeyedLocks
from bot.models import LANGS, Action, Inbound, Lang, Offer, Reply, State
from bot.nlu import NLU
from bot.policy import BUTTON_ELSE, BUTTON_HUMAN, FAQ_PREFIX, FEEDBACK_PREFIX, Policy, Thresholds
from bot.responses import Renderer
from bot.store import Store
from bot.store.records import Conversation, Message
from bot.text import clean
from bot.turn import Turn

log = logging.getLogger(__name__)

RATINGS = frozenset("12345")
#: Inbound kinds that carry no text the bot can read.
NON_TEXT = frozenset(
    {"sticker", "photo", "file", "voice", "video", "audio", "location", "contact", "other"}
)


#: Writes of a channel in the transaction that records a turn, given its actions.
Journal = Callable[[AsyncConnection, list[Action]], Awaitable[None]]


class Stage(Protocol):
    """A step around the policy: the guard before it, offers and handoff after it.

    ``before`` runs in order until a stage sets ``turn.done`` (the policy is then
    skipped); ``after`` runs for every stage, in order, once actions are decided.
    """

    async def before(self, turn: Turn) -> None: ...

    async def after(self, turn: Turn) -> None: ...


@dataclass(frozen=True, slots=True)
class Parts:
    """Everything a turn reads from the content, swapped as one on a reload.

    A turn takes the engine's parts once, when it starts, and finishes on them,
    so a reload never mixes two versions of the content within a turn.
    """

    content: Content
    nlu: NLU
    policy: Policy
    renderer: Renderer
    stages: tuple[Stage, ...]


class Engine:
    """Serves customer turns; one instance per process, shared by all channels."""

    def __init__(
        self,
        *,
        content: Content,
        nlu: NLU,
        store: Store,
        thresholds: Thresholds,
        idle: timedelta = timedelta(minutes=30),
        max_chars: int = 2000,
        stages: Sequence[Stage] = (),
    ) -> None:
        self.store = store
        self.thresholds = thresholds
        self.idle = idle
        self.max_chars = max_chars
        self.parts = self._assemble(content, nlu, stages)
        self._locks = KeyedLocks()

    def _assemble(self, content: Content, nlu: NLU, stages: Sequence[Stage]) -> Parts:
        return Parts(
            content=content,
            nlu=nlu,
            policy=Policy(content, self.thresholds),
            renderer=Renderer(content.templates),
            stages=tuple(stages),
        )

    def use(self, *, content: Content, nlu: NLU, stages: Sequence[Stage]) -> None:
        """Swap in new content (a reload): turns that start from now on use it.

        One assignment, no ``await``: turns in progress finish on the parts they
        started with; no conversation waits for the swap.
        """
        self.parts = self._assemble(content, nlu, stages)

    # the current parts, for channels and tests
    @property
    def content(self) -> Content:
        return self.parts.content

    @property
    def nlu(self) -> NLU:
        return self.parts.nlu

    @property
    def policy(self) -> Policy:
        return self.parts.policy

    @property
    def renderer(self) -> Renderer:
        return self.parts.renderer

    @renderer.setter
    def renderer(self, renderer: Renderer) -> None:
        self.parts = replace(self.parts, renderer=renderer)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self.parts.stages

    @stages.setter
    def stages(self, stages: Sequence[Stage]) -> None:
        self.parts = replace(self.parts, stages=tuple(stages))

    async def handle(self, inbound: Inbound, *, journal: Journal | None = None) -> list[Action]:
        """Serve one inbound message; turns of one conversation run one at a time.

        ``journal`` writes in the transaction that records the turn, given the
        actions (the inbox and outbox: a turn redone after a crash is not
        answered twice).
        """
        async with self._locks.hold(str(inbound.key)):
            started = time.perf_counter()
            parts = self.parts  # this turn's version of the content, whatever reloads meanwhile
            turn = await self._open(inbound, parts)
            try:
                for stage in parts.stages:
                    await stage.before(turn)
                    if turn.done:
                        break
                if not turn.done:
                    await self._decide(turn, parts)
                for stage in parts.stages:
                    await stage.after(turn)
            except Exception:
                log.exception("turn failed for %s", inbound.key)
                turn.actions = [Reply(text=turn.render("error") or "…")]
            await self._record(turn, started, journal)
            if log.isEnabledFor(logging.DEBUG):  # masked by the CLI's log filter (bot.privacy)
                kinds = [type(action).__name__ for action in turn.actions]
                log.debug("turn %s: %r -> %s", inbound.key, inbound.text, kinds)
            return turn.actions

    # steps -----------------------------------------------------------------

    async def _open(self, inbound: Inbound, parts: Parts) -> Turn:
        key, now = str(inbound.key), inbound.at
        customer, conv = await self.store.arrive(
            key, inbound.key.platform, inbound.user, name=inbound.name, handle=inbound.handle
        )
        if conv is not None and now - conv.updated_at > self.idle:
            conv.status = State.ENDED
            await self.store.save_conversation(conv)
            conv = None
        new = conv is None
        if conv is None:
            conv = await self.store.start_conversation(
                key, inbound.key.platform, customer.id, language=customer.language
            )
        else:
            customer.earlier_conversations -= 1  # the open one is not "earlier"
        text = clean(inbound.text)
        lang: str = detect(text, default=_lang(conv.language or customer.language))
        if lang not in parts.content.languages:
            lang = conv.language or parts.content.languages[0]
        return Turn(
            inbound=inbound,
            customer=customer,
            conv=conv,
            lang=lang,
            text=text,
            renderer=parts.renderer,
            new_conversation=new,
        )

    async def _decide(self, turn: Turn, parts: Parts) -> None:
        inbound = turn.inbound
        if inbound.button is not None:
            return self._button(turn, inbound.button, parts)
        if inbound.kind in NON_TEXT:
            return turn.say("non_text")
        if not turn.text:
            return turn.say("empty")
        if len(turn.text) > self.max_chars:
            return turn.say("too_long")
        if self._typed_feedback(turn):
            return
        ranked = await parts.nlu.parse(turn.text)
        parts.policy.respond(turn, ranked)

    def _button(self, turn: Turn, payload: str, parts: Parts) -> None:
        turn.understood.intent = "button"
        if payload.startswith(FAQ_PREFIX) and payload[len(FAQ_PREFIX) :] in parts.content.faq:
            return parts.policy.answer(turn, payload[len(FAQ_PREFIX) :], 1.0)
        score = payload.removeprefix(FEEDBACK_PREFIX)
        if payload.startswith(FEEDBACK_PREFIX) and score in RATINGS:
            return self._feedback(turn, int(score))
        if payload == BUTTON_HUMAN:
            return parts.policy.on_human(turn)
        if payload == BUTTON_ELSE:
            turn.state.pop("pending", None)
            return turn.say("rephrase") if turn.renderer.has("rephrase") else turn.say("affirm")
        turn.say("unknown_button")

    def _typed_feedback(self, turn: Turn) -> bool:
        """A bare "1"–"5" right after the rating question counts as the rating."""
        if turn.state.get("feedback_asked") and not turn.state.get("feedback"):
            digit = turn.text.strip().rstrip("점点⭐ ").strip()
            if digit in RATINGS:
                self._feedback(turn, int(digit))
                return True
        return False

    def _feedback(self, turn: Turn, score: int) -> None:
        turn.state["feedback"] = score
        turn.understood.intent = "feedback"
        turn.understood.confidence = float(score)
        turn.say("feedback_thanks" if score >= 4 else "feedback_sorry")

    async def _record(self, turn: Turn, started: float, journal: Journal | None) -> None:
        conv, now = turn.conv, datetime.now(UTC)
        conv.language = turn.lang
        latency = (time.perf_counter() - started) * 1000
        inbound = turn.inbound
        records = [
            Message(
                conversation_id=conv.id,
                direction="in",
                text=turn.text if inbound.button is None else inbound.button,
                created_at=inbound.at,
                kind="button" if inbound.button is not None else inbound.kind,
                language=turn.lang,
                intent=turn.understood.intent,
                confidence=turn.understood.confidence,
                faq_id=turn.understood.faq_id,
                platform_message_id=inbound.message_id,
            )
        ]
        records += [
            Message(
                conversation_id=conv.id,
                direction="out",
                text=action.text,
                created_at=now,
                kind=action.type,
                language=turn.lang,
                latency_ms=latency,
            )
            for action in turn.actions
            if isinstance(action, Reply | Offer)
        ]
        rated = turn.understood.intent == "feedback" and "feedback" in turn.state
        await self.store.record_turn(
            conv,
            records,
            feedback=int(turn.state["feedback"]) if rated else None,
            customer=None if turn.customer.language == turn.lang else (turn.customer.id, turn.lang),
            also=_also(turn, journal),
        )

    # introspection for tests and the CLI ---------------------------------------

    async def conversation(self, key: str) -> Conversation | None:
        """The open conversation on ``key``, if any."""
        return await self.store.current_conversation(key)


def _also(turn: Turn, journal: Journal | None) -> Callable[[AsyncConnection], Awaitable[None]]:
    """The stages' writes and the channel's journal, for the turn's transaction."""

    async def write(conn: AsyncConnection) -> None:
        for stage_write in turn.writes:
            await stage_write(conn)
        if journal is not None:
            await journal(conn, turn.actions)

    return write


def _lang(code: str | None) -> Lang:
    """A known language code, English when unknown."""
    for lang in LANGS:
        if code == lang:
            return lang
    return "en"
