"""Simulated customers for ``bench/load.py``: who says what, when, and what came back.

Pure bookkeeping, no I/O, so it can be tested without servers:

- :data:`SCRIPTS` — short conversations in English, Korean and Japanese
  (a greeting, shop questions, thanks), the way customers actually write.
- :class:`Customers` — an open-loop source of messages: each tick of the
  schedule takes a conversation whose customer has read the last answer and
  thought for a while, or opens a new one, so the load spreads over many
  conversations and one conversation never has two messages in flight.
- :class:`Ledger` — every message sent and every bot message seen at the
  platform stand-in, by conversation; the verdict says how many customer
  messages were answered exactly once, not at all, or more than once.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench.stats import percentile

#: One conversation each: what a customer types, message by message.
SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("hello", "How long does delivery take?", "Where is my order?", "thanks!"),
    ("안녕하세요", "배송은 얼마나 걸리나요?", "환불은 언제 받을 수 있나요?", "감사합니다"),
    (
        "こんにちは",
        "配送にはどのくらいかかりますか？",
        "返品はできますか？",
        "ありがとうございます",
    ),
    ("hi", "What is your return policy?", "Can I pay with PayPal?", "great, thank you"),
    ("안녕하세요!", "배송비는 얼마예요?", "주문을 취소하고 싶어요", "고마워요"),
    ("こんばんは", "送料はいくらですか？", "注文をキャンセルしたいです", "助かりました"),
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One customer message to send: which conversation, which step of its script."""

    conversation: int
    channel: str
    script: int
    step: int
    text: str

    @property
    def key(self) -> tuple[str, int, int]:
        """What the number of bot messages it gets depends on: channel, script and step."""
        return self.channel, self.script, self.step


class Customers:
    """Conversations for an open-loop schedule.

    :meth:`next` hands out the conversation that has been ready longest (its
    customer got the previous answer at least ``think`` seconds ago), else a
    new one; :meth:`answered` puts a conversation back ``think`` seconds after
    its answer arrived, or retires it after its last message.
    """

    def __init__(self, channels: Sequence[str], *, think: float = 1.0, first_id: int = 1) -> None:
        self.channels = tuple(channels)
        self.think = think
        self._ids = itertools.count(first_id)
        self._kinds = itertools.cycle(itertools.product(channels, range(len(SCRIPTS))))
        self._ready: list[tuple[float, int]] = []  # (ready at, conversation)
        self._channel: dict[int, str] = {}
        self._script: dict[int, int] = {}
        self._step: dict[int, int] = {}
        self.opened = 0

    def next(self, now: float) -> Turn:
        """The message to send at ``now``."""
        if self._ready and self._ready[0][0] <= now:
            _, conversation = heapq.heappop(self._ready)
        else:
            conversation = next(self._ids)
            self._channel[conversation], self._script[conversation] = next(self._kinds)
            self._step[conversation] = 0
            self.opened += 1
        script, step = self._script[conversation], self._step[conversation]
        self._step[conversation] = step + 1
        channel = self._channel[conversation]
        return Turn(conversation, channel, script, step, SCRIPTS[script][step])

    def answered(self, conversation: int, now: float) -> None:
        """The customer read the answer at ``now``; they write again later, if they have more."""
        script, step = self._script[conversation], self._step[conversation]
        if step < len(SCRIPTS[script]):
            heapq.heappush(self._ready, (now + self.think, conversation))


@dataclass(slots=True)
class Message:
    """A customer message in the ledger and the bot messages attributed to it."""

    turn: Turn
    sent: float
    parts: list[float] = field(default_factory=list)

    @property
    def latency(self) -> float | None:
        """Seconds from sending to the first bot message, if any arrived."""
        return self.parts[0] - self.sent if self.parts else None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the ledger saw: the exactly-once check and the latencies."""

    sent: int
    exactly_once: int
    unanswered: int
    doubled: int
    short: int
    stray: int
    p50_ms: float | None
    p99_ms: float | None
    answered_per_s: float

    @property
    def ok(self) -> bool:
        """Every customer message answered exactly once, and no bot message unaccounted for."""
        return self.exactly_once == self.sent and self.stray == 0

    def check(self) -> str:
        """``"✓ 4000/4000"`` or what went wrong."""
        if self.ok:
            return f"✓ {self.exactly_once}/{self.sent}"
        problems = [
            f"{n} {what}"
            for n, what in (
                (self.unanswered, "unanswered"),
                (self.doubled, "doubled"),
                (self.short, "short"),
                (self.stray, "stray"),
            )
            if n
        ]
        return f"✗ {self.exactly_once}/{self.sent}: " + ", ".join(problems)


class Ledger:
    """Customer messages sent and bot messages seen, by conversation.

    A bot message belongs to the conversation's latest customer message (one is
    in flight at a time, see :class:`Customers`); one arriving in a conversation
    with no customer message yet is *stray*.
    """

    def __init__(self, expected: Mapping[tuple[str, int, int], int] | None = None) -> None:
        #: Bot messages each customer message gets, by :attr:`Turn.key` (default 1).
        self.expected = dict(expected or {})
        self.messages: list[Message] = []
        self._latest: dict[int, Message] = {}
        self.stray = 0

    def sent(self, turn: Turn, at: float) -> Message:
        message = Message(turn, at)
        self.messages.append(message)
        self._latest[turn.conversation] = message
        return message

    def seen(self, conversation: int, at: float) -> Message | None:
        """A bot message arrived; returns the customer message it completes, if it does."""
        message = self._latest.get(conversation)
        if message is None:
            self.stray += 1
            return None
        message.parts.append(at)
        return message if len(message.parts) == self.expected.get(message.turn.key, 1) else None

    def pending(self) -> int:
        """Customer messages still waiting for (some of) their bot messages."""
        return sum(len(m.parts) < self.expected.get(m.turn.key, 1) for m in self.messages)

    def verdict(self, *, window: tuple[float, float]) -> Verdict:
        """Judge every message against the bot messages :attr:`expected` for it.

        Latency percentiles and the answered rate count the messages sent within
        ``window`` (start, end), the measured part of the run.
        """
        tally: Counter[str] = Counter()
        latencies: list[float] = []
        start, end = window
        for message in self.messages:
            want = self.expected.get(message.turn.key, 1)
            got = len(message.parts)
            tally[
                "exactly_once"
                if got == want
                else "unanswered"
                if got == 0
                else "doubled"
                if got > want
                else "short"
            ] += 1
            if start <= message.sent < end and message.latency is not None:
                latencies.append(message.latency * 1000)
        return Verdict(
            sent=len(self.messages),
            exactly_once=tally["exactly_once"],
            unanswered=tally["unanswered"],
            doubled=tally["doubled"],
            short=tally["short"],
            stray=self.stray,
            p50_ms=percentile(latencies, 50) if latencies else None,
            p99_ms=percentile(latencies, 99) if latencies else None,
            answered_per_s=len(latencies) / (end - start) if end > start else 0.0,
        )
