"""The one exception tree of frontdesk.

Everything we raise on purpose derives from :class:`FrontdeskError`; boundaries
(a channel's turn handler, the CLI) catch it broadly, reply politely and log.

    FrontdeskError
    ├── ConfigError        a setting is missing or malformed
    ├── ContentError       the content folder is invalid (carries file:line problems)
    └── StoreError         the database failed
"""

from __future__ import annotations

from dataclasses import dataclass


class FrontdeskError(Exception):
    """Base of every error frontdesk raises on purpose."""


class ConfigError(FrontdeskError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about the content, located by file and line."""

    file: str
    line: int
    message: str
    severity: str = "error"  # error | warning | draft (a draft FAQ entry, listed apart)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


class ContentError(FrontdeskError):
    """The content folder cannot be loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(FrontdeskError):
    """The store failed to read or write."""
