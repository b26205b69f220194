"""What the content folder holds, once loaded: intents, templates, FAQ, offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.models import LANGS

BUILTIN_INTENTS = (
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "human",
    "complaint",
    "bot_challenge",
)


@dataclass(frozen=True, slots=True)
class Where:
    """A place in the content folder, for messages that name file and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class IntentExample:
    """One way customers say an intent."""

    intent: str
    text: str
    where: Where


@dataclass(frozen=True, slots=True)
class Template:
    """A named response with variants per language."""

    name: str
    variants: dict[str, tuple[str, ...]]
    where: Where


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question or recurring problem of the issue repository."""

    id: str
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    where: Where
    tags: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    handoff: bool = False

    def title(self, lang: str) -> str:
        """A short label: the first way of asking in ``lang`` (or English)."""
        for code in (lang, "en", *self.questions):
            if self.questions.get(code):
                return self.questions[code][0]
        return self.id


@dataclass(frozen=True, slots=True)
class OfferItem:
    """An upsell or cross-sell of the catalog."""

    id: str
    kind: str
    for_: tuple[str, ...]
    pitch: dict[str, str]
    where: Where
    url: str = ""


@dataclass(frozen=True, slots=True)
class Content:
    """A whole loaded content folder."""

    root: Path
    examples: tuple[IntentExample, ...] = ()
    templates: dict[str, Template] = field(default_factory=dict)
    faq: dict[str, FaqEntry] = field(default_factory=dict)
    offers: dict[str, OfferItem] = field(default_factory=dict)
    drafts: dict[str, FaqEntry] = field(default_factory=dict)
    languages: tuple[str, ...] = LANGS

    @property
    def intents(self) -> tuple[str, ...]:
        """Intent names in the order they first appear."""
        return tuple(dict.fromkeys(e.intent for e in self.examples))
