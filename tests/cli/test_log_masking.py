"""`frontdesk` logs never show a customer's e-mail, phone or card number, even at -v."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import default_content_dir

pytestmark = pytest.mark.slow


def test_debug_logs_of_a_whole_chat_are_masked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env["FRONTDESK_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}"
    said = "I'm mina.park@example.com, call 010-1234-5678, card 4111 1111 1111 1111, order #777"
    lines = [{"user": "u1", "text": said}, {"user": "u1", "text": "can I speak to a human"}]
    command = [sys.executable, "-m", "bot", "-v", "--content", str(default_content_dir())]
    proc = subprocess.run(
        [*command, "chat", "--jsonl"],
        input="".join(json.dumps(line) + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    logs = proc.stderr
    # the message was logged (the engine logs each turn at debug level), masked
    assert "[email], call [phone], card [card …1111], order #777" in logs
    for secret in ("mina.park@example.com", "010-1234-5678", "4111 1111 1111 1111"):
        assert secret not in logs
