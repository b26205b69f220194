"""Message round-trip latency through each channel against the local platform stand-ins.

    python -m bench.e2e [N]      # N messages per transport (default 200)

Runs the real slack-bolt (Socket Mode and HTTP Events API) and the real
python-telegram-bot (long polling and webhook) against the fakes in
``tests/e2e/`` on 127.0.0.1, with the real engine, content and SQLite store.
"""

from __future__ import annotations

import asyncio
import sys

from rich.console import Console
from rich.table import Table

from bench.e2e_slack import measure as measure_slack
from bench.e2e_telegram import measure as measure_telegram


async def _main(n: int) -> None:
    figures = {**await measure_slack(n), **await measure_telegram(n)}
    table = Table(title=f"round trip, {n} messages per transport")
    for col in ("channel", "p50 ms", "p99 ms"):
        table.add_column(col, justify="right" if col != "channel" else "left")
    for name in ("slack_socket", "slack_http", "telegram_polling", "telegram_webhook"):
        p50, p99 = figures.get(f"{name}_p50_ms"), figures.get(f"{name}_p99_ms")
        if p50 is not None and p99 is not None:
            table.add_row(name.replace("_", " "), f"{p50:.1f}", f"{p99:.1f}")
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
