"""PostgreSQL restarted under the bot: turns wait for it, then every message is answered
and recorded exactly once (the real server, restarted as ``pg_ctl restart -m fast`` does)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.models import ConversationKey, Inbound, Offer, Reply
from bot.store import open_store
from bot.store import tables as t
from tests.harness import start_app
from tests.servers import Postgres

pytestmark = pytest.mark.slow

QUESTIONS = [
    "how long does delivery take?",
    "hello",
    "what payment methods do you accept?",
    "배송 언제 와요?",
    "返品できますか",
    "thanks!",
]


async def test_a_restart_between_turns_goes_unnoticed(
    postgres: Postgres, postgres_url: str
) -> None:
    store = await open_store(postgres_url)
    mina = await store.customer("slack", "U1", name="Mina")
    await asyncio.to_thread(postgres.restart)
    assert (await store.customer("slack", "U1")).id == mina.id  # the pool noticed, no error
    await store.close()


async def test_a_turn_waits_for_the_database_to_come_back(
    postgres: Postgres, postgres_url: str
) -> None:
    store = await open_store(postgres_url)
    await store.customer("slack", "U1")
    await asyncio.to_thread(postgres.stop)

    async def start_soon() -> None:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(postgres.start)

    starting = asyncio.create_task(start_soon())
    customer = await store.customer("slack", "U2", name="Kim")  # while the database is down
    await starting
    assert (await store.customer_by_id(customer.id)) == customer
    await store.close()


async def test_restarts_during_a_load_lose_and_double_nothing(
    postgres: Postgres, postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_app(tmp_path, url=postgres_url)
    customers, turns = 12, 8
    total = customers * turns
    answers: dict[str, list[Reply | Offer]] = {}  # what each message got back
    served = {share: asyncio.Event() for share in (0.25, 0.6)}

    async def customer(n: int) -> None:
        for m in range(turns):
            inbound = Inbound(
                key=ConversationKey("test", f"c{n}"),
                user=f"c{n}",
                text=QUESTIONS[(n + m) % len(QUESTIONS)],
                message_id=f"c{n}-m{m}",
            )
            actions = await app.engine.handle(inbound)
            answers[inbound.message_id or ""] = [a for a in actions if isinstance(a, Reply | Offer)]
            for share, event in served.items():
                if len(answers) >= total * share:
                    event.set()

    async def faults() -> None:
        await served[0.25].wait()
        await asyncio.to_thread(postgres.restart)  # fast: open sessions are cut
        await served[0.6].wait()
        await asyncio.to_thread(postgres.stop)  # down for a while: turns wait
        await asyncio.sleep(0.7)
        await asyncio.to_thread(postgres.start)

    await asyncio.wait_for(
        asyncio.gather(faults(), *(customer(n) for n in range(customers))), timeout=120
    )

    assert "database connection lost" in caplog.text  # the faults did hit turns
    assert len(answers) == total
    assert [
        mid for mid, said in answers.items() if not any(isinstance(a, Reply) for a in said)
    ] == []
    async with app.store.engine.connect() as conn:
        rows = (
            await conn.execute(sa.select(t.messages.c.direction, t.messages.c.platform_message_id))
        ).all()
    inbound = Counter(mid for direction, mid in rows if direction == "in")
    assert inbound == Counter(dict.fromkeys(answers, 1))  # each once, none lost
    replies = sum(direction == "out" for direction, _ in rows)
    assert replies == sum(len(r) for r in answers.values())
    await app.close()
