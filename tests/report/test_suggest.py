"""``frontdesk faq suggest``: drafts from the seeded store's unanswered questions."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.app import training_examples
from bot.cli import main
from bot.content.loader import load_content
from bot.content.validate import main as validate_main
from bot.report.suggest import DRAFTS_FILE, TODO
from bot.store import Message, SqlStore
from tests.report.seed import CANADA_EN, CANADA_KO, DAY_B
from tests.unit.contentkit import make_content, write

CANADA = "suggested-do-you-ship-to-canada"
PAYPAL = "suggested-can-i-pay-with-paypal"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_content(tmp_path / "content")


async def suggest(root: Path, url: str, *extra: str) -> int:
    """The command line, as an admin runs it (in a thread: it runs its own event loop)."""
    args = ["faq", "suggest", "--content", str(root), "--database", url, *extra]
    return await asyncio.to_thread(main, args)


def drafts(root: Path) -> list[dict[str, object]]:
    data = yaml.safe_load((root / DRAFTS_FILE).read_text(encoding="utf-8"))
    entries: list[dict[str, object]] = data["faq"]
    return entries


async def test_groups_become_drafts_with_the_agents_answers(
    store: SqlStore, root: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await suggest(root, url) == 0
    out = capsys.readouterr().out
    assert f"2 draft FAQ entries added to {root / DRAFTS_FILE}" in out
    assert "1 of them with an agent's answer" in out

    canada, paypal = drafts(root)
    assert canada == {
        "id": CANADA,
        "questions": {"en": ["Do you ship to Canada?"], "ko": ["캐나다로 배송되나요?"]},
        "answer": {"en": CANADA_EN, "ko": CANADA_KO},
        "tags": ["suggested"],
    }
    assert paypal["id"] == PAYPAL
    assert paypal["questions"] == {"en": ["Can I pay with PayPal?", "do you accept paypal"]}
    assert paypal["answer"] == {"en": TODO}

    content = load_content(root)  # drafts load apart and are never trained or served
    assert set(content.drafts) == {CANADA, PAYPAL}
    assert not set(content.faq) & {CANADA, PAYPAL}
    assert not {e.label for e in training_examples(content)} & {f"faq:{CANADA}", f"faq:{PAYPAL}"}

    assert validate_main(root) == 0
    listed = capsys.readouterr().out
    assert f"draft FAQ '{PAYPAL}' (answer to write in en; no answer in ko, ja)" in listed
    assert f"draft FAQ '{CANADA}' (no answer in ja)" in listed


async def test_running_again_adds_only_new_groups_and_keeps_the_admins_edits(
    store: SqlStore, root: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await suggest(root, url) == 0
    path = root / DRAFTS_FILE
    first = path.read_text(encoding="utf-8")
    assert await suggest(root, url) == 0
    assert path.read_text(encoding="utf-8") == first
    assert "No new draft FAQ entries.\n2 groups are already in the FAQ or in a draft." in (
        capsys.readouterr().out
    )

    edited = first.replace(TODO, "Yes: PayPal, cards and bank transfer.") + "# checked by Jin\n"
    path.write_text(edited, encoding="utf-8")
    conv = await store.start_conversation("slack:u9", "slack", 1, language="en")
    at = DAY_B + timedelta(hours=2)
    asked = [
        "Do you offer gift wrapping?",
        "can you gift wrap my order",
        "Are you open on Sundays?",
    ]
    await store.add_messages(
        [Message(conv.id, "in", text, at, language="en", intent="fallback") for text in asked]
    )
    assert await suggest(root, url) == 0
    out = capsys.readouterr().out
    assert "1 draft FAQ entries added" in out and "1 groups were asked fewer than 2 times" in out
    text = path.read_text(encoding="utf-8")
    assert text.startswith(edited)
    assert [d["id"] for d in drafts(root)] == [
        CANADA,
        PAYPAL,
        "suggested-do-you-offer-gift-wrapping",
    ]

    assert await suggest(root, url, "--min-count", "1") == 0
    assert drafts(root)[-1]["questions"] == {"en": ["Are you open on Sundays?"]}


async def test_a_question_now_in_the_faq_is_not_suggested(
    store: SqlStore, root: Path, url: str
) -> None:
    write(
        root,
        "responses/faq/payments.yml",
        'faq:\n- id: paypal\n  questions:\n    en: ["do you accept paypal"]\n'
        '  answer:\n    en: "Yes."\n    ko: "네."\n    ja: "はい。"\n',
    )
    assert await suggest(root, url) == 0
    assert [d["id"] for d in drafts(root)] == [CANADA]


async def test_the_period_narrows_the_questions(store: SqlStore, root: Path, url: str) -> None:
    assert await suggest(root, url, "--since", "2026-11-02T12:30") == 0
    assert [d["id"] for d in drafts(root)] == [PAYPAL]


async def test_a_drafts_file_that_cannot_take_more_is_reported(
    store: SqlStore, root: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        root,
        "responses/drafts/suggested.yml",
        'faq:\n  - id: mine\n    questions: {en: ["Hi?"]}\n    answer: {en: Hello}\n',
    )
    assert await suggest(root, url) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert "responses/drafts/suggested.yml: error: new drafts cannot be appended" in err
    assert "id: mine" in (root / DRAFTS_FILE).read_text(encoding="utf-8")
