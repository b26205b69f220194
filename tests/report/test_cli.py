"""``frontdesk report`` as an admin runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import SqlStore, open_store


async def report(url: str, *extra: str) -> int:
    args = ["report", "--database", url, *extra]
    return await asyncio.to_thread(main, args)


async def test_tables_in_the_terminal_and_a_page_on_request(
    store: SqlStore, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "out" / "report.html"
    assert await report(url, "--until", "2026-11-02", "--html", str(page)) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "frontdesk report · through 2026-11-02 (UTC)" in out
    for heading in (
        "Conversations", "Top FAQ entries", "grouped by meaning", "Handoffs by trigger",
        "Times, p50 / p90", "Feedback", "Offers",
    ):  # fmt: skip
        assert heading in out
    overview = next(line for line in out.splitlines() if line.startswith("│ all "))
    assert overview.split("│")[2:10] == [
        f" {x} ".rjust(len(c)) for x, c in zip(
            ["4", "7", "3", "1", "4", "43%", "3", "75%"], overview.split("│")[2:10], strict=True
        )
    ]  # fmt: skip
    assert "Do you ship to Canada?" in out
    assert "│ language: en " in out and "…" not in out  # piped: wide, nothing cut short
    assert f"wrote {page}" in captured.err.replace("\n", "")
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")


async def test_an_empty_store_says_so(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = await open_store(url)  # created and migrated, as the bot leaves it before any chat
    await store.close()
    assert await report(url, "--since", "7d") == 0
    out = capsys.readouterr().out
    assert "No conversations in this period yet" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "--since: '2026-13-01' is not a date; use YYYY-MM-DD"),
        (["--until", "yesterday"], "--until: 'yesterday' is not a date"),
        (
            ["--since", "2026-12-01", "--until", "2026-11-01"],
            "--since 2026-12-01 is not before --until 2026-11-01: the period is empty",
        ),
    ],
)
async def test_bad_dates_get_a_clear_error(
    url: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert await report(url, *args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err


async def test_a_missing_sqlite_file_is_an_error_not_a_new_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "fd.db"
    assert await report(f"sqlite+aiosqlite:///{missing}") == 2
    assert "the bot has recorded nothing there yet" in " ".join(capsys.readouterr().err.split())
    assert not missing.parent.exists()


async def test_html_into_a_folder_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await report(url, "--html", str(tmp_path)) == 2
    assert "is a folder; give a file name" in " ".join(capsys.readouterr().err.split())
