"""Slack round-trip latency through the real slack-bolt, against the local stand-in.

One sample is: the stand-in sends a customer's DM (a Socket Mode envelope, or a
signed Events API POST) → Bolt → the engine (real content, NLU and SQLite
store) → ``chat.postMessage`` arrives back at the stand-in. Messages cycle
through greetings, FAQ questions and thanks in English, Korean and Japanese.

    python -m bench.e2e_slack [N]        # N messages per transport (default 200)
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import percentile

MESSAGES = (
    "hello",
    "How long does delivery take?",
    "안녕하세요",
    "배송은 얼마나 걸리나요?",
    "こんにちは",
    "配送にはどのくらいかかりますか？",
    "where is my order?",
    "thanks!",
)
WARMUP = 3


async def measure(n: int) -> dict[str, float]:
    """p50/p99 round-trip milliseconds over Socket Mode and HTTP, ``n`` messages each."""
    import aiohttp

    from bot.app import build_app
    from bot.channels.slack import EVENTS_PATH, SlackChannel
    from bot.config import default_content_dir, load_settings
    from tests.e2e.slack_api import (
        APP_TOKEN,
        BOT_TOKEN,
        SIGNING_SECRET,
        FakeSlack,
        dm,
        event_body,
        event_request,
        sign,
    )

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        os.environ.pop(var, None)
        os.environ.pop(var.lower(), None)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeSlack() as fake:
            settings = load_settings(
                environ={},
                content_dir=default_content_dir(),
                database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                slack_api_base_url=fake.base_url,
                slack_bot_token=BOT_TOKEN,
                slack_app_token=APP_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                rate_messages=0,  # one customer asks fast: measure the round trip
            )
            app = await build_app(settings)
            fake.add_user("U0MINA", "Mina")
            try:
                async with aiohttp.ClientSession() as http:
                    for mode in ("socket", "http"):
                        channel = SlackChannel.from_settings(app.engine, settings)
                        await channel.start(http_port=0 if mode == "http" else None)
                        url = f"http://127.0.0.1:{channel.http_port}{EVENTS_PATH}"
                        if mode == "socket":
                            await fake.wait_connected()
                        samples: list[float] = []
                        try:
                            for i in range(n + WARMUP):
                                body: dict[str, Any] = event_body(
                                    dm(MESSAGES[i % len(MESSAGES)], channel=f"D{mode}")
                                )
                                before = len(fake.calls)
                                started = time.perf_counter()
                                if mode == "socket":
                                    await fake.send_envelope("events_api", body)
                                else:
                                    data, headers = event_request(body)
                                    headers |= sign(data)
                                    async with http.post(url, data=data, headers=headers) as r:
                                        assert r.status == 200, r.status
                                await _first_post_after(fake, before)
                                if i >= WARMUP:
                                    samples.append((time.perf_counter() - started) * 1000)
                                await channel.drain()
                        finally:
                            await channel.stop()
                        results[f"slack_{mode}_p50_ms"] = round(percentile(samples, 50), 2)
                        results[f"slack_{mode}_p99_ms"] = round(percentile(samples, 99), 2)
            finally:
                await app.close()
    return results


async def _first_post_after(fake: Any, before: int) -> None:
    """Wait until a ``chat.postMessage`` arrives after the first ``before`` calls."""

    def posted() -> list[Any]:
        return [c for c in fake.calls[before:] if c.method == "chat.postMessage"]

    await fake.wait_until(posted, within=10, what="a reply")


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 200
    results = asyncio.run(measure(n))
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:8.2f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main(sys.argv[1:]))
