"""Coordination inside one process: asyncio locks and a bounded memory of events."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.locks import KeyedLocks

#: A claimed event not settled within this many seconds may be served again.
CLAIM_SECONDS = 30.0
#: A served event is remembered this long (Slack stops re-sending within minutes).
REMEMBER_SECONDS = 3600.0


class LocalCoordinator:
    """One process serves everything: :class:`KeyedLocks` and the last 10,000 events."""

    def __init__(
        self,
        *,
        size: int = 10_000,
        claim_seconds: float = CLAIM_SECONDS,
        remember_seconds: float = REMEMBER_SECONDS,
    ) -> None:
        self._locks = KeyedLocks()
        self._size = size
        self._claim, self._remember = claim_seconds, remember_seconds
        #: event → (until when it is remembered, whether it was served)
        self._until: OrderedDict[str, tuple[float, bool]] = OrderedDict()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._locks.hold(key):
            yield

    async def claim(self, event: str) -> bool:
        now = time.monotonic()
        until, _ = self._until.get(event, (0.0, False))
        if until > now:
            return False
        self._mark(event, now + self._claim, served=False)
        return True

    async def settle(self, event: str) -> None:
        self._mark(event, time.monotonic() + self._remember, served=True)

    async def settled(self, event: str) -> bool:
        until, served = self._until.get(event, (0.0, False))
        return served and until > time.monotonic()

    async def release(self, event: str) -> None:
        if event in self._until and not self._until[event][1]:
            del self._until[event]  # a claim, not a served event

    def _mark(self, event: str, until: float, *, served: bool) -> None:
        self._until[event] = (until, served)
        self._until.move_to_end(event)
        while len(self._until) > self._size:
            self._until.popitem(last=False)

    async def close(self) -> None:
        return None
