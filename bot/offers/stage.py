"""The offer stage: after the policy, maybe an offer; before it, the customer's answer.

``before`` takes the answer to a pending offer — its buttons, or a short
"no thanks" / "yes please" in words — and ends the turn with a short gracious
reply. ``after`` remembers the catalog words the customer wrote and what rules
offers out, takes an NLU ``deny``/``affirm`` right after an offer as its answer,
and, when :func:`~bot.offers.rules.why_not` finds no reason against it, shows
the most fitting offer (as an :class:`~bot.models.Offer` action with buttons).

One question at a time: when the policy asks for a rating in the thanks turn,
the offer waits for the rating and follows a good one (see
:mod:`bot.offers.rules`).
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.content.model import Content, OfferItem
from bot.errors import StoreError
from bot.models import Button, Offer, Reply, State
from bot.offers.choice import Choice, in_words, more_payload, no_payload, parse_payload
from bot.offers.relevance import Signals, candidates, most_specific, product_words, words_in
from bot.offers.repository import Event, OfferRepository
from bot.offers.rules import COOLDOWN, FORGIVEN_BY_RESOLUTION, Memory, note_trouble, why_not
from bot.offers.selection import EXPLORE, choose
from bot.policy import FEEDBACK_PREFIX
from bot.ratelimit import RATE_LIMITED
from bot.responses import Renderer
from bot.store.records import Conversation
from bot.store.sql import SqlStore
from bot.turn import Turn

log = logging.getLogger(__name__)

#: Intents this stage records for the customer's answer to an offer.
INTENTS = {Choice.ACCEPT: "offer_accept", Choice.DECLINE: "offer_decline"}
#: NLU intents that answer an offer asked just before.
_BY_INTENT = {"affirm": Choice.ACCEPT, "deny": Choice.DECLINE}


class OfferStage:
    """Upsell and cross-sell at the right moment; see :mod:`bot.offers.rules`."""

    def __init__(
        self,
        content: Content,
        repository: OfferRepository,
        *,
        cooldown: timedelta = COOLDOWN,
        explore: float = EXPLORE,
        rng: random.Random | None = None,
    ) -> None:
        self.content = content
        self.repository = repository
        self.cooldown = cooldown
        self.explore = explore
        self.rng = rng or random.Random()
        self.renderer = Renderer(content.templates)
        self.vocabulary = product_words(content)

    # the Stage protocol ------------------------------------------------------

    async def before(self, turn: Turn) -> None:
        """Take the answer to an offer: a button, or a short yes / no in words."""
        if turn.conv.status is not State.ACTIVE:
            return
        if turn.inbound.button is not None:
            parsed = parse_payload(turn.inbound.button)
            if parsed is not None:
                await self._answer(turn, *parsed)
                turn.done = True
            return
        pending = Memory(turn.state).pending
        choice = in_words(turn.text) if pending else None
        if pending and choice is not None:
            await self._answer(turn, choice, pending)
            turn.done = True

    async def after(self, turn: Turn) -> None:
        """Remember, take an NLU yes / no to a pending offer, or maybe show one."""
        if turn.understood.intent == RATE_LIMITED:
            return  # held, not answered: nothing to offer, nothing settled
        memory = Memory(turn.state)
        note_trouble(turn, memory)
        if turn.understood.intent in INTENTS.values():
            return  # answered in ``before``
        if turn.text and turn.inbound.button is None:
            memory.remember(words_in(turn.text, self.vocabulary))
        pending = memory.pending
        if pending:
            choice = _BY_INTENT.get(turn.understood.intent or "")
            if choice is not None and turn.understood.faq_id is None:
                # The policy answered "yes"/"no" as small talk; answer the offer instead.
                turn.actions = [a for a in turn.actions if not isinstance(a, Reply)]
                await self._answer(turn, choice, pending)
                return
            memory.settle()  # the customer moved on: the offer lapses quietly
        after_rating = memory.awaiting_rating
        memory.awaiting_rating = False
        reason = why_not(turn, memory, after_rating=after_rating)
        if reason is not None:
            log.debug("no offer in conversation %s: %s", turn.conv.id, reason)
            return
        if any(isinstance(a, Reply) and _is_rating(a) for a in turn.actions):
            memory.awaiting_rating = True  # one question at a time: the rating first
            return
        try:
            offer = await self._pick(turn.customer.id, turn.state, turn.lang, turn.inbound.at)
            if offer is not None:
                await self._shown(offer, memory, turn.conv, turn.lang, turn.inbound.at)
        except StoreError:
            log.exception("no offer in conversation %s: the store failed", turn.conv.id)
            return  # a sale is never worth a failed turn
        if offer is not None:
            turn.actions.append(self.action(offer, turn.lang))

    # for the handoff work -------------------------------------------------------

    async def offer_on_resolution(
        self, conv: Conversation, *, at: datetime | None = None
    ) -> Offer | None:
        """An agent resolved the customer's ticket — their need was met.

        Returns the offer to send along with the resolution message, or ``None``.
        Call it once the conversation is no longer with the agent; the offer is
        recorded as shown and remembered in ``conv.state``, so save ``conv``.
        A complaint, handoff or low rating earlier on no longer stands in the
        way (the ticket put it right); abuse or a threat still does, as do the
        once-per-conversation rule and the cooldown.
        """
        memory = Memory(conv.state)
        if conv.status is State.WITH_AGENT or memory.shown is not None:
            return None
        if memory.blocked - FORGIVEN_BY_RESOLUTION:
            return None
        lang = conv.language or self.content.languages[0]
        now = at or datetime.now(UTC)
        offer = await self._pick(conv.customer_id, conv.state, lang, now)
        if offer is None:
            return None
        await self._shown(offer, memory, conv, lang, now)
        return self.action(offer, lang)

    # steps ------------------------------------------------------------------------

    def action(self, offer: OfferItem, lang: str) -> Offer:
        """The offer as an action: its pitch in ``lang`` and the two buttons."""
        more = self.renderer.render("offer_button_more", lang) or "Tell me more"
        no = self.renderer.render("offer_button_no", lang) or "No thanks"
        return Offer(
            offer_id=offer.id,
            kind=offer.kind,
            text=offer.pitch.get(lang) or next(iter(offer.pitch.values()), ""),
            buttons=(Button(more, more_payload(offer.id)), Button(no, no_payload(offer.id))),
        )

    async def _pick(
        self, customer_id: int, state: dict[str, Any], lang: str, at: datetime
    ) -> OfferItem | None:
        signals = Signals(answered=tuple(state.get("answered") or ()), words=Memory(state).words)
        found = candidates(self.content, signals, lang=lang)
        if not found:
            return None
        declined = await self.repository.declined_since(customer_id, at - self.cooldown)
        found = [c for c in found if c.offer.id not in declined]
        tallies = await self.repository.tallies(c.offer.id for c in most_specific(found))
        pick = choose(found, tallies, rng=self.rng, explore=self.explore)
        return None if pick is None else pick.offer

    async def _shown(
        self, offer: OfferItem, memory: Memory, conv: Conversation, lang: str, at: datetime
    ) -> None:
        memory.show(offer.id)
        await self.repository.record(
            Event.SHOWN,
            offer_id=offer.id,
            kind=offer.kind,
            language=lang,
            customer_id=conv.customer_id,
            conversation_id=conv.id,
            at=at,
        )
        log.info("offer %s shown in conversation %s (%s)", offer.id, conv.id, lang)

    async def _answer(self, turn: Turn, choice: Choice, offer_id: str) -> None:
        memory = Memory(turn.state)
        if memory.pending == offer_id:
            memory.settle()
        turn.understood.intent = INTENTS[choice]
        offer = self.content.offers.get(offer_id)
        if offer is not None:
            try:
                await self._record_answer(turn, choice, offer)
            except StoreError:
                log.exception("offer %s: the answer was not recorded", offer_id)
        if choice is Choice.DECLINE:
            turn.say("offer_declined")
        elif offer is None:
            turn.say("unknown_button")
        elif offer.url:
            turn.say_text(f"{turn.render('offer_accepted')}\n{offer.url}")
        else:
            turn.say("offer_accepted_no_link")

    async def _record_answer(self, turn: Turn, choice: Choice, offer: OfferItem) -> None:
        """Record the answer once, against the showing it answers (its conversation, language)."""
        customer = turn.customer.id
        showing = await self.repository.awaiting_answer(customer, offer.id)
        if showing is None:
            return  # an old button pressed again: answer politely, count nothing
        conversation_id, language = showing
        await self.repository.record(
            Event.ACCEPTED if choice is Choice.ACCEPT else Event.DECLINED,
            offer_id=offer.id,
            kind=offer.kind,
            language=language,
            customer_id=customer,
            conversation_id=conversation_id,
            at=turn.inbound.at,
        )


def _is_rating(reply: Reply) -> bool:
    return any(b.payload.startswith(FEEDBACK_PREFIX) for b in reply.buttons)


def offer_stage(
    content: Content,
    store: SqlStore,
    *,
    cooldown: timedelta = COOLDOWN,
    rng: random.Random | None = None,
) -> OfferStage:
    """The stage for ``build_app``, keeping its events in the store's database."""
    return OfferStage(content, OfferRepository(store.engine), cooldown=cooldown, rng=rng)
