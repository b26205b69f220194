"""Coordination across processes through Redis.

- A conversation's lock is a Redis key set with ``SET NX PX`` holding a random
  token, released by a Lua script only by its holder (``redis.asyncio.lock``),
  and renewed while the turn runs; if the worker dies, the lock lapses after
  ``lease`` seconds and the conversation goes on elsewhere. Within one worker
  the turns of a conversation queue in arrival order on an asyncio lock first,
  so only one of them at a time polls Redis.
- A platform event is claimed with ``SET NX EX``: the first worker wins. The
  claim is short (``CLAIM_SECONDS``) until the event is settled, then long
  (``REMEMBER_SECONDS``), so a re-delivery after a crash is served, not lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from bot.coord.local import CLAIM_SECONDS, REMEMBER_SECONDS
from bot.errors import ConfigError
from bot.locks import KeyedLocks

log = logging.getLogger(__name__)

#: How long a conversation's lock outlives a worker that died holding it, in seconds.
LEASE_SECONDS = 10.0
#: Delete an event's key only while it is a claim (a settled event stays remembered).
_RELEASE = """
if redis.call('get', KEYS[1]) == 'claimed' then return redis.call('del', KEYS[1]) end
return 0
"""
#: How often a waiting worker asks Redis again for a busy conversation, in seconds.
POLL_SECONDS = 0.005


class RedisCoordinator:
    """Locks and event claims shared by every worker connected to one Redis."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "frontdesk:",
        lease: float = LEASE_SECONDS,
        claim_seconds: float = CLAIM_SECONDS,
        remember_seconds: float = REMEMBER_SECONDS,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.lease = lease
        self._claim, self._remember = claim_seconds, remember_seconds
        self._local = KeyedLocks()

    @classmethod
    async def connect(cls, url: str, **options: float | str) -> RedisCoordinator:
        """Connect and check the connection (a clear error when Redis is not there)."""
        try:
            client = Redis.from_url(url)
        except ValueError as exc:
            raise ConfigError(f"FRONTDESK_REDIS_URL is malformed: {exc}") from None
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            await client.aclose()
            raise ConfigError(f"cannot reach Redis at {_safe(url)}: {exc}") from None
        return cls(client, **options)  # type: ignore[arg-type]

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._local.hold(key):
            lock = await self._acquire(key)
            keeper = None if lock is None else asyncio.create_task(self._renew(lock, key))
            try:
                yield
            finally:
                if keeper is not None and lock is not None:
                    keeper.cancel()
                    with suppress(asyncio.CancelledError):
                        await keeper
                    await self._release(lock, key)

    async def _acquire(self, key: str) -> Lock | None:
        lock = self.client.lock(
            f"{self.prefix}lock:{key}", timeout=self.lease, sleep=POLL_SECONDS, thread_local=False
        )
        try:
            await lock.acquire()
        except RedisError as exc:
            # Degrade, never stop: this worker's turns stay in order; other
            # workers' turns of the same conversation might interleave.
            log.error("Redis is unreachable, %s is locked in this worker only: %s", key, exc)
            return None
        return lock

    async def _release(self, lock: Lock, key: str) -> None:
        try:
            await lock.release()
        except LockError:
            log.warning("the lock of %s lapsed before the turn ended", key)
        except RedisError as exc:
            log.warning("could not release the lock of %s: %s", key, exc)

    async def _renew(self, lock: Lock, key: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await lock.reacquire()
            except (LockError, RedisError) as exc:
                log.warning("could not renew the lock of %s: %s", key, exc)

    async def claim(self, event: str) -> bool:
        name = f"{self.prefix}event:{event}"
        try:
            return bool(await self.client.set(name, b"claimed", nx=True, px=_ms(self._claim)))
        except RedisError as exc:
            # better answered twice than not at all
            log.error("Redis is unreachable, event %s is served unchecked: %s", event, exc)
            return True

    async def settle(self, event: str) -> None:
        name = f"{self.prefix}event:{event}"
        try:
            await self.client.set(name, b"served", px=_ms(self._remember))
        except RedisError as exc:
            log.warning("could not mark event %s served: %s", event, exc)

    async def settled(self, event: str) -> bool:
        try:
            return bool(await self.client.get(f"{self.prefix}event:{event}") == b"served")
        except RedisError as exc:
            log.warning("could not ask whether event %s was served: %s", event, exc)
            return True  # as when claiming: better answered twice than not at all

    async def release(self, event: str) -> None:
        name = f"{self.prefix}event:{event}"
        try:
            await self.client.eval(_RELEASE, 1, name)
        except RedisError as exc:
            log.warning("could not give up the claim on event %s: %s", event, exc)

    async def close(self) -> None:
        await self.client.aclose()


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}:{parts.port or 6379}"
        return parts._replace(netloc=netloc).geturl()
    return url
