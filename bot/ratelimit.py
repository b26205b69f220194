"""A per-customer rate limit with a polite slow-down, as an engine stage.

Each customer (platform + user id) has a token bucket: ``burst`` messages at
once, refilled at ``messages`` per ``window`` seconds. A message over the limit
is still stored (the engine records every turn) and read by the guard (a threat
in a flood is still flagged; a handoff or an ending the guard decides goes
through), but not answered — the guard's softer replies wait too: the first one of a burst gets
one polite "you're sending messages quickly" reply in the customer's language
(template ``slow_down``), the rest of the burst get nothing, so a flood never
becomes a reply storm. The next message within the limit is answered as usual
and a handoff note shows every stored message. Conversations with an agent are
not limited here: the relay comes first and agents see everything. Neither
are the console, ``chat --jsonl`` and ``frontdesk test`` (:data:`LOCAL_PLATFORMS`).

The limiter is a small interface (:class:`RateLimiter`, one ``allow(key)``) so
that a shared store (Redis) can back it when several workers serve customers;
:class:`TokenBuckets` is the in-process one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.models import End, Handoff, Offer, Reply
from bot.turn import Turn

#: Platforms driven locally (the console and ``chat --jsonl``; ``frontdesk test``):
#: whoever types there already runs the bot, and scripts may go as fast as they like.
LOCAL_PLATFORMS = frozenset({"console", "test"})
#: ``turn.understood.intent`` of a message held by the rate limit.
RATE_LIMITED = "rate_limited"
TEMPLATE = "slow_down"
#: Used when the content has no ``slow_down`` template.
FALLBACK = {
    "en": "You're sending messages quickly — I've saved every one. "
    "Give me a moment, then I'll answer your next message.",
    "ko": "메시지를 빠르게 보내고 계시네요. 보내 주신 메시지는 모두 저장했어요. "
    "잠시 후 다음 메시지에 답변드릴게요.",
    "ja": "メッセージが続けて届いています。いただいたメッセージはすべて保存しました。"
    "少しお待ちいただき、次のメッセージにお答えします。",
}


class RateLimiter(Protocol):
    """Whether one more message from ``key`` is within its limit (and counts it)."""

    async def allow(self, key: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Limit:
    """``messages`` per ``window`` seconds, with bursts of up to ``burst``."""

    messages: int = 5
    window: float = 10.0
    burst: int = 10

    @property
    def enabled(self) -> bool:
        return self.messages > 0 and self.window > 0

    @property
    def per_second(self) -> float:
        return self.messages / self.window


class TokenBuckets:
    """In-process token buckets, one per key; the least recently seen are forgotten
    beyond ``size`` (a forgotten bucket is a full one)."""

    def __init__(
        self,
        limit: Limit,
        *,
        clock: Callable[[], float] = time.monotonic,
        size: int = 100_000,
    ) -> None:
        self.limit, self.clock, self.size = limit, clock, size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def allow(self, key: str) -> bool:
        now = self.clock()
        capacity = float(max(self.limit.burst, 1))
        tokens, then = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - then) * self.limit.per_second)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return allowed


class RateStage:
    """After the guard and the relay: hold messages over the customer's limit."""

    def __init__(self, limiter: RateLimiter, *, exempt: frozenset[str] = LOCAL_PLATFORMS) -> None:
        self.limiter = limiter
        self.exempt = exempt

    async def before(self, turn: Turn) -> None:
        platform = turn.inbound.key.platform
        if platform in self.exempt:
            return
        key = f"{platform}:{turn.inbound.user}"
        rate = turn.state.setdefault("rate", {})
        allowed = await self.limiter.allow(key)
        if allowed or any(isinstance(a, Handoff | End) for a in turn.actions):
            rate.pop("limited", None)  # the guard's handoff or ending always goes through
            return
        turn.done = True
        turn.understood.intent = RATE_LIMITED
        # The guard has read the message (flags stand); its soft replies wait too.
        turn.actions = [a for a in turn.actions if not isinstance(a, Reply | Offer)]
        rate["held"] = int(rate.get("held", 0)) + 1
        if rate.get("limited"):
            return  # told once for this burst: no reply storm
        rate["limited"] = True
        if turn.renderer.has(TEMPLATE):
            turn.say(TEMPLATE)
        else:
            turn.say_text(FALLBACK.get(turn.lang, FALLBACK["en"]))

    async def after(self, turn: Turn) -> None:
        return None


def rate_stage(limit: Limit) -> RateStage | None:
    """The stage for ``limit``, or None when the limit is off (``messages`` 0)."""
    return RateStage(TokenBuckets(limit)) if limit.enabled else None
