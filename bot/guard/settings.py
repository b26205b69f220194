"""The guard's numbers (``handoff/guard/thresholds.yml``), typed and range-checked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from bot.errors import Problem

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Weights:
    """What each sign of frustration adds to the level (0–1)."""

    strong: float
    medium: float
    mild: float
    swearing: float
    insult: float
    abuse: float
    rejection: float
    waiting: float
    person: float
    shouting: float
    exclamations: float
    annoyed_marks: float
    repeat: float
    failure: float


@dataclass(frozen=True, slots=True)
class Frustration:
    """How the level builds up and decays, and when the bot acts on it."""

    weights: Weights
    cap: float
    carry: float
    calm: float
    relief: float
    upset: float
    offer: float
    handoff: float


@dataclass(frozen=True, slots=True)
class Repeat:
    similarity: float
    window: int


@dataclass(frozen=True, slots=True)
class Shouting:
    min_letters: int
    ratio: float


@dataclass(frozen=True, slots=True)
class Abuse:
    strikes: int
    keep: int


@dataclass(frozen=True, slots=True)
class CustomerRules:
    """What the customer types count, over earlier conversations."""

    good_rating: int
    bad_rating: int
    loyal_conversations: int
    loyal_satisfied: int
    critic_frustrated: int
    hater_flags: int


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """Everything numeric the guard reads from content."""

    frustration: Frustration
    repeat: Repeat
    shouting: Shouting
    abuse: Abuse
    customer: CustomerRules


def _fraction(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    return float(value) if ok else None


def _count(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return int(value) if ok else None


_RULES: dict[type, Callable[[Any], Any]] = {float: _fraction, int: _count}
_HINTS = {float: "a number from 0 to 1", int: "a whole number of at least 1"}


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def section(self, data: Any, cls: type[T], path: str, line: int) -> T | None:
        if not isinstance(data, Mapping):
            self.problems.append(Problem(self.file, line, f"'{path}' must be a mapping"))
            return None
        line = int(getattr(data, "line", line))
        values: dict[str, Any] = {}
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        for extra in sorted(set(map(str, data)) - known):
            message = f"unknown setting '{path}.{extra}' (known: {', '.join(sorted(known))})"
            self.problems.append(Problem(self.file, line, message, "warning"))
        for f in fields(cls):  # type: ignore[arg-type]
            where = f"{path}.{f.name}"
            if f.name not in data:
                self.problems.append(Problem(self.file, line, f"'{where}' is missing"))
                continue
            kind = {"float": float, "int": int}.get(str(f.type))
            if kind is None:
                values[f.name] = self.section(data[f.name], _NESTED[f.name], where, line)
                continue
            value = _RULES[kind](data[f.name])
            if value is None:
                got = data[f.name]
                message = f"'{where}' must be {_HINTS[kind]} (got {got!r})"
                self.problems.append(Problem(self.file, line, message))
            values[f.name] = value
        if any(v is None for v in values.values()) or len(values) < len(known):
            return None
        return cls(**values)


_NESTED: dict[str, type] = {
    "weights": Weights,
    "frustration": Frustration,
    "repeat": Repeat,
    "shouting": Shouting,
    "abuse": Abuse,
    "customer": CustomerRules,
}


def read_settings(data: Any, file: str) -> tuple[GuardSettings | None, list[Problem]]:
    """Typed settings from the parsed YAML of ``file``, or ``None`` and the problems."""
    reader = _Reader(file)
    settings = reader.section(data, GuardSettings, "thresholds", 1)
    if settings is not None:
        f = settings.frustration
        line = int(getattr(data.get("frustration"), "line", 1))
        if not 0 < f.upset <= f.offer < f.handoff:
            message = "'frustration' needs 0 < upset ≤ offer < handoff"
            reader.problems.append(Problem(file, line, message))
        if f.cap == 0:
            reader.problems.append(Problem(file, line, "'frustration.cap' must be above 0"))
        rules = settings.customer
        if not 1 <= rules.bad_rating < rules.good_rating <= 5:
            message = "'customer.bad_rating' and 'good_rating' must be ratings 1–5, bad below good"
            reader.problems.append(Problem(file, 1, message))
    errors = [p for p in reader.problems if p.severity == "error"]
    return (None if errors else settings), reader.problems
