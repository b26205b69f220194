"""`python -m bot chat --jsonl` as a subprocess on the default content: lines in, turns out.

A turn is what the bot wrote for one input line (the objects before its ``done``)::

    turns = chat_turns(tmp_path / "fd.db", [json.dumps({"user": "u1", "text": "hi"})])
    [reply] = turns[0]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.config import default_content_dir

Turn = list[dict[str, Any]]


def environment(db: Path, **extra: str) -> dict[str, str]:
    """This process's environment without our settings, the SQLite file ``db``, and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env["FRONTDESK_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    return env | extra


def run_chat(db: Path, lines: Iterable[str], *options: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot <options> --content <default> chat --jsonl` fed ``lines``, one an input
    line, until its input ends."""
    command = [sys.executable, "-m", "bot", *options, "--content", str(default_content_dir())]
    return subprocess.run(
        [*command, "chat", "--jsonl"],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(db),
        check=False,
    )


def chat_turns(db: Path, lines: Iterable[str]) -> list[Turn]:
    """What the bot wrote for each input line: the objects before each ``done`` line."""
    proc = run_chat(db, lines)
    assert proc.returncode == 0, proc.stderr
    turns: list[Turn] = [[]]
    for raw in proc.stdout.splitlines():
        obj = json.loads(raw)
        if obj["type"] == "done":
            turns.append([])
        else:
            turns[-1].append(obj)
    assert turns[-1] == [], "output must end with a done line"
    return turns[:-1]
