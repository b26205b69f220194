"""The shipped example content: it validates, and its conversation tests pass."""

from pathlib import Path

import pytest

from bot.config import default_content_dir, load_settings
from bot.content import load_content
from bot.content.validate import validate
from bot.convtest import run_tests
from bot.responses import Renderer, variables

CONTENT = default_content_dir()
FILES = sorted((CONTENT / "tests" / "conversations").glob("*.yml"))


def test_example_content_validates_without_errors() -> None:
    errors = [p for p in validate(CONTENT) if p.severity == "error"]
    assert errors == []


def test_no_english_text_says_there_for_a_missing_name() -> None:
    """ "Hi there!" reads well; "Thank you for your patience, there!" does not: every
    English template that uses the name has a variant without it."""
    content = load_content(CONTENT)
    renderer = Renderer(content.templates)
    for name, template in content.templates.items():
        used = set().union(*map(variables, template.variants.get("en", ())))
        values: dict[str, str | None] = {**dict.fromkeys(used, "x"), "name": None}
        text = renderer.render(name, "en", **values)
        assert ", there" not in text, (name, text)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_conversations(path: Path, tmp_path: Path) -> None:
    settings = load_settings(
        environ={}, content_dir=CONTENT, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"
    )
    report = await run_tests(settings, [path])
    assert report.passed, "no test ran"
    assert report.ok, "\n\n".join(str(f) for f in report.failures)
