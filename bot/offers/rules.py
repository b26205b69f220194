"""When an offer may be shown, and what the conversation remembers for it.

An offer comes only once the customer's need was met — an FAQ answered in an
earlier turn, then thanks or a yes — and never on first contact, while the
guard sees frustration (its level carries over turns and eases by itself), after
abuse, a threat, a complaint or a handoff in the conversation, twice in one
conversation, or within :data:`COOLDOWN` of the customer declining that offer.

When the thanks also brings the rating question (the policy asks once per
conversation), the offer waits for the rating: it follows a rating of
:data:`MIN_RATING` or more, and a lower one rules offers out — one question at a
time, and only to a customer who says they are satisfied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.models import Handoff, State
from bot.turn import Turn

#: After a customer declines an offer, it is not shown to them again for this long.
COOLDOWN = timedelta(days=30)
#: Intents that say the answer helped.
NEED_MET = frozenset({"thanks", "affirm"})
#: A rating at least this good lets a waiting offer follow it.
MIN_RATING = 4
#: Earlier trouble that a resolved ticket puts right (abuse and threats it does not).
FORGIVEN_BY_RESOLUTION = frozenset({"complaint", "handoff", "low_rating"})
_KEY = "offers"


@dataclass(slots=True)
class Memory:
    """The offer part of the conversation's working memory (JSON in ``conv.state``).

    Nothing is written to the state until there is something to remember.
    """

    state: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        """What is remembered so far (read-only; empty when nothing is)."""
        found: dict[str, Any] = self.state.get(_KEY) or {}
        return found

    def _write(self) -> dict[str, Any]:
        written: dict[str, Any] = self.state.setdefault(_KEY, {})
        return written

    @property
    def words(self) -> frozenset[str]:
        """Catalog words the customer has written in this conversation."""
        return frozenset(self.data.get("words", ()))

    def remember(self, words: Iterable[str]) -> None:
        """Add catalog words the customer wrote."""
        new = set(words) - self.words
        if new:
            self._write()["words"] = sorted(self.words | new)

    @property
    def blocked(self) -> frozenset[str]:
        """Why nothing may be sold in this conversation (complaint, handoff, upset, …)."""
        return frozenset(self.data.get("blocked", ()))

    def block(self, reason: str) -> None:
        """Note a reason that rules offers out for the rest of the conversation."""
        if reason not in self.blocked:
            self._write()["blocked"] = sorted(self.blocked | {reason})

    @property
    def shown(self) -> str | None:
        """The offer already shown in this conversation, if any."""
        return self.data.get("shown")

    @property
    def pending(self) -> str | None:
        """The offer shown and not answered yet."""
        return self.data.get("pending")

    def show(self, offer_id: str) -> None:
        """Remember that ``offer_id`` was shown and awaits an answer."""
        data = self._write()
        data["shown"] = data["pending"] = offer_id

    def settle(self) -> None:
        """The pending offer was answered or passed over."""
        self.data.pop("pending", None)

    @property
    def awaiting_rating(self) -> bool:
        """An offer may follow the rating the customer was just asked for."""
        return bool(self.data.get("after_rating"))

    @awaiting_rating.setter
    def awaiting_rating(self, waiting: bool) -> None:
        if waiting:
            self._write()["after_rating"] = True
        else:
            self.data.pop("after_rating", None)


def note_trouble(turn: Turn, memory: Memory) -> None:
    """Remember what in this turn rules offers out for the rest of the conversation.

    Frustration is not remembered here: the guard's own level carries it over
    turns and eases as things go well, and :func:`why_not` asks it every turn.
    """
    mood = turn.mood
    for reason, present in (
        ("abuse", mood.abuse),
        ("threat", mood.threat),
        ("complaint", turn.understood.intent == "complaint"),
        ("low_rating", _rated(turn) and _rating(turn) < MIN_RATING),
        ("handoff", turn.conv.status is State.WITH_AGENT),
        ("handoff", any(isinstance(a, Handoff) for a in turn.actions)),
    ):
        if present:
            memory.block(reason)


def why_not(turn: Turn, memory: Memory, *, after_rating: bool = False) -> str | None:
    """Why no offer may follow this turn, or ``None`` when one may.

    ``after_rating``: the previous turn's thanks asked for the rating this turn
    may give, and its offer waits for it.
    """
    checks = (
        (memory.shown is not None, "already offered in this conversation"),
        (turn.new_conversation, "first contact"),
        (turn.conv.status is not State.ACTIVE, f"conversation is {turn.conv.status.value}"),
        (any(isinstance(a, Handoff) for a in turn.actions), "handoff"),
        (turn.mood.upset, "customer is upset"),
        (bool(memory.blocked), "earlier: " + ", ".join(sorted(memory.blocked))),
    )
    reason = next((reason for failed, reason in checks if failed), None)
    return reason or _need_unmet(turn, after_rating=after_rating)


def _need_unmet(turn: Turn, *, after_rating: bool) -> str | None:
    if _rated(turn):
        return None if after_rating else "a rating, but no offer waits for it"
    if turn.understood.intent not in NEED_MET:
        return "no thanks or yes in this turn"
    if turn.understood.faq_id is not None:
        return "a question was answered just now"
    if not turn.state.get("answered"):
        return "no question answered yet"
    return None


def _rated(turn: Turn) -> bool:
    return turn.understood.intent == "feedback" and "feedback" in turn.state


def _rating(turn: Turn) -> int:
    score = turn.state.get("feedback")
    return score if isinstance(score, int) else 0
