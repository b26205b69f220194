"""Telegram round-trip latency through the real python-telegram-bot, against the stand-in.

One sample is: the stand-in delivers a customer's message (answering a pending
long-poll ``getUpdates``, or POSTing to the bot's webhook with the secret) →
python-telegram-bot → the engine (real content, NLU and SQLite store) →
``sendMessage`` arrives back at the stand-in. "typing…" shows, as in production,
only for a turn slower than half a second. Messages cycle through greetings, FAQ
questions and thanks in English, Korean and Japanese, in one private chat per
transport; each sample starts once the previous turn is completely done.

    python -m bench.e2e_telegram [N]     # N messages per transport (default 200)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.stats import percentile

if TYPE_CHECKING:
    from tests.e2e.telegram_api import FakeTelegram

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
SECRET = "bench-webhook-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def measure(n: int) -> dict[str, float]:
    """p50/p99 round-trip milliseconds by long polling and by webhook, ``n`` messages each."""
    from bot.app import build_app
    from bot.channels.telegram import TelegramChannel, serve_telegram
    from bot.config import default_content_dir, load_settings
    from tests.e2e.telegram_api import FakeTelegram

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        os.environ.pop(var, None)
        os.environ.pop(var.lower(), None)
    for noisy in ("httpx", "telegram", "tornado.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as fake:
            settings = load_settings(
                environ={},
                content_dir=default_content_dir(),
                database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                telegram_api_base_url=fake.base_url,
                telegram_bot_token=fake.token,
                telegram_webhook_secret=SECRET,
                rate_messages=0,  # one customer asks fast: measure the round trip
            )
            app = await build_app(settings)
            try:
                for mode in ("polling", "webhook"):
                    port = _free_port()
                    url = f"http://127.0.0.1:{port}/telegram" if mode == "webhook" else None
                    channel = TelegramChannel(app)
                    before = len(fake.calls)
                    task = asyncio.create_task(
                        serve_telegram(
                            app,
                            settings,
                            webhook_url=url,
                            host="127.0.0.1",
                            port=port,
                            poll_timeout=10,
                            channel=channel,
                        )
                    )
                    person = fake.user(f"Reader {mode}", language_code="en")
                    samples: list[float] = []
                    try:
                        ready = "setWebhook" if url else "getUpdates"
                        await fake.wait_until(_calls(fake, ready, before), within=10, what=ready)
                        for i in range(n + WARMUP):
                            replies = _replies(fake, person)
                            started = time.perf_counter()
                            await fake.send_text(person, MESSAGES[i % len(MESSAGES)])
                            await fake.wait_until(replies, within=10, what="a reply")
                            if i >= WARMUP:
                                samples.append((time.perf_counter() - started) * 1000)
                            await channel.drain()
                    finally:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
                        if url:
                            fake.webhook.clear()  # as deleteWebhook would; polling may follow
                    results[f"telegram_{mode}_p50_ms"] = round(percentile(samples, 50), 2)
                    results[f"telegram_{mode}_p99_ms"] = round(percentile(samples, 99), 2)
            finally:
                await app.close()
    return results


def _calls(fake: FakeTelegram, method: str, after: int) -> Callable[[], list[Any]]:
    """The calls of ``method`` after the first ``after`` calls."""
    return lambda: [c for c in fake.calls[after:] if c.method == method]


def _replies(fake: FakeTelegram, person: dict[str, Any]) -> Callable[[], list[Any]]:
    """Messages to ``person`` sent from now on."""
    seen = len(fake.sent(person))
    return lambda: fake.sent(person)[seen:]


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
