"""The conversation's mood over turns, and what the guard decides each turn.

Pure and synchronous: the stage and ``bench/guard.py`` run the same code. The
memory lives in the conversation's JSON state under ``"guard"``.

A calm message is never cut off: when only the bot's earlier failures carry the
level over a threshold, the verdict is *held* (``Verdict.held``) and the bot tries
to answer first; :func:`confirm` makes it stand if the bot fails again that turn.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from bot.guard.normalise import fold
from bot.guard.settings import GuardSettings
from bot.guard.signals import Reading

KEEP_CHARS = 300  # of each remembered message


class Act(enum.StrEnum):
    """What the guard does with a turn."""

    NONE = "none"
    OFFER = "offer"  # acknowledge, apologise, repeat back, offer a person
    HANDOFF = "handoff"  # frustration: bring in a person
    STOP = "stop"  # first abuse: ask politely but firmly to stop
    END = "end"  # abuse again: end the conversation and flag the customer
    THREAT = "threat"  # hand off urgently and report


@dataclass(slots=True)
class Memory:
    """What the guard remembers of one conversation (JSON-able)."""

    level: float = 0.0
    peak: float = 0.0
    offered: float = 0.0  # the level when a person was offered; 0 = not offered
    handed_off: bool = False
    strikes: int = 0
    threats: int = 0
    turns: int = 0
    added: float = 0.0  # what the latest message added
    clean: bool = True  # whether the latest message is safe to quote
    recent: list[str] = field(default_factory=list)  # folded, for repeats
    abusive: list[str] = field(default_factory=list)  # kept with an abuse flag
    topic: str = ""  # the customer's problem, in their words
    customer_type: str = ""
    flags: list[dict[str, str]] = field(default_factory=list)  # earlier flags, for agents
    history: dict[str, int] = field(default_factory=dict)  # earlier conversations, counted
    thanked: bool = False  # the customer thanked the bot in this conversation
    saved: list[Any] = field(default_factory=list)  # the mood last stored
    held: list[str] = field(default_factory=list)  # this turn's held verdict: [act, why]

    @classmethod
    def from_state(cls, data: Any) -> Memory:
        """The memory saved in the conversation state (tolerant of old or odd data)."""
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError:
            return cls()

    def to_state(self) -> dict[str, Any]:
        """JSON for the conversation state."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's decision for a turn."""

    act: Act
    why: str = ""  # accepted | asked | rising | level (handoff), physical | legal (threat)
    #: Only if the bot fails this turn too: the message itself was calm (see the module).
    held: bool = False


def similarity(a: str, b: str) -> float:
    """Dice similarity of character pairs: 1 for equal texts."""
    if a == b:
        return 1.0
    pa = {a[i : i + 2] for i in range(len(a) - 1)}
    pb = {b[i : i + 2] for i in range(len(b) - 1)}
    if not pa or not pb:
        return 0.0
    return 2 * len(pa & pb) / (len(pa) + len(pb))


def is_repeat(memory: Memory, text: str, settings: GuardSettings) -> bool:
    """Whether ``text`` (nearly) repeats one of the customer's last messages."""
    folded = " ".join(fold(text).split())[:KEEP_CHARS]
    rule = settings.repeat
    repeated = sum(ch.isalnum() for ch in folded) >= 4 and any(
        similarity(folded, old) >= rule.similarity for old in memory.recent[-rule.window :]
    )
    memory.recent = [*memory.recent, folded][-rule.window :]
    return repeated


def step(
    memory: Memory,
    reading: Reading,
    settings: GuardSettings,
    *,
    repeat: bool = False,
    failures: int = 0,
) -> Verdict:
    """Update ``memory`` with one customer message and decide what to do."""
    f = settings.frustration
    added = reading.added + (f.weights.repeat if repeat else 0.0)
    added = min(f.cap, added + f.weights.failure * min(max(failures, 0), 3))
    before = memory.level
    memory.level = round(min(1.0, before * f.carry + added) if added else before * f.calm, 4)
    memory.peak = max(memory.peak, memory.level)
    memory.turns += 1
    memory.added, memory.clean = added, reading.clean
    if reading.threat:
        memory.threats += 1
        memory.handed_off = True
        return Verdict(Act.THREAT, reading.threat)
    if reading.abuse:
        memory.strikes += 1
        return Verdict(Act.END if memory.strikes >= settings.abuse.strikes else Act.STOP)
    if memory.handed_off:
        return Verdict(Act.NONE)
    why = ""
    if memory.offered and (reading.accept or reading.person):
        why = "accepted"
    elif memory.level >= f.handoff:
        why = "level"
    elif memory.offered and added and memory.level > max(before, memory.offered):
        why = "rising"
    calm = not reading.added and not repeat  # only the bot's failures raised the level
    if why:
        return confirm(memory, Verdict(Act.HANDOFF, why, held=calm and why != "accepted"))
    if not memory.offered and memory.level >= f.offer:
        if reading.person:  # upset and asking for a person outright: no need to offer one
            return confirm(memory, Verdict(Act.HANDOFF, "asked"))
        return confirm(memory, Verdict(Act.OFFER, held=calm))
    return Verdict(Act.NONE)


def confirm(memory: Memory, verdict: Verdict) -> Verdict:
    """Remember an offer or a handoff as made, unless it is held; the verdict."""
    if verdict.held:
        return verdict
    if verdict.act is Act.HANDOFF:
        memory.handed_off = True
    elif verdict.act is Act.OFFER:
        memory.offered = memory.level
    return verdict


#: What the bot did with a message that counts as failing at it (the policy's intents).
FAILED = frozenset({"clarify", "fallback"})


def unhold(memory: Memory, verdict: Verdict, bot: str | None) -> Verdict:
    """A held verdict once the bot has tried (``bot``: what it did with the message):
    it stands, and is remembered, if the bot failed again; otherwise nothing."""
    if bot not in FAILED:
        return Verdict(Act.NONE)
    return confirm(memory, replace(verdict, held=False))


def relieve(memory: Memory, settings: GuardSettings) -> None:
    """Things went well this turn (an answer, thanks): the level eases further."""
    if not memory.added:
        memory.level = round(memory.level * settings.frustration.relief, 4)


def frustrated(memory: Memory, settings: GuardSettings) -> bool:
    """Whether the customer is upset enough that nobody should sell to them."""
    return memory.level >= settings.frustration.upset
