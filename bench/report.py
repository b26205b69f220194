"""How long ``frontdesk report`` takes on a busy month.

    python bench/report.py DATA_DIR [--conversations 5000]

Seeds a SQLite store (in a temporary folder) with ``--conversations``
conversations of four customer turns each over 30 days — FAQ answers,
clarifying questions, and unanswered questions drawn from CLINC150's test set
(``DATA_DIR/clinc150``), a ticket for one conversation in five, ratings and
offer events — then times :func:`bot.report.collect` (queries, grouping the
unanswered questions by meaning with the sentence encoder, figures) and the
HTML page, after the encoder is loaded.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.handoff.tables import tickets  # noqa: E402
from bot.nlu.encoder import use_encoder  # noqa: E402
from bot.offers.repository import offer_events  # noqa: E402
from bot.report.collect import collect  # noqa: E402
from bot.report.html import render_html  # noqa: E402
from bot.report.period import Period  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.store import tables as t  # noqa: E402

CHANNELS = ("slack", "telegram")
LANGS = ("en", "ko", "ja")
FAQ = ("shipping-time", "refund", "payment-methods", "gift-wrapping", "order-tracking")
REASONS = ("no_answer", "customer_request", "frustration")


async def seed(url: str, n: int, questions: list[str]) -> int:
    rng = random.Random(7)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    store = await open_store(url)
    conversations, messages, ticket_rows, ratings, offers = [], [], [], [], []
    unanswered = 0
    for i in range(1, n + 1):
        at = start + timedelta(seconds=rng.randrange(30 * 86400))
        channel, lang = rng.choice(CHANNELS), rng.choice(LANGS)
        conversations.append(
            {"id": i, "key": f"{channel}:{i}", "platform": channel, "customer_id": 1,
             "status": "ended", "language": lang, "state": {}, "started_at": at,
             "updated_at": at}
        )  # fmt: skip
        for turn in range(4):
            when = at + timedelta(seconds=30 * turn)
            roll = rng.random()
            intent, faq_id, text = "faq", rng.choice(FAQ), "a question"
            if roll < 0.15:
                intent, faq_id, text = "fallback", None, rng.choice(questions)
                unanswered += 1
            elif roll < 0.25:
                intent, faq_id = "clarify", None
            messages.append(
                {"conversation_id": i, "direction": "in", "kind": "text", "text": text,
                 "language": lang, "intent": intent, "faq_id": faq_id, "created_at": when}
            )  # fmt: skip
            messages.append(
                {"conversation_id": i, "direction": "out", "kind": "reply", "text": "…",
                 "language": lang, "latency_ms": rng.uniform(3, 12), "created_at": when}
            )  # fmt: skip
        if i % 5 == 0:
            opened = at + timedelta(minutes=2)
            ticket_rows.append(
                {"conversation_id": i, "conv_key": f"{channel}:{i}", "customer_id": 1,
                 "customer_user": "u", "reason": rng.choice(REASONS), "priority": "normal",
                 "status": "resolved", "note": "", "follow_up": False, "desk_refs": {},
                 "created_at": opened,
                 "claimed_at": opened + timedelta(seconds=rng.randrange(30, 900)),
                 "closed_at": opened + timedelta(seconds=rng.randrange(900, 7200))}
            )  # fmt: skip
            messages.append(
                {"conversation_id": i, "direction": "out", "kind": "agent", "text": "Hello!",
                 "created_at": opened + timedelta(seconds=rng.randrange(60, 1200))}
            )  # fmt: skip
        if i % 3 == 0:
            ratings.append({"conversation_id": i, "score": rng.randint(1, 5), "created_at": at})
        if i % 4 == 0:
            offers.append(
                {"offer_id": "express", "kind": "upsell", "language": lang,
                 "event": rng.choice(("shown", "accepted", "declined")), "customer_id": 1,
                 "conversation_id": i, "created_at": at}
            )  # fmt: skip
    async with store.engine.begin() as conn:
        await conn.execute(
            t.customers.insert().values(
                id=1, platform="bench", user_id="u", created_at=start, last_seen_at=start
            )
        )
        for table, rows in (
            (t.conversations, conversations), (t.messages, messages), (tickets, ticket_rows),
            (t.feedback, ratings), (offer_events, offers),
        ):  # fmt: skip
            keys = sorted({k for row in rows for k in row})  # executemany: one shape
            await conn.execute(table.insert(), [dict.fromkeys(keys) | row for row in rows])
    await store.close()
    return unanswered


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--conversations", type=int, default=5000)
    args = parser.parse_args()
    data = json.loads((args.data / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    questions = [text for text, _ in data["test"]]
    use_encoder().encode(["warm up"])
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        unanswered = await seed(url, args.conversations, questions)
        store = await open_store(url)
        started = time.perf_counter()
        report = await collect(store.engine, Period())
        collected = time.perf_counter() - started
        started = time.perf_counter()
        page = render_html(report)
        rendered = time.perf_counter() - started
        await store.close()
    print(
        f"{args.conversations} conversations, {args.conversations * 4} customer messages, "
        f"{unanswered} unanswered in {len(report.unanswered)} groups: "
        f"report {collected:.1f} s, HTML {rendered * 1000:.0f} ms ({len(page) // 1024} KiB)"
    )


if __name__ == "__main__":
    asyncio.run(main())
