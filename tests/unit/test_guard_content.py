"""The guard's content: loading, the fallback folder, and `validate_guard`."""

import shutil
from pathlib import Path

import pytest

from bot.config import default_content_dir
from bot.errors import ContentError
from bot.guard.content import GUARD_DIR, load_guard, read_guard
from bot.guard.validate import validate_guard
from tests.unit.contentkit import make_content, write

SHIPPED = default_content_dir()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A small content folder with the shipped guard files copied in."""
    root = make_content(tmp_path / "content")
    shutil.copytree(SHIPPED / GUARD_DIR, root / GUARD_DIR, dirs_exist_ok=True)
    shutil.copy(SHIPPED / "responses" / "guard.yml", root / "responses" / "guard.yml")
    return root


def messages(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [f"{p.severity}: {p.message}" for p in problems]


def test_the_shipped_guard_content_is_clean() -> None:
    assert validate_guard(SHIPPED) == []


def test_a_copy_loads_and_validates(content: Path) -> None:
    guard = load_guard(content)
    assert set(guard.lexicons) == {"en", "ko", "ja"}
    assert validate_guard(content) == []


def test_without_a_guard_folder_the_default_is_used(content: Path) -> None:
    shutil.rmtree(content / GUARD_DIR)
    assert load_guard(content, fallback=SHIPPED).folder == SHIPPED / GUARD_DIR
    assert any("default content" in m for m in messages(validate_guard(content)))
    with pytest.raises(ContentError):
        load_guard(content)


def test_list_problems_name_file_and_line(content: Path) -> None:
    write(
        content, "handoff/guard/en.yml", "language: en\nabuse:\n  - yes\n  - 're:('\nwords: [x]\n"
    )
    guard, problems = read_guard(content)
    assert guard is None
    found = {(p.file, p.message.split(":")[0]) for p in problems}
    assert ("handoff/guard/en.yml", "'abuse'") in found
    text = "\n".join(messages(problems))
    assert 'write it in quotes, e.g. "yes"' in text
    assert "bad pattern" in text
    assert "unknown list 'words'" in text


def test_threshold_problems(content: Path) -> None:
    path = content / GUARD_DIR / "thresholds.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("offer: 0.5", "offer: 0.95").replace("cap: 0.8", "cap: 2"), "utf-8"
    )
    text = "\n".join(messages(read_guard(content)[1]))
    assert "'thresholds.frustration.cap' must be a number from 0 to 1" in text
    path.write_text(path.read_text("utf-8").replace("cap: 2", "cap: 0.8"), "utf-8")
    assert "upset ≤ offer < handoff" in "\n".join(messages(read_guard(content)[1]))


def test_missing_customer_type_text(content: Path) -> None:
    path = content / GUARD_DIR / "customer_types.yml"
    path.write_text(path.read_text("utf-8").replace('      ja: "熱心なファン"\n', ""), "utf-8")
    text = "\n".join(messages(validate_guard(content)))
    assert "customer type 'loyal_enthusiast': 'label' has no text in ja" in text


def test_reply_checks(content: Path) -> None:
    write(
        content,
        "responses/guard.yml",
        (SHIPPED / "responses" / "guard.yml")
        .read_text("utf-8")
        .replace("keep our conversation respectful, please", "stop saying {topic}")
        .replace('    ja: ["お問い合わせ"]\n', ""),
    )
    text = "\n".join(messages(validate_guard(content)))
    assert "response 'guard_stop' (en) uses {topic}: never repeat the abuse" in text
    assert "response 'guard_topic' has no text in ja" in text


def test_words_in_two_lists_are_warned(content: Path) -> None:
    path = content / GUARD_DIR / "en.yml"
    path.write_text(
        path.read_text("utf-8").replace("insults:\n", "insults:\n  - ridiculous\n"), "utf-8"
    )
    assert any("'ridiculous' is in both" in m for m in messages(validate_guard(content)))
