"""Handoff settings (``handoff/settings.yml``), typed and validated; defaults when empty."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content.yamlfile import line_of, read_yaml
from bot.errors import ContentError, Problem

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
PATH = Path("handoff") / "settings.yml"


@dataclass(frozen=True, slots=True)
class DeskSettings:
    """Where tickets show up, in which language, and who may act on them."""

    platform: str = ""  # slack | telegram | "" (console / JSONL only)
    channel: str = ""
    language: str = "en"
    #: Who may act: Slack user ids (``U0123ABCD``), Telegram user ids
    #: (``123456789``), Telegram usernames (``@sora``) or JSONL/console agent ids;
    #: empty: anyone in the desk chat (and any agent id on JSONL/console).
    agents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When people are at the desk; ``None`` days means always open."""

    timezone: str = "UTC"
    days: tuple[str, ...] | None = None
    open: time = time(0, 0)
    close: time = time(23, 59, 59)
    holidays: tuple[date, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is staffed at ``at`` (an aware datetime)."""
        if self.days is None:
            return True
        local = at.astimezone(self.zone)
        if local.date() in self.holidays or DAYS[local.weekday()] not in self.days:
            return False
        return self.open <= local.time() < self.close

    def next_open(self, at: datetime) -> datetime:
        """The next time the desk opens (``at`` itself when open)."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        for offset in range(0, 15):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays or (
                self.days is not None and DAYS[day.weekday()] not in self.days
            ):
                continue
            start = datetime.combine(day, self.open, tzinfo=self.zone)
            if start > at:
                return start
        return at + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class HandoffSettings:
    """Everything ``handoff/settings.yml`` can say."""

    desk: DeskSettings = field(default_factory=DeskSettings)
    hours: BusinessHours = field(default_factory=BusinessHours)
    #: The wait promised when nothing is known about recent claims.
    wait: timedelta = timedelta(minutes=5)
    #: Unclaimed for this long: apology, a promise with a time, a follow-up ticket.
    claim_timeout: timedelta = timedelta(minutes=10)
    #: How often ``frontdesk run`` looks for unclaimed tickets.
    sweep_every: timedelta = timedelta(seconds=30)
    #: Mask e-mails, phones and cards in the notes and relays the desk shows
    #: (the stored conversation and the Transcript keep the original).
    mask_pii_in_notes: bool = False

    def is_member(self, agent: str, handle: str | None = None) -> bool:
        """Whether ``agent`` (an id; ``handle``, their username if known) may act at
        the desk. Empty list: anyone in the desk chat. Usernames match without case."""
        allowed = self.desk.agents
        if not allowed or agent in allowed:
            return True
        name = (handle or "").lstrip("@").lower()
        return bool(name) and any(a.startswith("@") and a[1:].lower() == name for a in allowed)


def parse_duration(value: Any) -> timedelta:
    """``"5m"``, ``"2h"``, ``"30s"``, ``"1d"`` or a number of minutes; raises ``ValueError``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(minutes=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a duration like 5m, 2h or 30s")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _clock(value: Any) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"'{value}' is not a time like \"09:00\"") from None


class _Reader:
    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.problems: list[Problem] = []

    def bad(self, where: Any, message: str) -> None:
        self.problems.append(Problem(self.rel, line_of(where), message))

    def section(self, data: Any, key: str) -> dict[str, Any]:
        block = data.get(key)
        if block is None:
            return {}
        if not isinstance(block, dict):
            self.bad(data, f"'{key}' must be a mapping")
            return {}
        return block

    def desk(self, data: dict[str, Any]) -> DeskSettings:
        block = self.section(data, "desk")
        platform = str(block.get("platform") or "")
        if platform not in ("", "slack", "telegram"):
            self.bad(block, f"desk.platform '{platform}' must be slack or telegram")
        language = str(block.get("language") or "en")
        if language not in ("en", "ko", "ja"):
            self.bad(block, f"desk.language '{language}' must be en, ko or ja")
            language = "en"
        agents = block.get("agents") or []
        if not isinstance(agents, list):
            self.bad(block, "desk.agents must be a list of agent ids or @usernames")
            agents = []
        for agent in agents:
            if (
                not isinstance(agent, str | int)
                or isinstance(agent, bool)
                or not str(agent).strip()
            ):
                self.bad(block, f"desk.agents: '{agent}' is not an agent id or @username")
        return DeskSettings(
            platform=platform,
            channel=str(block.get("channel") or ""),
            language=language,
            agents=tuple(str(a) for a in agents),
        )

    def hours(self, data: dict[str, Any]) -> BusinessHours:
        block = self.section(data, "business_hours")
        if not block:
            return BusinessHours()
        zone = str(block.get("timezone") or "UTC")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.bad(block, f"business_hours.timezone '{zone}' is not an IANA time zone")
            zone = "UTC"
        days = [str(d).lower()[:3] for d in block.get("days") or DAYS]
        for day in days:
            if day not in DAYS:
                self.bad(block, f"business_hours.days: '{day}' is not one of {', '.join(DAYS)}")
        try:
            opens = _clock(block.get("open", "00:00"))
            closes = _clock(block.get("close", "23:59:59"))
        except ValueError as exc:
            self.bad(block, f"business_hours: {exc}")
            opens, closes = time(0, 0), time(23, 59, 59)
        if closes <= opens:
            self.bad(block, "business_hours.close must be after open")
        holidays = []
        for item in block.get("holidays") or []:
            try:
                holidays.append(item if isinstance(item, date) else date.fromisoformat(str(item)))
            except ValueError:
                self.bad(block, f"business_hours.holidays: '{item}' is not a date like 2025-12-25")
        return BusinessHours(
            timezone=zone,
            days=tuple(d for d in days if d in DAYS),
            open=opens,
            close=closes,
            holidays=tuple(holidays),
        )

    def flag(self, block: dict[str, Any], key: str) -> bool:
        value = block.get(key, False)
        if not isinstance(value, bool):
            self.bad(block, f"{key} must be true or false, not '{value}'")
            return False
        return value

    def duration(self, block: dict[str, Any], key: str, name: str, default: timedelta) -> timedelta:
        if block.get(key) is None:
            return default
        try:
            return parse_duration(block[key])
        except ValueError as exc:
            self.bad(block, f"{name}: {exc}")
            return default


def parse_settings(data: Any, rel: str = str(PATH)) -> tuple[HandoffSettings, list[Problem]]:
    """Settings from parsed YAML (``None`` when the file is empty), with any problems."""
    reader = _Reader(rel)
    if data is None:
        return HandoffSettings(), []
    if not isinstance(data, dict):
        return HandoffSettings(), [Problem(rel, 1, "the handoff settings must be a mapping")]
    known = {"desk", "business_hours", "wait", "claim_timeout", "sweep_every", "mask_pii_in_notes"}
    for key in sorted(set(data) - known, key=str):
        reader.bad(data, f"unknown setting '{key}' (known: {', '.join(sorted(known))})")
    wait = reader.section(data, "wait")
    defaults = HandoffSettings()
    settings = HandoffSettings(
        desk=reader.desk(data),
        hours=reader.hours(data),
        wait=reader.duration(wait, "in_hours", "wait.in_hours", defaults.wait),
        claim_timeout=reader.duration(
            data, "claim_timeout", "claim_timeout", defaults.claim_timeout
        ),
        sweep_every=reader.duration(data, "sweep_every", "sweep_every", defaults.sweep_every),
        mask_pii_in_notes=reader.flag(data, "mask_pii_in_notes"),
    )
    return settings, reader.problems


def settings_problems(root: Path) -> list[Problem]:
    """Every problem of ``root/handoff/settings.yml`` (file and line), as ``validate`` shows
    them; none when the file is absent. Uses the same reader as :func:`load_settings`."""
    path = root / PATH
    if not path.is_file():
        return []
    data, problem = read_yaml(path, root)
    if problem is not None:
        return [problem]
    return parse_settings(data)[1]


def load_settings(root: Path) -> HandoffSettings:
    """``root/handoff/settings.yml``; defaults when absent or empty; raises ``ContentError``."""
    path = root / PATH
    if not path.is_file():
        return HandoffSettings()
    data, problem = read_yaml(path, root)
    if problem is not None:
        raise ContentError([problem])
    settings, problems = parse_settings(data)
    if problems:
        raise ContentError(problems)
    return settings
