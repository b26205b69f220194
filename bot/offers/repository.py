"""Offer events in the store's database: shown, accepted, declined — per offer and language.

The table comes from migration ``0003``; this module shares the store's engine.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.offers.selection import Tally
from bot.store.sql import execute, transaction


class Event(enum.StrEnum):
    """What happened to an offer."""

    SHOWN = "shown"
    ACCEPTED = "accepted"
    DECLINED = "declined"


offer_events = sa.Table(
    "offer_events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("offer_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("customer_id", sa.Integer, nullable=False),
    sa.Column("conversation_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def _utc(at: datetime) -> datetime:
    """Every time in UTC, so SQLite's text comparison orders them right."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class OfferStats:
    """One row of the offers report."""

    offer_id: str
    language: str
    shown: int
    accepted: int
    declined: int


class OfferRepository:
    """Records offer events and answers the questions the offer stage asks."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _rows(self, stmt: sa.Select[Any]) -> list[tuple[Any, ...]]:
        async def work(conn: AsyncConnection) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in await conn.execute(stmt)]

        return await transaction(self._engine, work)

    async def record(
        self,
        event: Event,
        *,
        offer_id: str,
        kind: str,
        language: str,
        customer_id: int,
        conversation_id: int,
        at: datetime,
    ) -> None:
        """Store one event."""
        values = {
            "offer_id": offer_id,
            "kind": kind,
            "language": language,
            "event": event.value,
            "customer_id": customer_id,
            "conversation_id": conversation_id,
            "created_at": _utc(at),
        }
        await execute(self._engine, offer_events.insert().values(**values), idempotent=False)

    async def declined_since(self, customer_id: int, since: datetime) -> set[str]:
        """Offers this customer declined at or after ``since``."""
        c = offer_events.c
        rows = await self._rows(
            sa.select(c.offer_id)
            .where(
                c.customer_id == customer_id,
                c.event == Event.DECLINED.value,
                c.created_at >= _utc(since),
            )
            .distinct()
        )
        return {str(r[0]) for r in rows}

    async def awaiting_answer(self, customer_id: int, offer_id: str) -> tuple[int, str] | None:
        """``(conversation id, language)`` if this offer's latest event for the customer is
        "shown" — i.e. a press of its buttons is a fresh answer, not a repeat."""
        c = offer_events.c
        rows = await self._rows(
            sa.select(c.event, c.conversation_id, c.language)
            .where(c.customer_id == customer_id, c.offer_id == offer_id)
            .order_by(c.id.desc())
            .limit(1)
        )
        if not rows or rows[0][0] != Event.SHOWN.value:
            return None
        return int(rows[0][1]), str(rows[0][2])

    async def tallies(self, offer_ids: Iterable[str]) -> dict[str, Tally]:
        """Shown / accepted / declined counts of these offers, all languages together."""
        ids = sorted(set(offer_ids))
        if not ids:
            return {}
        c = offer_events.c
        rows = await self._rows(
            sa.select(c.offer_id, c.event, sa.func.count())
            .where(c.offer_id.in_(ids))
            .group_by(c.offer_id, c.event)
        )
        counts: dict[str, dict[str, int]] = {}
        for offer_id, event, n in rows:
            counts.setdefault(str(offer_id), {})[str(event)] = int(n)
        return {
            offer_id: Tally(
                shown=by.get(Event.SHOWN.value, 0),
                accepted=by.get(Event.ACCEPTED.value, 0),
                declined=by.get(Event.DECLINED.value, 0),
            )
            for offer_id, by in counts.items()
        }

    async def report(self, *, since: datetime | None = None) -> list[OfferStats]:
        """Counts per offer and language (for the reports), sorted by offer and language."""
        c = offer_events.c
        stmt = sa.select(c.offer_id, c.language, c.event, sa.func.count()).group_by(
            c.offer_id, c.language, c.event
        )
        if since is not None:
            stmt = stmt.where(c.created_at >= _utc(since))
        counts: dict[tuple[str, str], dict[str, int]] = {}
        for offer_id, language, event, n in await self._rows(stmt):
            counts.setdefault((str(offer_id), str(language)), {})[str(event)] = int(n)
        return [
            OfferStats(
                offer_id=offer_id,
                language=language,
                shown=by.get(Event.SHOWN.value, 0),
                accepted=by.get(Event.ACCEPTED.value, 0),
                declined=by.get(Event.DECLINED.value, 0),
            )
            for (offer_id, language), by in sorted(counts.items())
        ]
