"""``frontdesk faq suggest``: unanswered questions become draft FAQ entries for review.

Each group of unanswered questions (see :mod:`bot.report.groups`) asked at
least ``min_count`` times becomes one entry in ``responses/drafts/suggested.yml``:
the customers' own phrasings as ``questions`` per language, and as ``answer``
what an agent replied when one of those questions was handed off — or
:data:`TODO` where nobody has answered yet. Drafts are never served (the
loader keeps ``responses/drafts/`` apart) and ``frontdesk validate`` lists them.

Re-running adds only groups none of whose phrasings is already a question of
the FAQ or of any draft, and appends to the file, so an admin's edits stay.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import Content
from bot.errors import ContentError, Problem
from bot.nlu.encoder import Encoder
from bot.report.groups import Asked, Group, group_questions, normalise
from bot.report.queries import AgentAnswer

DRAFTS_FILE = Path("responses") / "drafts" / "suggested.yml"
#: The answer of a draft nobody has answered yet; ``validate`` refuses it in a live entry.
TODO = "TODO: write the answer"
TAG = "suggested"
#: Customers' phrasings kept per language in one draft.
MAX_QUESTIONS = 10
HEADER = (
    "# Draft FAQ entries suggested by `frontdesk faq suggest` from questions the bot could\n"
    "# not answer, grouped by meaning. They are not live. For each: check the questions,\n"
    "# write or check the answer in every language (replace every TODO), then move the\n"
    "# entry into a file under responses/faq/ and run `frontdesk validate`.\n"
    "faq:\n"
)


@dataclass(slots=True)
class Outcome:
    """What a run did."""

    path: Path
    added: list[str] = field(default_factory=list)
    with_answer: int = 0
    known: int = 0
    too_small: int = 0
    min_count: int = 2

    def summary(self) -> str:
        lines = []
        if self.added:
            lines.append(f"{len(self.added)} draft FAQ entries added to {self.path}:")
            lines += [f"  {entry_id}" for entry_id in self.added]
            if self.with_answer:
                lines.append(f"{self.with_answer} of them with an agent's answer to check.")
        else:
            lines.append("No new draft FAQ entries.")
        if self.known:
            lines.append(f"{self.known} groups are already in the FAQ or in a draft.")
        if self.too_small:
            lines.append(f"{self.too_small} groups were asked fewer than {self.min_count} times.")
        if self.added:
            lines.append("Review them, then run `frontdesk validate`.")
        return "\n".join(lines)


def _slug(group: Group, taken: set[str]) -> str:
    english = group.phrasings.get("en", ())
    words = re.findall(r"[a-z0-9]+", (english[0] if english else "").lower())
    base = (
        "-".join(words[:6])
        or hashlib.sha1(normalise(group.representative).encode("utf-8")).hexdigest()[:8]
    )
    slug, n = f"{TAG}-{base}", 2
    while slug in taken:
        slug, n = f"{TAG}-{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _answers(group: Group, answers: Sequence[AgentAnswer]) -> dict[str, str]:
    """The newest agent reply per language to any phrasing of the group."""
    keys = {normalise(q) for qs in group.phrasings.values() for q in qs}
    found: dict[str, AgentAnswer] = {}
    for a in answers:
        if normalise(a.question) in keys and (
            a.language not in found or a.at >= found[a.language].at
        ):
            found[a.language] = a
    return {lang: a.answer for lang, a in found.items()}


def draft_entry(entry_id: str, group: Group, answers: Sequence[AgentAnswer]) -> dict[str, Any]:
    """One FAQ entry in the content format, ``TODO`` where there is no answer yet."""
    replied = _answers(group, answers)
    langs = list(group.phrasings)
    return {
        "id": entry_id,
        "questions": {lang: list(group.phrasings[lang][:MAX_QUESTIONS]) for lang in langs},
        "answer": {lang: replied.get(lang, TODO) for lang in dict.fromkeys([*langs, *replied])},
        "tags": [TAG],
    }


def _comment(group: Group, replied: bool) -> str:
    langs = ", ".join(f"{lang} {n}" for lang, n in group.languages.items())
    source = "answer from an agent's reply: check it" if replied else "answer: to write"
    return f"# asked {group.count} times ({langs}); {source}\n"


def _render(entries: list[tuple[Group, dict[str, Any], bool]]) -> str:
    parts = []
    for group, entry, replied in entries:
        body = yaml.safe_dump(
            [entry], allow_unicode=True, sort_keys=False, width=100, default_flow_style=None
        )
        parts.append("\n" + _comment(group, replied) + body)
    return "".join(parts)


def _append(path: Path, text: str, *, shown: str) -> None:
    """Append entries to the drafts file, keeping what is there (comments and edits too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        path.write_text(HEADER + text.lstrip("\n"), encoding="utf-8")
        return
    before = path.read_text(encoding="utf-8")
    after = before if before.endswith("\n") else before + "\n"
    after += text
    try:  # the file must stay one valid `faq:` list
        data = yaml.safe_load(after)
    except yaml.YAMLError:
        data = None
    if not (isinstance(data, dict) and set(data) == {"faq"} and isinstance(data["faq"], list)):
        message = (
            "new drafts cannot be appended: keep this file a plain `faq:` list with its "
            "entries at the left margin, or move it away and run `frontdesk faq suggest` again"
        )
        raise ContentError([Problem(shown, 0, message)])
    path.write_text(after, encoding="utf-8")


def suggest_drafts(
    content: Content,
    asked: Sequence[Asked],
    answers: Sequence[AgentAnswer],
    *,
    min_count: int = 2,
    encoder: Encoder | None = None,
) -> Outcome:
    """Group ``asked``, draft an entry for each new group, append them to the drafts file."""
    outcome = Outcome(content.root / DRAFTS_FILE, min_count=min_count)
    if not asked:
        return outcome
    if encoder is None:
        from bot.nlu.encoder import use_encoder

        encoder = use_encoder()
    existing = [*content.faq.values(), *content.drafts.values()]
    known = {normalise(q) for e in existing for qs in e.questions.values() for q in qs}
    taken = {e.id for e in existing}
    entries = []
    for group in group_questions(asked, encoder):
        phrasings = {normalise(q) for qs in group.phrasings.values() for q in qs}
        if phrasings & known:
            outcome.known += 1
            continue
        if group.count < min_count:
            outcome.too_small += 1
            continue
        entry = draft_entry(_slug(group, taken), group, answers)
        replied = any(text != TODO for text in entry["answer"].values())
        entries.append((group, entry, replied))
        outcome.added.append(entry["id"])
        outcome.with_answer += replied
    if entries:
        _append(outcome.path, _render(entries), shown=DRAFTS_FILE.as_posix())
    return outcome
