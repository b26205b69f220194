"""The reporting period: ``--since`` / ``--until`` parsed into UTC bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RELATIVE = re.compile(r"(\d+)\s*([dhw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
FORMATS = "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+HH:MM], or a span back from now like 7d, 12h, 2w"


def parse_moment(text: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """A moment in UTC from a date, a date-time or a span back from now.

    A bare date means the start of that day (UTC), or with ``end`` the start of
    the next day, so ``--until 2026-11-30`` includes all of the 30th. Times
    without an offset are UTC. Raises :class:`ValueError` with the accepted forms.
    """
    raw = text.strip()
    relative = _RELATIVE.fullmatch(raw.lower())
    if relative:
        return (now or datetime.now(UTC)) - int(relative[1]) * _UNITS[relative[2]]
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"'{text}' is not a date; use {FORMATS}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """``since`` inclusive, ``until`` exclusive; ``None`` is open-ended."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError(
                f"the period is empty: --since {self.since:%Y-%m-%d %H:%M} is not before "
                f"--until {self.until:%Y-%m-%d %H:%M} (UTC)"
            )

    @classmethod
    def parse(cls, since: str | None, until: str | None, *, now: datetime | None = None) -> Period:
        """From the command line's strings (either may be missing)."""
        return cls(
            None if since is None else parse_moment(since, now=now),
            None if until is None else parse_moment(until, end=True, now=now),
        )

    def label(self) -> str:
        """How the period reads in a heading: ``2026-11-01 through 2026-11-30 (UTC)``."""
        if self.since is None and self.until is None:
            return "all time"
        parts = [] if self.since is None else [f"since {_show(self.since)}"]
        if self.until is not None:
            if _midnight(self.until):  # an inclusive --until DATE: name the last day
                parts.append(f"through {self.until - timedelta(days=1):%Y-%m-%d}")
            else:
                parts.append(f"until {_show(self.until)}")
        return " ".join(parts) + " (UTC)"


def _midnight(at: datetime) -> bool:
    return (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)


def _show(at: datetime) -> str:
    return f"{at:%Y-%m-%d}" if _midnight(at) else f"{at:%Y-%m-%d %H:%M}"
