"""Drive `frontdesk chat --jsonl` as a subprocess through every contract case."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.jsonl_process import chat_turns


@pytest.fixture(scope="module")
def turns(tmp_path_factory: pytest.TempPathFactory) -> list[list[dict[str, Any]]]:
    lines = [
        json.dumps({"user": "u1", "text": "hi", "name": "Mina"}),
        json.dumps({"user": "u1", "text": "how long does delivery take?"}),
        json.dumps({"user": "u1", "text": "thanks"}),
        json.dumps({"user": "u1", "button": "feedback:5"}),
        "this is not json",
        json.dumps({"user": "u1", "text": "hello again", "colour": "blue"}),
        json.dumps({"user": "u1", "button": "nonsense:payload"}),
        json.dumps({"user": "u2", "text": ""}),
        json.dumps({"user": "u2", "text": "x" * 100_000}),
        json.dumps({"user": "u3", "text": "안녕하세요", "name": "지민"}),
        json.dumps({"user": "u4", "text": "can I speak to a human"}),
        json.dumps({"agent": "a1", "ticket": "T-404", "action": "claim"}),
        json.dumps([1, 2, 3]),
        json.dumps({"user": "u1", "text": "bye"}),
    ]
    return chat_turns(tmp_path_factory.mktemp("jsonl") / "fd.db", lines)


def test_one_done_per_input_line(turns: list[list[dict[str, Any]]]) -> None:
    assert len(turns) == 14


def test_reply_shape(turns: list[list[dict[str, Any]]]) -> None:
    greet = turns[0]
    assert greet[0]["type"] == "reply" and greet[0]["to"] == "u1" and "Mina" in greet[0]["text"]


def test_feedback_buttons_then_press(turns: list[list[dict[str, Any]]]) -> None:
    payloads = [b["payload"] for r in turns[2] for b in r.get("buttons", [])]
    assert "feedback:5" in payloads
    assert turns[3][0]["type"] == "reply"


def test_bad_line_gets_error_and_the_session_goes_on(turns: list[list[dict[str, Any]]]) -> None:
    assert [o["type"] for o in turns[4]] == ["error"]
    assert [o["type"] for o in turns[12]] == ["error"]
    assert turns[13][0]["type"] == "reply"


def test_unknown_keys_are_flagged_and_the_message_still_answered(
    turns: list[list[dict[str, Any]]],
) -> None:
    assert turns[5][0]["type"] == "error" and "colour" in turns[5][0]["error"]
    assert turns[5][1]["type"] == "reply"


def test_unknown_button_empty_and_huge_text_get_replies(turns: list[list[dict[str, Any]]]) -> None:
    for turn in (turns[6], turns[7], turns[8]):
        assert [o["type"] for o in turn] == ["reply"]


def test_korean_greeting(turns: list[list[dict[str, Any]]]) -> None:
    assert "지민" in turns[9][0]["text"]


def test_handoff_action(turns: list[list[dict[str, Any]]]) -> None:
    handoff = [o for o in turns[10] if o["type"] == "handoff"]
    assert handoff and handoff[0]["reason"] == "customer_request" and "ticket" in handoff[0]


def test_agent_line_for_unknown_ticket(turns: list[list[dict[str, Any]]]) -> None:
    assert turns[11][0]["type"] == "error"


def test_broken_content_exits_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "intents").mkdir()
    (tmp_path / "intents" / "bad.yml").write_text("nlu:\n- intent: greet\n  examples: [unclosed\n")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--content", str(tmp_path), "chat", "--jsonl"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "intents/bad.yml:" in proc.stderr
    assert "Traceback" not in proc.stderr
