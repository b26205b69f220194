"""`frontdesk` logs never show a customer's e-mail, phone or card number, even at -v."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.jsonl_process import run_chat

pytestmark = pytest.mark.slow


def test_debug_logs_of_a_whole_chat_are_masked(tmp_path: Path) -> None:
    said = "I'm mina.park@example.com, call 010-1234-5678, card 4111 1111 1111 1111, order #777"
    lines = [{"user": "u1", "text": said}, {"user": "u1", "text": "can I speak to a human"}]
    proc = run_chat(tmp_path / "fd.db", [json.dumps(line) for line in lines], "-v")
    assert proc.returncode == 0, proc.stderr
    logs = proc.stderr
    # the message was logged (the engine logs each turn at debug level), masked
    assert "[email], call [phone], card [card …1111], order #777" in logs
    for secret in ("mina.park@example.com", "010-1234-5678", "4111 1111 1111 1111"):
        assert secret not in logs
