"""Tickets in the store's database (migration 0004), on SQLite and PostgreSQL."""

import asyncio
from datetime import UTC, datetime

from bot.handoff.repository import TicketRepository
from bot.store import open_store

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


async def test_of_agents_racing_from_two_workers_exactly_one_claims(database_url: str) -> None:
    first, second = await open_store(database_url), await open_store(database_url)
    customer = await first.customer("slack", "U1")
    conv = await first.start_conversation("slack:D1", "slack", customer.id)
    ticket = await TicketRepository(first.engine).create(
        conversation_id=conv.id, conv_key=conv.key, customer_id=customer.id,
        customer_user="U1", reason="asked", priority="normal", note="n", at=T0,
    )  # fmt: skip
    repos = [TicketRepository(store.engine) for store in (first, second)]
    won = await asyncio.gather(
        *(repos[n % 2].claim(ticket.id, f"A{n}", f"Agent {n}", T0) for n in range(8))
    )
    assert sum(won) == 1
    claimed = await repos[1].get(ticket.id)
    assert claimed is not None and claimed.status == "claimed"
    assert claimed.agent == f"A{won.index(True)}"
    assert await repos[0].release(ticket.id, "someone else") is False
    assert await repos[0].close(ticket.id, "resolved", T0) is True
    assert (await repos[1].open_for(conv.id)) is None
    await first.close()
    await second.close()
