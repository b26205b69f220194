"""CPU per store call: a statement built per call against one built once and run with parameters.

    python -m bench.store [--postgres | --url postgresql+asyncpg://…] [--calls 2000]

Without ``--url`` it uses a SQLite file in a temporary folder; ``--postgres`` starts a
throwaway PostgreSQL cluster (as ``bench/load.py`` does). Each figure is the
CPU time (``time.process_time``) of one call, averaged over ``--calls`` calls on
one core, after a warm-up; the database's own CPU is not in it for PostgreSQL.
The rows compare the two ways of writing the same statement, then time the
store's two calls of every customer turn (``arrive`` and ``record_turn``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection  # noqa: E402

from bench.load_servers import postgres  # noqa: E402
from bot.store import tables as t  # noqa: E402
from bot.store.records import Message  # noqa: E402
from bot.store.sql import SqlStore, transaction  # noqa: E402

Work = Callable[[AsyncConnection], Awaitable[Any]]


async def cpu_ms(call: Callable[[], Awaitable[Any]], calls: int) -> float:
    """Mean CPU milliseconds of ``call`` after a warm-up."""
    for _ in range(20):
        await call()
    started = time.process_time()
    for _ in range(calls):
        await call()
    return (time.process_time() - started) * 1000 / calls


async def measure(url: str, calls: int) -> list[tuple[str, float]]:
    store = await SqlStore.open(url)
    db = store.engine
    try:
        key = f"bench:{time.time_ns()}"
        customer, _ = await store.arrive(key, "bench", key)
        conv = await store.start_conversation(key, "bench", customer.id)
        now = datetime.now(UTC)
        common = {"conversation_id": conv.id, "created_at": now, "language": "en"}
        rows = [
            {**common, "direction": "in", "text": "hello", "kind": "text", "intent": "greet"},
            {**common, "direction": "out", "text": "Hi!", "kind": "reply", "latency_ms": 3.0},
        ]
        columns = [c.name for c in t.messages.c if c.name != "id"]
        rows = [{name: row.get(name) for name in columns} for row in rows]
        insert_once = t.messages.insert()
        save_once = (
            t.conversations.update()
            .where(t.conversations.c.id == sa.bindparam("b_id"))
            .values(state=sa.bindparam("b_state"), updated_at=sa.bindparam("b_at"))
        )

        async def insert_per_call(conn: AsyncConnection) -> None:
            await conn.execute(t.messages.insert().values(rows))

        async def insert_prebuilt(conn: AsyncConnection) -> None:
            await conn.execute(insert_once, rows)

        async def save_per_call(conn: AsyncConnection) -> None:
            stmt = t.conversations.update().where(t.conversations.c.id == conv.id)
            await conn.execute(stmt.values(state={"n": 1}, updated_at=now))

        async def save_prebuilt(conn: AsyncConnection) -> None:
            await conn.execute(save_once, {"b_id": conv.id, "b_state": {"n": 1}, "b_at": now})

        async def nothing(conn: AsyncConnection) -> None:
            return None

        def tx(work: Work) -> Callable[[], Awaitable[Any]]:
            return lambda: transaction(db, work)

        records = [Message(**row) for row in rows]
        figures = [
            ("empty transaction", await cpu_ms(tx(nothing), calls)),
            ("insert 2 messages, built per call", await cpu_ms(tx(insert_per_call), calls)),
            ("insert 2 messages, built once", await cpu_ms(tx(insert_prebuilt), calls)),
            ("update a conversation, built per call", await cpu_ms(tx(save_per_call), calls)),
            ("update a conversation, built once", await cpu_ms(tx(save_prebuilt), calls)),
            ("store.arrive (a turn's first call)", await cpu_ms(
                lambda: store.arrive(key, "bench", key, name="Mina"), calls)),
            ("store.record_turn (a turn's last call)", await cpu_ms(
                lambda: store.record_turn(conv, records), calls)),
        ]  # fmt: skip
    finally:
        await store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU per store call")
    parser.add_argument("--url", help="a database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        if args.postgres:
            url = servers.enter_context(postgres(Path(tmp)))
        figures = asyncio.run(measure(url, args.calls))
    print(f"{sa.engine.make_url(url).get_backend_name()}, {args.calls} calls each, one core")
    for name, ms in figures:
        print(f"  {name:40s} {ms:6.3f} ms CPU")


if __name__ == "__main__":
    main()
