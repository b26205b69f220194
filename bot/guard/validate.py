"""``frontdesk validate`` for the guard: word lists, thresholds, types and replies.

=========================================================  ========
finding                                                    severity
=========================================================  ========
a guard file that does not parse or has the wrong shape    error
a list entry that is not text, a bad ``re:`` pattern       error
a threshold missing, out of range, or in the wrong order   error
a customer type or its label/approach in a language        error
a guard reply missing, or without a language               error
{topic} in a reply to abuse (never repeat the abuse)       error
no ``handoff/guard/`` (the default content's is used)      warning
a language without word lists                              warning
a word listed twice, or in two lists                       warning
a frustration reply that does not repeat back {topic}      warning
=========================================================  ========
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.content.loader import load_content
from bot.content.model import Content, Template
from bot.errors import ContentError, Problem
from bot.guard.content import GUARD_DIR, read_guard
from bot.guard.normalise import fold
from bot.models import LANGS
from bot.responses import variables

#: The guard's replies, rendered by name.
TEMPLATES = (
    "guard_frustration", "guard_handoff", "guard_stop", "guard_end", "guard_threat",
    "guard_quote", "guard_topic", "button_human",
)  # fmt: skip
#: Replies to abuse: they must not quote the customer.
NO_QUOTES = ("guard_stop", "guard_end")
#: Lists where one word in two places is a contradiction worth a warning.
MEANINGFUL = (
    "abuse", "physical", "legal", "insults", "swearing", "rejection", "waiting", "person",
    "strong", "medium", "mild",
)  # fmt: skip


def validate_guard(content_root: Path, *, content: Content | None = None) -> list[Problem]:
    """Every problem of the guard's content in ``content_root``: errors first.

    ``content`` is the folder already loaded, if the caller has it.
    """
    root = content_root.resolve()
    langs: tuple[str, ...] = LANGS
    problems: list[Problem] = []
    if content is None:
        try:
            content = load_content(root)
        except (ContentError, OSError):
            content = None  # the main validation reports it
    if content is not None:
        langs = content.languages
        problems += _templates(content.templates, langs)
    if not (root / GUARD_DIR).is_dir():
        message = f"no {GUARD_DIR.as_posix()}/: the guard uses the default content's word lists"
        problems.append(Problem(GUARD_DIR.as_posix(), 0, message, "warning"))
        return sorted(problems, key=lambda p: p.severity != "error")
    guard, found = read_guard(root, langs=langs)
    problems += found
    if guard is not None:
        for lang, lists in guard.lists.items():
            problems += _twice(f"{GUARD_DIR.as_posix()}/{lang}.yml", lists)
    return sorted(problems, key=lambda p: p.severity != "error")


def _templates(templates: Mapping[str, Template], langs: tuple[str, ...]) -> Iterator[Problem]:
    for name in TEMPLATES:
        tpl = templates.get(name)
        if tpl is None:
            yield Problem("responses", 0, f"response '{name}' is missing; the guard says it")
            continue
        file, line, variants = tpl.where.file, tpl.where.line, tpl.variants
        missing = [lang for lang in langs if not variants.get(lang)]
        if missing:
            yield Problem(file, line, f"response '{name}' has no text in {', '.join(missing)}")
        for lang, texts in variants.items():
            for text in texts:
                if name in NO_QUOTES and "topic" in variables(text):
                    message = f"response '{name}' ({lang}) uses {{topic}}: never repeat the abuse"
                    yield Problem(file, line, message)
                if name == "guard_frustration" and "topic" not in variables(text):
                    message = f"response '{name}' ({lang}) should repeat back {{topic}}"
                    yield Problem(file, line, message, "warning")


def _twice(file: str, lists: dict[str, list[str]]) -> Iterator[Problem]:
    """Words listed twice in a list, or in two lists that contradict each other."""
    owner: dict[str, str] = {}
    for kind in MEANINGFUL:
        seen: set[str] = set()
        for raw in lists.get(kind, ()):
            word = fold(raw)
            if word in seen:
                yield Problem(file, 0, f"'{raw}' is listed twice in '{kind}'", "warning")
                continue
            seen.add(word)
            first = owner.setdefault(word, kind)
            if first != kind:
                yield Problem(file, 0, f"'{raw}' is in both '{first}' and '{kind}'", "warning")
