"""Coordination between frontdesk workers.

Two things must hold however many processes serve one bot:

- the turns of one conversation run one at a time (and so in order), with the
  replies of one turn sent before the next turn starts;
- a platform event (Slack ``event_id``, Telegram ``update_id``) is served once,
  though the platform may deliver it again, to another worker.

:class:`LocalCoordinator` does both inside one process (the default);
:class:`RedisCoordinator` across processes through Redis
(``FRONTDESK_REDIS_URL``). :func:`open_coordinator` picks one from the URL.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.coord.local import LocalCoordinator

__all__ = ["Coordinator", "LocalCoordinator", "open_coordinator"]


class Coordinator(Protocol):
    """Per-conversation locks and once-only platform events."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the conversation ``key`` for the block (waits for whoever holds it)."""
        ...

    async def claim(self, event: str) -> bool:
        """Whether this worker is the first to take platform event ``event``.

        A claim that is never :meth:`settle`\\ d lapses after a while, so that the
        platform's later re-delivery is served if the claiming worker died.
        """
        ...

    async def settle(self, event: str) -> None:
        """Event ``event`` was served: remember it for long (repeats are dropped)."""
        ...

    async def settled(self, event: str) -> bool:
        """Whether ``event`` was served (not merely claimed by a worker, alive or dead)."""
        ...

    async def release(self, event: str) -> None:
        """Give up the claim on ``event`` (nothing was kept): its re-delivery is served at
        once. An event already settled stays settled."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


async def open_coordinator(url: str = "") -> Coordinator:
    """The coordinator for ``url``: in-process when empty, else Redis (``redis://…``).

    Raises :class:`~bot.errors.ConfigError` when Redis cannot be reached.
    """
    if not url:
        return LocalCoordinator()
    from bot.coord.redis import RedisCoordinator

    return await RedisCoordinator.connect(url)
