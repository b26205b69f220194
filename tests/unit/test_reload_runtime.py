"""What `frontdesk reload` relies on: where pid files go, and telling live bots from stale files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Reload
from bot.config import load_settings
from bot.errors import ConfigError, Problem
from bot.reload import Bot, PidFile, run_dir, running_bots


def test_pid_files_go_next_to_the_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'fd.db'}"
    s = load_settings(environ={"FRONTDESK_DATABASE_URL": url})
    assert run_dir(s) == tmp_path / "db" / "run"


def test_the_run_folder_can_be_set_and_has_a_default_for_other_databases(tmp_path: Path) -> None:
    s = load_settings(environ={"FRONTDESK_RUN_DIR": str(tmp_path / "r")})
    assert run_dir(s) == tmp_path / "r"
    pg = load_settings(environ={"FRONTDESK_DATABASE_URL": "postgresql+asyncpg://u@h/fd"})
    assert run_dir(pg) == Path("data", "run").resolve()


def test_watching_is_on_by_default_and_turned_off_by_the_environment() -> None:
    assert load_settings(environ={}).watch is True
    assert load_settings(environ={"FRONTDESK_WATCH": "0"}).watch is False
    assert load_settings(environ={"FRONTDESK_WATCH": "off"}).watch is False
    with pytest.raises(ConfigError, match="FRONTDESK_WATCH"):
        load_settings(environ={"FRONTDESK_WATCH": "sometimes"})


def test_a_pid_file_records_who_serves_what_and_each_reload(tmp_path: Path) -> None:
    pidfile = PidFile.create(tmp_path, command="chat --jsonl", content=Path("/srv/content"))
    bot = Bot.read(pidfile.path)
    assert bot is not None and bot.pid == os.getpid() and bot.content == "/srv/content"
    assert bot.reloads == 0 and bot.last is None and bot.alive()

    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    problem = Problem("responses/faq/a.yml", 7, "invalid YAML: oops")
    pidfile.reloaded(Reload(False, at, 0.2, (problem,)))

    record = json.loads(pidfile.path.read_text())
    assert record["reloads"] == 1
    assert record["last"]["ok"] is False and record["last"]["started_at"] == at.timestamp()
    assert record["last"]["problems"] == ["responses/faq/a.yml:7: error: invalid YAML: oops"]
    pidfile.remove()
    assert not pidfile.path.exists()


def test_stale_pid_files_are_skipped_and_removed(tmp_path: Path) -> None:
    live = PidFile.create(tmp_path, command="run", content=Path("/c"))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    dead = tmp_path / f"frontdesk-{finished.stdout.strip()}.json"
    dead.write_text(json.dumps({"pid": int(finished.stdout), "content": "/c"}))
    reused = PidFile(tmp_path / "frontdesk-reused.json", {**live.record, "cmdline": ["other"]})
    reused.write()  # our pid, but not the command line that wrote the file: pid reused
    broken = tmp_path / "frontdesk-broken.json"
    broken.write_text("{not json")

    bots = running_bots(tmp_path)

    assert [b.path for b in bots] == [live.path]
    assert not dead.exists()
    assert not reused.path.exists() or not Path("/proc/self/cmdline").exists()
    assert broken.exists()  # unreadable (maybe half-written by someone else): left alone


def test_no_watch_on_the_command_line_turns_the_watcher_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.cli import _parser, _settings

    monkeypatch.delenv("FRONTDESK_WATCH", raising=False)
    monkeypatch.delenv("FRONTDESK_CONFIG", raising=False)

    assert _settings(_parser().parse_args(["chat", "--no-watch"])).watch is False
    assert _settings(_parser().parse_args(["run", "--no-watch"])).watch is False
    assert _settings(_parser().parse_args(["chat"])).watch is True
