"""The report's figures, computed from the store's rows: pure functions, no I/O.

Every figure is given for all conversations together and for each language and
each channel ("cuts"); see ``docs/reports.md`` for how each is defined.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from bot.report.groups import Group
from bot.report.period import Period
from bot.report.queries import Count, Latency, OfferCount, Question, TicketRow

#: A slice of the data: ``("all", "all")``, ``("language", "ko")``, ``("channel", "slack")``.
Cut = tuple[str, str]
ALL: Cut = ("all", "all")
SCORES = (1, 2, 3, 4, 5)
TOP_FAQ = 10


def percentile(samples: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0–100), ``None`` without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def share(part: int, whole: int) -> float | None:
    """``part / whole``, ``None`` when there is nothing to divide."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Spread:
    """p50 and p90 of durations in seconds, over ``n`` samples."""

    n: int
    p50: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Spread:
        return cls(len(seconds), percentile(seconds, 50), percentile(seconds, 90))


@dataclass(frozen=True, slots=True)
class Answering:
    """How customers' questions went: answered from the FAQ, clarified, or not answered."""

    questions: int = 0
    answered: int = 0
    clarified: int = 0
    unanswered: int = 0

    @property
    def rate(self) -> float | None:
        """Share of questions answered from the FAQ (capped at 1)."""
        rate = share(self.answered, self.questions)
        return None if rate is None else min(1.0, rate)


@dataclass(frozen=True, slots=True)
class Handoffs:
    """Conversations handed to a person, and why."""

    conversations: int = 0
    handed_off: int = 0
    by_trigger: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        rate = share(self.handed_off, self.conversations)
        return None if rate is None else min(1.0, rate)


@dataclass(frozen=True, slots=True)
class Timings:
    """Bot reply time, and for handoffs: agent's first reply, claim, resolve."""

    bot_reply: Spread = Spread(0, None, None)
    first_reply: Spread = Spread(0, None, None)
    claim: Spread = Spread(0, None, None)
    resolve: Spread = Spread(0, None, None)


@dataclass(frozen=True, slots=True)
class Feedback:
    """Ratings 1–5."""

    counts: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        total = sum(score * n for score, n in self.counts.items())
        return total / self.n if self.n else None


@dataclass(frozen=True, slots=True)
class Offers:
    """Offer events."""

    shown: int = 0
    accepted: int = 0
    declined: int = 0

    @property
    def acceptance(self) -> float | None:
        """Accepted per offer shown."""
        return share(self.accepted, self.shown)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything ``frontdesk report`` shows."""

    period: Period
    generated_at: datetime
    cuts: tuple[Cut, ...]
    conversations: dict[Cut, int]
    answering: dict[Cut, Answering]
    top_faq: list[tuple[str, int]]
    unanswered: list[Group]
    handoffs: dict[Cut, Handoffs]
    timings: dict[Cut, Timings]
    feedback: dict[Cut, Feedback]
    offers: dict[Cut, Offers]
    offers_by_id: dict[str, Offers]

    @property
    def empty(self) -> bool:
        """Nothing happened in the period."""
        return not (
            self.conversations.get(ALL)
            or self.answering[ALL].questions
            or self.handoffs[ALL].by_trigger
            or self.feedback[ALL].n
            or self.offers[ALL].shown
        )


def trigger(reason: str) -> str:
    """A ticket's reason as a handoff trigger: ``faq:returns`` → ``faq``."""
    return reason.split(":", 1)[0]


def _cuts_of(channel: str, language: str) -> tuple[Cut, Cut, Cut]:
    return ALL, ("language", language), ("channel", channel)


class _Sliceable(Protocol):
    @property
    def channel(self) -> str: ...

    @property
    def language(self) -> str: ...


S = TypeVar("S", bound=_Sliceable)


def _tally(rows: Iterable[S]) -> dict[Cut, list[S]]:
    """Rows under every cut they belong to: all, their language, their channel."""
    out: dict[Cut, list[S]] = {ALL: []}
    for row in rows:
        for cut in _cuts_of(row.channel, row.language):
            out.setdefault(cut, []).append(row)
    return out


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max(0.0, (end - start).total_seconds())


def answering(rows: Sequence[Question]) -> Answering:
    """Questions and their outcomes; an FAQ answer after a clarifying question counts once."""
    asked = sum(r.n for r in rows if r.intent in ("faq", "clarify", "fallback"))
    return Answering(
        questions=asked,
        answered=sum(r.n for r in rows if r.faq_id),
        clarified=sum(r.n for r in rows if r.intent == "clarify"),
        unanswered=sum(r.n for r in rows if r.intent == "fallback"),
    )


def handoffs(conversations: int, rows: Sequence[TicketRow]) -> Handoffs:
    """Handed-off conversations among ``conversations``, tickets by trigger."""
    by_trigger = Counter(trigger(r.reason) for r in rows)
    return Handoffs(
        conversations=conversations,
        handed_off=len({r.conversation_id for r in rows}),
        by_trigger=dict(sorted(by_trigger.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def timings(latencies: Sequence[Latency], rows: Sequence[TicketRow]) -> Timings:
    """Percentiles of the bot's turn time and of the handoff times."""

    def spread(values: Iterable[float | None]) -> Spread:
        return Spread.of([v for v in values if v is not None])

    return Timings(
        bot_reply=Spread.of([x.ms / 1000 for x in latencies]),
        first_reply=spread(_seconds(r.created_at, r.first_reply_at) for r in rows),
        claim=spread(_seconds(r.created_at, r.claimed_at) for r in rows),
        resolve=spread(_seconds(r.created_at, r.closed_at) for r in rows if r.status == "resolved"),
    )


def offer_totals(rows: Sequence[OfferCount]) -> Offers:
    by: Counter[str] = Counter()
    for r in rows:
        by[r.event] += r.n
    return Offers(by["shown"], by["accepted"], by["declined"])


def build(
    *,
    period: Period,
    generated_at: datetime,
    conversations: Sequence[Count],
    questions: Sequence[Question],
    groups: Sequence[Group],
    tickets: Sequence[TicketRow],
    latencies: Sequence[Latency],
    ratings: Sequence[Count],
    offers: Sequence[OfferCount],
) -> Report:
    """The whole report from the query rows."""
    conv_by = _tally(conversations)
    q_by = _tally(questions)
    t_by = _tally(tickets)
    l_by = _tally(latencies)
    f_by = _tally(ratings)
    o_by = _tally(offers)
    found = set(conv_by) | set(q_by) | set(t_by) | set(l_by) | set(f_by) | set(o_by)
    cuts = (
        ALL,
        *sorted(c for c in found if c[0] == "language"),
        *sorted(c for c in found if c[0] == "channel"),
    )
    conv_n = {c: sum(r.n for r in conv_by.get(c, [])) for c in cuts}
    faq: Counter[str] = Counter()
    for q in questions:
        if q.faq_id:
            faq[q.faq_id] += q.n
    by_offer: dict[str, list[OfferCount]] = {}
    for o in offers:
        by_offer.setdefault(o.offer_id, []).append(o)
    return Report(
        period=period,
        generated_at=generated_at,
        cuts=cuts,
        conversations=conv_n,
        answering={c: answering(q_by.get(c, [])) for c in cuts},
        top_faq=sorted(faq.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FAQ],
        unanswered=list(groups),
        handoffs={c: handoffs(conv_n[c], t_by.get(c, [])) for c in cuts},
        timings={c: timings(l_by.get(c, []), t_by.get(c, [])) for c in cuts},
        feedback={
            c: Feedback({s: sum(r.n for r in f_by.get(c, []) if r.key == str(s)) for s in SCORES})
            for c in cuts
        },
        offers={c: offer_totals(o_by.get(c, [])) for c in cuts},
        offers_by_id={k: offer_totals(v) for k, v in sorted(by_offer.items())},
    )
