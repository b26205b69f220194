"""Tickets in the store's database; the claim is one conditional UPDATE."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handoff.tables import tickets
from bot.store.sql import execute

#: Statuses of a ticket the bot stays quiet for.
OPEN = ("queued", "claimed")
PREFIX = "T"


@dataclass(slots=True)
class Ticket:
    """One handoff, as the desk sees it."""

    id: int
    conversation_id: int
    conv_key: str
    customer_id: int
    customer_user: str
    reason: str
    priority: str
    status: str
    note: str
    created_at: datetime
    agent: str | None = None
    agent_name: str | None = None
    follow_up: bool = False
    promised_at: datetime | None = None
    desk_refs: dict[str, Any] = field(default_factory=dict)
    claimed_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def code(self) -> str:
        """The id agents type: ``T12``."""
        return f"{PREFIX}{self.id}"

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def state_line(self) -> str:
        """Where the ticket is, for the desk: the note's last line."""
        who = self.agent_name or self.agent or "the desk"
        if self.status == "claimed":
            at = f" {self.claimed_at:%H:%M} UTC" if self.claimed_at else ""
            return f"▶ {self.code} claimed by {who}{at}"
        if self.status in ("returned", "resolved"):
            return f"■ {self.code} {self.status} by {who}"
        follow = " · follow-up" if self.follow_up else ""
        return f"⏳ {self.code} waiting for an agent{follow}"


def parse_code(code: str) -> int | None:
    """``"T12"`` or ``"12"`` → 12."""
    digits = code.strip().upper().removeprefix(PREFIX)
    return int(digits) if digits.isdigit() else None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _ticket(row: Any) -> Ticket:
    data = dict(row._mapping)
    for key in ("created_at", "claimed_at", "closed_at", "promised_at"):
        data[key] = _utc(data[key])
    data["desk_refs"] = dict(data["desk_refs"] or {})
    return Ticket(**data)


class TicketRepository:
    """Create, find, claim and close tickets."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _run(self, stmt: Any, *, idempotent: bool = True) -> sa.CursorResult[Any]:
        return await execute(self._engine, stmt, idempotent=idempotent)

    async def create(
        self,
        *,
        conversation_id: int,
        conv_key: str,
        customer_id: int,
        customer_user: str,
        reason: str,
        priority: str,
        note: str,
        at: datetime,
        follow_up: bool = False,
        promised_at: datetime | None = None,
    ) -> Ticket:
        result = await self._run(
            tickets.insert().values(
                conversation_id=conversation_id,
                conv_key=conv_key,
                customer_id=customer_id,
                customer_user=customer_user,
                reason=reason,
                priority=priority,
                status="queued",
                note=note,
                follow_up=follow_up,
                promised_at=promised_at,
                desk_refs={},
                created_at=at,
            ),
            idempotent=False,
        )
        key = result.inserted_primary_key
        assert key is not None
        found = await self.get(int(key[0]))
        assert found is not None
        return found

    async def get(self, ticket_id: int) -> Ticket | None:
        row = (await self._run(sa.select(tickets).where(tickets.c.id == ticket_id))).first()
        return None if row is None else _ticket(row)

    async def open_for(self, conversation_id: int) -> Ticket | None:
        """The open ticket of a conversation, if any."""
        stmt = (
            sa.select(tickets)
            .where(tickets.c.conversation_id == conversation_id, tickets.c.status.in_(OPEN))
            .order_by(tickets.c.id.desc())
            .limit(1)
        )
        row = (await self._run(stmt)).first()
        return None if row is None else _ticket(row)

    async def open_for_key(self, conv_key: str) -> Ticket | None:
        """The open ticket on a conversation key (the conversation may have timed out)."""
        stmt = (
            sa.select(tickets)
            .where(tickets.c.conv_key == conv_key, tickets.c.status.in_(OPEN))
            .order_by(tickets.c.id.desc())
            .limit(1)
        )
        row = (await self._run(stmt)).first()
        return None if row is None else _ticket(row)

    async def open_tickets(self) -> list[Ticket]:
        """Queued and claimed tickets, oldest first."""
        stmt = sa.select(tickets).where(tickets.c.status.in_(OPEN)).order_by(tickets.c.id)
        return [_ticket(r) for r in await self._run(stmt)]

    async def queued(self) -> list[Ticket]:
        """Unclaimed tickets, oldest first."""
        stmt = sa.select(tickets).where(tickets.c.status == "queued").order_by(tickets.c.id)
        return [_ticket(r) for r in await self._run(stmt)]

    async def recent_claim_waits(self, limit: int = 10) -> list[float]:
        """Seconds from handoff to claim, for the latest claimed tickets."""
        stmt = (
            sa.select(tickets.c.created_at, tickets.c.claimed_at)
            .where(tickets.c.claimed_at.is_not(None))
            .order_by(tickets.c.claimed_at.desc())
            .limit(limit)
        )
        out = []
        for row in await self._run(stmt):
            start, end = _utc(row.created_at), _utc(row.claimed_at)
            if start is not None and end is not None:
                out.append(max(0.0, (end - start).total_seconds()))
        return out

    async def claim(self, ticket_id: int, agent: str, name: str, at: datetime) -> bool:
        """Take a queued ticket; exactly one of racing agents gets ``True``."""
        result = await self._run(
            tickets.update()
            .where(
                tickets.c.id == ticket_id,
                tickets.c.agent.is_(None),
                tickets.c.status == "queued",
            )
            .values(agent=agent, agent_name=name, status="claimed", claimed_at=at),
            idempotent=False,
        )
        return result.rowcount == 1

    async def release(self, ticket_id: int, agent: str) -> bool:
        """Put a claimed ticket back in the queue (only its agent can)."""
        result = await self._run(
            tickets.update()
            .where(tickets.c.id == ticket_id, tickets.c.agent == agent)
            .where(tickets.c.status == "claimed")
            .values(agent=None, agent_name=None, status="queued", claimed_at=None),
            idempotent=False,
        )
        return result.rowcount == 1

    async def close(self, ticket_id: int, status: str, at: datetime) -> bool:
        """Mark an open ticket returned or resolved."""
        result = await self._run(
            tickets.update()
            .where(tickets.c.id == ticket_id, tickets.c.status.in_(OPEN))
            .values(status=status, closed_at=at),
            idempotent=False,
        )
        return result.rowcount == 1

    async def update(self, ticket_id: int, **values: Any) -> None:
        """Change columns (conversation_id, follow_up, promised_at, desk_refs, note)."""
        await self._run(tickets.update().where(tickets.c.id == ticket_id).values(**values))

    async def last_for_customer(self, customer_id: int) -> Ticket | None:
        stmt = (
            sa.select(tickets)
            .where(tickets.c.customer_id == customer_id)
            .order_by(tickets.c.id.desc())
            .limit(1)
        )
        row = (await self._run(stmt)).first()
        return None if row is None else _ticket(row)
