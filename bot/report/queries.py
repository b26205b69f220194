"""What the report reads from the store: SQLAlchemy Core, the same on SQLite and PostgreSQL.

Counts are grouped in SQL; durations and texts come back as rows and are
computed in Python (date arithmetic differs between the two databases). Every
event is filtered by its own time: conversations by their start, messages,
tickets, ratings and offer events by when they happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handoff.tables import tickets
from bot.offers.repository import offer_events
from bot.report.groups import Asked
from bot.report.period import Period
from bot.store import tables as t
from bot.store.sql import execute

UNKNOWN = "unknown"
#: Intents the policy records on a customer's question (see :mod:`bot.policy`).
QUESTION_INTENTS = ("faq", "clarify", "fallback")

_conv = t.conversations.c
_msg = t.messages.c


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _within(column: Any, period: Period) -> list[Any]:
    where = []
    if period.since is not None:
        where.append(column >= period.since)
    if period.until is not None:
        where.append(column < period.until)
    return where


def _at(value: datetime | None, default: datetime) -> datetime:
    return _utc(value) or default


async def _rows(engine: AsyncEngine, stmt: Any) -> list[Any]:
    return list(await execute(engine, stmt))


@dataclass(frozen=True, slots=True)
class Count:
    """A number of things in one channel and language, with one more key."""

    channel: str
    language: str
    key: str
    n: int


def _count(row: Any) -> Count:
    return Count(
        row[0] or UNKNOWN, row[1] or UNKNOWN, "" if row[2] is None else str(row[2]), int(row[3])
    )


async def conversations(engine: AsyncEngine, period: Period) -> list[Count]:
    """Conversations started in the period, per channel and language."""
    stmt = (
        sa.select(_conv.platform, _conv.language, sa.func.count())
        .where(*_within(_conv.started_at, period))
        .group_by(_conv.platform, _conv.language)
    )
    return [_count((r[0], r[1], None, r[2])) for r in await _rows(engine, stmt)]


@dataclass(frozen=True, slots=True)
class Question:
    """Customer messages that asked something, per outcome (``key`` is the intent)."""

    channel: str
    language: str
    intent: str
    faq_id: str | None
    n: int


async def questions(engine: AsyncEngine, period: Period) -> list[Question]:
    """Customer messages answered from the FAQ (``faq_id``), clarified or not answered."""
    stmt = (
        sa.select(_conv.platform, _msg.language, _msg.intent, _msg.faq_id, sa.func.count())
        .join(t.conversations, _conv.id == _msg.conversation_id)
        .where(
            _msg.direction == "in",
            sa.or_(_msg.intent.in_(QUESTION_INTENTS), _msg.faq_id.is_not(None)),
            *_within(_msg.created_at, period),
        )
        .group_by(_conv.platform, _msg.language, _msg.intent, _msg.faq_id)
    )
    return [
        Question(r[0] or UNKNOWN, r[1] or UNKNOWN, r[2] or "", r[3], int(r[4]))
        for r in await _rows(engine, stmt)
    ]


async def unanswered(engine: AsyncEngine, period: Period) -> list[Asked]:
    """The text of every customer message the bot fell back on, oldest first."""
    stmt = (
        sa.select(_msg.text, _msg.language, _conv.platform)
        .join(t.conversations, _conv.id == _msg.conversation_id)
        .where(_msg.direction == "in", _msg.intent == "fallback", *_within(_msg.created_at, period))
        .order_by(_msg.id)
    )
    return [Asked(str(r[0]), r[1] or UNKNOWN, r[2] or UNKNOWN) for r in await _rows(engine, stmt)]


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One handoff and its times."""

    id: int
    conversation_id: int
    channel: str
    language: str
    reason: str
    status: str
    created_at: datetime
    claimed_at: datetime | None
    first_reply_at: datetime | None
    closed_at: datetime | None


async def handoff_tickets(engine: AsyncEngine, period: Period) -> list[TicketRow]:
    """Tickets opened in the period, with the time of the agent's first reply."""
    tk = tickets.c
    first_reply = (
        sa.select(sa.func.min(_msg.created_at))
        .where(
            _msg.conversation_id == tk.conversation_id,
            _msg.kind == "agent",
            _msg.created_at >= tk.created_at,
        )
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            tk.id,
            tk.conversation_id,
            _conv.platform,
            _conv.language,
            tk.reason,
            tk.status,
            tk.created_at,
            tk.claimed_at,
            first_reply,
            tk.closed_at,
        )
        .join(t.conversations, _conv.id == tk.conversation_id)
        .where(*_within(tk.created_at, period))
        .order_by(tk.id)
    )
    out = []
    for r in await _rows(engine, stmt):
        created = _utc(r[6])
        assert created is not None
        out.append(
            TicketRow(
                int(r[0]),
                int(r[1]),
                r[2] or UNKNOWN,
                r[3] or UNKNOWN,
                str(r[4]),
                str(r[5]),
                created,
                _utc(r[7]),
                _utc(r[8]),
                _utc(r[9]),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Latency:
    """How long the bot took over one turn, in milliseconds."""

    channel: str
    language: str
    ms: float


async def bot_latencies(engine: AsyncEngine, period: Period) -> list[Latency]:
    """One latency per bot turn (a turn's replies share it)."""
    stmt = (
        sa.select(_conv.platform, _msg.language, sa.func.max(_msg.latency_ms))
        .join(t.conversations, _conv.id == _msg.conversation_id)
        .where(
            _msg.direction == "out",
            _msg.latency_ms.is_not(None),
            *_within(_msg.created_at, period),
        )
        .group_by(_msg.conversation_id, _msg.created_at, _conv.platform, _msg.language)
    )
    return [
        Latency(r[0] or UNKNOWN, r[1] or UNKNOWN, float(r[2])) for r in await _rows(engine, stmt)
    ]


async def feedback(engine: AsyncEngine, period: Period) -> list[Count]:
    """Ratings per channel, conversation language and score (``key``)."""
    f = t.feedback.c
    stmt = (
        sa.select(_conv.platform, _conv.language, f.score, sa.func.count())
        .join(t.conversations, _conv.id == f.conversation_id)
        .where(*_within(f.created_at, period))
        .group_by(_conv.platform, _conv.language, f.score)
    )
    return [_count(r) for r in await _rows(engine, stmt)]


@dataclass(frozen=True, slots=True)
class OfferCount:
    """Offer events of one offer, channel and language."""

    channel: str
    language: str
    offer_id: str
    event: str
    n: int


async def offers(engine: AsyncEngine, period: Period) -> list[OfferCount]:
    """Offers shown, accepted and declined, per offer, channel and language."""
    o = offer_events.c
    stmt = (
        sa.select(_conv.platform, o.language, o.offer_id, o.event, sa.func.count())
        .join(t.conversations, _conv.id == o.conversation_id)
        .where(*_within(o.created_at, period))
        .group_by(_conv.platform, o.language, o.offer_id, o.event)
    )
    return [
        OfferCount(r[0] or UNKNOWN, r[1] or UNKNOWN, str(r[2]), str(r[3]), int(r[4]))
        for r in await _rows(engine, stmt)
    ]


@dataclass(frozen=True, slots=True)
class AgentAnswer:
    """What a customer asked that the bot could not answer, and what the agent replied."""

    question: str
    language: str
    answer: str
    at: datetime


async def agent_answers(engine: AsyncEngine, period: Period) -> list[AgentAnswer]:
    """For each ticket opened in the period: the customer's unanswered question before it
    and the agent's replies after it (tickets without both are skipped)."""
    tk = tickets.c
    ticket_rows = await _rows(
        engine,
        sa.select(tk.conversation_id, tk.created_at, tk.closed_at)
        .where(*_within(tk.created_at, period))
        .order_by(tk.id),
    )
    if not ticket_rows:
        return []
    ids = sorted({int(r[0]) for r in ticket_rows})
    messages = await _rows(
        engine,
        sa.select(
            _msg.conversation_id, _msg.kind, _msg.intent, _msg.text, _msg.language, _msg.created_at
        )
        .where(
            _msg.conversation_id.in_(ids),
            sa.or_(
                sa.and_(_msg.direction == "in", _msg.intent == "fallback"), _msg.kind == "agent"
            ),
        )
        .order_by(_msg.id),
    )
    by_conv: dict[int, list[Any]] = {}
    for m in messages:
        by_conv.setdefault(int(m[0]), []).append(m)
    out = []
    for conv_id, opened, closed in ticket_rows:
        opened, closed = _utc(opened), _utc(closed)
        assert opened is not None
        rows = by_conv.get(int(conv_id), [])
        asked = [m for m in rows if m[1] != "agent" and _at(m[5], opened) <= opened]
        replies = [
            m
            for m in rows
            if m[1] == "agent"
            and opened <= _at(m[5], opened)
            and (closed is None or _at(m[5], opened) <= closed)
        ]
        if asked and replies:
            last = asked[-1]
            out.append(
                AgentAnswer(
                    str(last[3]),
                    last[4] or UNKNOWN,
                    "\n".join(str(m[3]) for m in replies),
                    _utc(replies[-1][5]) or opened,
                )
            )
    return out
