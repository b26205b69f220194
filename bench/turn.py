"""Whole-turn latency through the engine: language, guard, NLU, FAQ, policy, render, store.

    python -m bench.turn [CONTENT_DIR] [--turns 600]

Runs on one core (BLAS threads pinned to 1), with the example content and a
SQLite database in a temporary folder. Customers cycle through greetings, FAQ
questions in their own words, off-topic messages and thanks in English, Korean
and Japanese; each sample is one ``Engine.handle`` call, store writes included.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.stats import percentile  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import default_content_dir, load_settings  # noqa: E402
from bot.models import ConversationKey, Inbound  # noqa: E402

MESSAGES = (
    "hi there",
    "how soon will my books arrive?",
    "can I pay with PayPal?",
    "thanks!",
    "안녕하세요",
    "택배 언제 와요?",
    "반품하고 싶은데 어떻게 해요?",
    "감사합니다",
    "こんにちは",
    "送料はいくらですか",
    "電子書籍はどの端末で読めますか",
    "ありがとう",
    "my neighbour's parrot sings opera",
)


async def measure(content: Path, turns: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            environ={}, content_dir=content, database_url=f"sqlite+aiosqlite:///{tmp}/b.db"
        )
        app = await build_app(settings)
        samples = []
        try:
            for n in range(turns + 20):
                user = f"c{n // len(MESSAGES)}"
                inbound = Inbound(
                    key=ConversationKey("bench", user), user=user, text=MESSAGES[n % len(MESSAGES)]
                )
                started = time.perf_counter()
                await app.engine.handle(inbound)
                if n >= 20:  # warm-up
                    samples.append((time.perf_counter() - started) * 1000)
        finally:
            await app.close()
    return {"p50": percentile(samples, 50), "p99": percentile(samples, 99), "n": len(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description="whole-turn latency")
    parser.add_argument("content", nargs="?", type=Path, default=default_content_dir())
    parser.add_argument("--turns", type=int, default=600)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    figures = asyncio.run(measure(args.content, args.turns))
    table = Table(title=f"whole turn, {figures['n']:.0f} turns, one core")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_row(f"{figures['p50']:.1f}", f"{figures['p99']:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
