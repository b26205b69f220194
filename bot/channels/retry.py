"""Sending with retries: backoff, honouring the platform's "retry after", never silent."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


async def send_with_retry(
    send: Callable[[], Awaitable[T]],
    *,
    what: str,
    retry_after: Callable[[Exception], float | None],
    retryable: Callable[[Exception], bool],
    attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Call ``send`` until it succeeds or ``attempts`` are used up.

    ``retry_after`` extracts the platform's requested wait (Telegram's
    ``retry_after``, Slack's ``Retry-After``) from an error; otherwise the delay
    grows exponentially with jitter. Every failure is logged; the last one is
    re-raised, so nothing is dropped silently.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await send()
        except Exception as exc:
            if attempt == attempts or not retryable(exc):
                log.error("giving up sending %s after %d attempt(s): %s", what, attempt, exc)
                raise
            asked = retry_after(exc)
            delay = asked if asked is not None else base_delay * 2 ** (attempt - 1)
            delay = min(max_delay, delay) + (0 if asked is not None else random.uniform(0, 0.1))
            log.warning("sending %s failed (%s); retry %d in %.2fs", what, exc, attempt, delay)
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
