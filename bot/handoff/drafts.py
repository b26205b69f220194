"""Save as FAQ: a resolved ticket's question and the agent's answer become a draft entry.

Drafts live in ``responses/drafts/`` of the content folder; ``frontdesk
validate`` lists them for review and they are never live until an admin moves
the entry into ``responses/faq/``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

HEADER = (
    "# A draft FAQ entry saved from an agents' desk ticket. Review it, add the other\n"
    "# languages and more ways of asking, then move it into responses/faq/ to make it live.\n"
)


def draft_path(root: Path, code: str) -> Path:
    return root / "responses" / "drafts" / f"handoff-{code.lower()}.yml"


def save_draft(root: Path, *, code: str, lang: str, question: str, answer: str) -> Path:
    """Write (or overwrite) the draft for ticket ``code``; returns its path."""
    entry = {
        "id": f"draft-{code.lower()}",
        "questions": {lang: [question]},
        "answer": {lang: answer},
        "tags": ["from-handoff"],
    }
    path = draft_path(root, code)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump({"faq": [entry]}, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(HEADER + body, encoding="utf-8")
    return path
