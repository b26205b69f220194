"""`frontdesk reload` against a running `python -m bot chat --jsonl`, and on its own."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from bot.cli import main
from tests.cli.jsonl_process import environment
from tests.unit.contentkit import make_content

FAQ = "responses/faq/shop.yml"
OLD_ANSWER = "Orders arrive in 2 to 4 business days."
NEW_ANSWER = "Orders now arrive the next business day."
BROKEN = 'en: "Orders arrive: in 2 to 4 days": oops'


def edit(root: Path, old: str, new: str) -> None:
    path = root / FAQ
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


class Bot:
    """A `chat --jsonl` subprocess, driven one turn at a time."""

    def __init__(self, content: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--content", str(content), "chat", "--jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        self.reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self.reader.start()
        self.log = ""

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def say(self, text: str, user: str = "u1") -> list[dict[str, Any]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"user": user, "text": text}) + "\n")
        self.proc.stdin.flush()
        out: list[dict[str, Any]] = []
        while True:
            obj = json.loads(self.lines.get(timeout=180))
            if obj["type"] == "done":
                return out
            out.append(obj)

    def stop(self) -> str:
        """End of input: the bot stops; its log (stderr)."""
        assert self.proc.stdin is not None and self.proc.stderr is not None
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)
        if not self.proc.stderr.closed:
            self.log = self.proc.stderr.read()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.log


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return make_content(tmp_path / "content")


@pytest.fixture
def bot(tmp_path: Path, content: Path) -> Iterator[Bot]:
    # not watching: only `frontdesk reload` can make this bot take an edit
    bot = Bot(content, environment(tmp_path / "fd.db", FRONTDESK_WATCH="0"))
    try:
        yield bot
    finally:
        bot.stop()


def reload(tmp_path: Path, content: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--content", str(content), "reload", "--timeout", "120"],
        capture_output=True,
        text=True,
        timeout=180,
        env=environment(tmp_path / "fd.db"),
        check=False,
    )


@pytest.mark.slow
def test_reload_validates_then_the_running_bot_answers_with_the_new_content(
    tmp_path: Path, content: Path, bot: Bot
) -> None:
    assert bot.say("How long does delivery take?")[0]["text"] == OLD_ANSWER
    pidfile = next((tmp_path / "run").glob("frontdesk-*.json"))

    edit(content, OLD_ANSWER, NEW_ANSWER)
    done = reload(tmp_path, content)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"✓ pid {bot.proc.pid} (chat --jsonl): reloaded" in done.stdout
    assert bot.say("When will my order arrive?")[0]["text"] == NEW_ANSWER

    edit(content, f'en: "{NEW_ANSWER}"', BROKEN)
    refused = reload(tmp_path, content)

    assert refused.returncode == 1
    assert f"{FAQ}:8: invalid YAML" in refused.stdout
    assert "nothing was reloaded" in refused.stdout
    assert bot.say("How long does delivery take?", user="u2")[0]["text"] == NEW_ANSWER
    log = bot.stop()
    assert bot.proc.returncode == 0, log
    assert "reloaded" in log and not pidfile.exists()


@pytest.mark.slow
def test_a_watching_bot_takes_an_edit_by_itself_and_refuses_a_broken_one(
    tmp_path: Path, content: Path
) -> None:
    bot = Bot(content, environment(tmp_path / "fd.db"))
    try:
        assert bot.say("How long does delivery take?")[0]["text"] == OLD_ANSWER
        edit(content, OLD_ANSWER, NEW_ANSWER)
        for n in range(120):  # a couple of seconds in practice; generous on a busy machine
            if bot.say("How long does delivery take?", user=f"p{n}")[0]["text"] == NEW_ANSWER:
                break
            threading.Event().wait(0.5)
        else:
            pytest.fail(f"the edit was not taken: {bot.stop()}")
        edit(content, f'en: "{NEW_ANSWER}"', BROKEN)
        threading.Event().wait(4)
        assert bot.say("When will my order arrive?", user="u3")[0]["text"] == NEW_ANSWER
    finally:
        log = bot.stop()
    assert f"{FAQ}:8: error: invalid YAML" in log


def test_reload_with_no_running_bot_says_so(
    tmp_path: Path, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}"
    code = main(["--content", str(content), "--database", url, "reload"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{content}: valid" in out and "no running bot serves" in out


def test_reload_refuses_invalid_content_with_file_and_line(
    tmp_path: Path, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(content, f'en: "{OLD_ANSWER}"', BROKEN)
    url = f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}"
    code = main(["--content", str(content), "--database", url, "reload"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{FAQ}:8: invalid YAML" in out and "nothing was reloaded" in out
