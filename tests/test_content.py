"""The shipped example content: it validates, and its conversation tests pass."""

from pathlib import Path

import pytest

from bot.config import default_content_dir, load_settings
from bot.content.validate import validate
from bot.convtest import run_tests

CONTENT = default_content_dir()
FILES = sorted((CONTENT / "tests" / "conversations").glob("*.yml"))


def test_example_content_validates_without_errors() -> None:
    errors = [p for p in validate(CONTENT) if p.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_conversations(path: Path, tmp_path: Path) -> None:
    settings = load_settings(
        environ={}, content_dir=CONTENT, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"
    )
    report = await run_tests(settings, [path])
    assert report.passed, "no test ran"
    assert report.ok, "\n\n".join(str(f) for f in report.failures)
