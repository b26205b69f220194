from pathlib import Path

import pytest

import bot.config
from bot.content import load_content
from bot.content.scaffold import init, main
from bot.content.validate import validate
from bot.errors import FrontdeskError
from tests.unit.contentkit import make_content, write


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """Default content as the repo ships it: built-ins plus a company's own FAQ and offers."""
    root = make_content(tmp_path / "source")
    write(root, "handoff/settings.yml", "# all defaults\n")
    return root


def test_init_creates_a_complete_folder(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "acme"
    created = init(target, source=source)
    guard = sorted(f"handoff/guard/{p.name}" for p in (source / "handoff" / "guard").glob("*.yml"))
    assert guard, "the source has word lists to copy"
    assert sorted(p.relative_to(target).as_posix() for p in created) == [
        *guard,
        "handoff/settings.yml",
        "intents/builtin.yml",
        "responses/faq/example.yml",
        "responses/guard.yml",
        "responses/offers.yml",
        "responses/templates.yml",
        "tests/conversations/example.yml",
    ]
    assert all(p.is_file() for p in created)
    # built-ins are copied as they are; the company's FAQ and offers are not
    for rel in ("intents/builtin.yml", "responses/templates.yml", "handoff/settings.yml"):
        assert (target / rel).read_bytes() == (source / rel).read_bytes()
    assert not (target / "responses/faq/shop.yml").exists()
    content = load_content(target)
    assert list(content.faq) == ["shipping-time"]
    assert list(content.offers) == ["express-shipping"]
    assert set(content.faq["shipping-time"].answer) == {"en", "ko", "ja"}
    assert "# id:" in (target / "responses/faq/example.yml").read_text(encoding="utf-8")


def test_the_scaffold_validates_clean(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "acme"
    init(target, source=source)
    assert validate(target) == []


def test_init_accepts_an_empty_folder(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    assert init(target, source=source)


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "taken"
    write(target, "notes.txt", "mine")
    with pytest.raises(FrontdeskError, match="not empty"):
        init(target, source=source)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_init_refuses_a_source_without_builtins(tmp_path: Path) -> None:
    with pytest.raises(FrontdeskError, match="no built-in"):
        init(tmp_path / "acme", source=tmp_path / "nothing")


def test_main_prints_the_files_and_what_next(
    tmp_path: Path,
    source: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(bot.config, "default_content_dir", lambda: source)
    target = tmp_path / "acme"
    assert main(target) == 0
    out = capsys.readouterr().out
    assert "responses/faq/example.yml" in out
    assert f"next: frontdesk validate {target}" in out
    assert main(target) == 1
    captured = capsys.readouterr()
    assert "not empty" in captured.out
    assert "Traceback" not in captured.out + captured.err
