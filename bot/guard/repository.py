"""The guard's records: flags, how each conversation went, the customer type.

Shares the store's database (``SqlStore.engine``); the tables are in
:mod:`bot.guard.tables`. Agents' tools read :meth:`GuardRepository.flags` and
:meth:`GuardRepository.customer_type`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.guard import tables as g
from bot.guard.customer import History
from bot.guard.settings import CustomerRules
from bot.store import tables as t
from bot.store.dialect import upsert
from bot.store.sql import execute, transaction


@dataclass(frozen=True, slots=True)
class GuardFlag:
    """A customer flagged for abuse or a threat, for whoever serves them next."""

    id: int
    customer_id: int
    conversation_id: int
    kind: str  # abuse | threat
    reason: str
    messages: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationMood:
    """How one conversation went, as the guard saw it."""

    peak: float = 0.0
    strikes: int = 0
    threats: int = 0
    thanked: bool = False


#: What a newer mood overwrites.
_MOOD = ("peak", "strikes", "threats", "thanked", "updated_at")
_TYPE = ("type", "updated_at")


def hostile(kind: str, reason: str) -> bool:
    """Whether a flag makes an active hater: abuse or a physical threat (suing is a right)."""
    return kind == "abuse" or reason.startswith("threat: physical")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class GuardRepository:
    """Flags, moods and customer types in the store's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    async def _run(self, stmt: Any) -> sa.CursorResult[Any]:
        return await execute(self._engine, stmt)

    # flags ---------------------------------------------------------------------

    async def add_flag(
        self,
        customer_id: int,
        conversation_id: int,
        *,
        kind: str,
        reason: str,
        messages: Sequence[str],
    ) -> GuardFlag:
        """Flag a customer, keeping the reason and the messages."""
        now = datetime.now(UTC)
        values = {
            "customer_id": customer_id,
            "conversation_id": conversation_id,
            "kind": kind,
            "reason": reason,
            "messages": list(messages),
            "created_at": now,
        }
        result = await execute(
            self._engine, g.guard_flags.insert().values(**values), idempotent=False
        )
        new_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        return GuardFlag(
            int(new_id or 0), customer_id, conversation_id, kind, reason, tuple(messages), now
        )

    async def flags(self, customer_id: int) -> list[GuardFlag]:
        """A customer's flags, oldest first."""
        result = await self._run(
            sa.select(g.guard_flags)
            .where(g.guard_flags.c.customer_id == customer_id)
            .order_by(g.guard_flags.c.id)
        )
        return [
            GuardFlag(
                id=row.id,
                customer_id=row.customer_id,
                conversation_id=row.conversation_id,
                kind=row.kind,
                reason=row.reason,
                messages=tuple(map(str, row.messages or ())),
                created_at=_utc(row.created_at),
            )
            for row in result
        ]

    # moods and customer types ------------------------------------------------

    async def save_mood(
        self,
        conversation_id: int,
        customer_id: int,
        mood: ConversationMood,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Record how a conversation is going (one row per conversation); on ``conn``
        when given (the turn's own transaction), else in a transaction of its own."""
        row = {
            "conversation_id": conversation_id,
            "customer_id": customer_id,
            "peak": mood.peak,
            "strikes": mood.strikes,
            "threats": mood.threats,
            "thanked": mood.thanked,
            "updated_at": datetime.now(UTC),
        }
        stmt = upsert(self._dialect, g.guard_moods, keys=["conversation_id"], update=_MOOD)
        if conn is None:
            await execute(self._engine, stmt, row)
        else:
            await conn.execute(stmt, row)

    async def history(
        self, customer_id: int, *, excluding: int, rules: CustomerRules, frustrated_at: float
    ) -> History:
        """The customer's other conversations, counted for :func:`~bot.guard.customer.classify`."""

        async def work(conn: AsyncConnection) -> History:
            return await _history(conn, customer_id, excluding, rules, frustrated_at)

        return await transaction(self._engine, work)

    async def set_type(self, customer_id: int, customer_type: str) -> None:
        """Keep the customer's type on the customer."""
        row = {"customer_id": customer_id, "type": customer_type, "updated_at": datetime.now(UTC)}
        await execute(
            self._engine,
            upsert(self._dialect, g.guard_customers, keys=["customer_id"], update=_TYPE),
            row,
        )

    async def customer_type(self, customer_id: int) -> str:
        """The customer's type, or "" when none was worked out."""
        result = await self._run(
            sa.select(g.guard_customers.c.type).where(
                g.guard_customers.c.customer_id == customer_id
            )
        )
        return str(result.scalar_one_or_none() or "")


async def _history(
    conn: AsyncConnection,
    customer_id: int,
    excluding: int,
    rules: CustomerRules,
    frustrated_at: float,
) -> History:
    convs = sa.select(t.conversations.c.id).where(
        t.conversations.c.customer_id == customer_id, t.conversations.c.id != excluding
    )
    ids = [int(i) for i in (await conn.execute(convs)).scalars()]
    moods = {
        row.conversation_id: row
        for row in await conn.execute(
            sa.select(g.guard_moods).where(g.guard_moods.c.conversation_id.in_(ids))
        )
    }
    ratings: dict[int, int] = {}
    for row in await conn.execute(
        sa.select(t.feedback.c.conversation_id, t.feedback.c.score)
        .where(t.feedback.c.conversation_id.in_(ids))
        .order_by(t.feedback.c.id)
    ):
        ratings[row.conversation_id] = int(row.score)  # the latest rating counts
    flags = await conn.execute(
        sa.select(g.guard_flags.c.kind, g.guard_flags.c.reason).where(
            g.guard_flags.c.customer_id == customer_id
        )
    )
    satisfied = dissatisfied = frustrated = 0
    for conv_id in ids:
        mood, rating = moods.get(conv_id), ratings.get(conv_id)
        upset = mood is not None and mood.peak >= frustrated_at
        frustrated += upset
        if rating is not None:
            satisfied += rating >= rules.good_rating
            dissatisfied += rating <= rules.bad_rating
        elif mood is not None and mood.thanked and not upset:
            satisfied += 1
    return History(
        conversations=len(ids),
        satisfied=satisfied,
        dissatisfied=dissatisfied,
        frustrated=frustrated,
        flags=sum(hostile(row.kind, row.reason) for row in flags),
    )
