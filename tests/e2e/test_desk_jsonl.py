"""The agents' side of `frontdesk chat --jsonl` (DESIGN.md "Scripted driving"), as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.jsonl_process import chat_turns

pytestmark = pytest.mark.slow


def _run(db: Path, lines: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return chat_turns(db, [json.dumps(line) for line in lines])


def _types(turn: list[dict[str, Any]]) -> list[str]:
    return [o["type"] for o in turn]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("desk") / "fd.db"


@pytest.fixture(scope="module")
def turns(db: Path) -> list[list[dict[str, Any]]]:
    return _run(
        db,
        [
            {"user": "u1", "text": "I want to talk to a human about order #12345", "name": "Mina"},
            {"user": "u1", "text": "how long does delivery take?"},
            {"agent": "a1", "ticket": "T1", "action": "claim"},
            {"agent": "a2", "ticket": "T1", "action": "claim"},
            {"agent": "a1", "ticket": "T1", "action": "reply", "text": "Hi Mina, on it."},
            {"agent": "a1", "ticket": "T1", "action": "reply", "text": "// lost parcel?"},
            {"agent": "a1", "ticket": "T1", "action": "resolve"},
            {"user": "u1", "button": "feedback:5"},
            {"agent": "a1", "ticket": "T1", "action": "reply", "text": "too late"},
            {"user": "u2", "text": "can I speak to a person", "name": "Jo"},
            {"agent": "a1", "ticket": "T2", "action": "return"},
            {"user": "u2", "text": "How long does delivery take?"},
        ],
    )


def test_a_handoff_line_carries_the_ticket_and_the_note(turns: list[list[dict[str, Any]]]) -> None:
    (handoff,) = [o for o in turns[0] if o["type"] == "handoff"]
    assert handoff["ticket"] == "T1" and handoff["reason"] == "customer_request"
    assert "12345" in handoff["summary"]
    assert "expected wait" in turns[0][-1]["text"]


def test_customer_messages_are_relayed_not_answered(turns: list[list[dict[str, Any]]]) -> None:
    assert turns[1] == [
        {"type": "relay", "to": "u1", "ticket": "T1", "text": "how long does delivery take?"}
    ]


def test_claim_race_reply_note_resolve(turns: list[list[dict[str, Any]]]) -> None:
    claim, lost, reply, note, resolve = turns[2:7]
    assert _types(claim) == ["desk", "reply"] and "a1" in claim[1]["text"]
    assert claim[1]["to"] == "u1"
    assert _types(lost) == ["error"] and "already claimed" in lost[0]["error"]
    assert reply[-1] == {"type": "reply", "to": "u1", "text": "Hi Mina, on it.", "ticket": "T1"}
    assert _types(note) == ["desk"] and note[0]["event"] == "note"
    assert _types(resolve) == ["desk", "reply"]
    assert [b["payload"] for b in resolve[1]["buttons"]][-1] == "feedback:5"


def test_feedback_after_resolve_and_no_reply_to_a_closed_ticket(
    turns: list[list[dict[str, Any]]],
) -> None:
    assert _types(turns[7]) == ["reply"]
    assert _types(turns[8]) == ["error"] and "resolved" in turns[8][0]["error"]


def test_return_to_the_bot(turns: list[list[dict[str, Any]]]) -> None:
    assert any(o["type"] == "handoff" and o["ticket"] == "T2" for o in turns[9])
    assert "back with me" in turns[10][-1]["text"]
    assert _types(turns[11])[0] == "reply"


def test_a_restart_keeps_the_open_ticket(tmp_path: Path) -> None:
    db = tmp_path / "fd.db"
    _run(db, [{"user": "u9", "text": "I want a human", "name": "Ko"}])
    (relay,), (claim, joined) = _run(
        db,
        [
            {"user": "u9", "text": "still waiting"},
            {"agent": "a1", "ticket": "T1", "action": "claim"},
        ],
    )
    assert relay == {"type": "relay", "to": "u9", "ticket": "T1", "text": "still waiting"}
    assert claim["event"] == "claimed" and joined["type"] == "reply"


def test_an_agent_takes_over_and_releases(tmp_path: Path) -> None:
    hello, (ticket, claimed, joined), (relay,), (released,) = _run(
        tmp_path / "fd.db",
        [
            {"user": "u5", "text": "hello", "name": "Ko"},
            {"agent": "a1", "action": "takeover", "conversation": "u5"},
            {"user": "u5", "text": "oh, a person?"},
            {"agent": "a1", "ticket": "T1", "action": "release"},
        ],
    )
    assert _types(hello)[0] == "reply"
    assert ticket["event"] == "ticket" and "an agent took over" in ticket["text"]
    assert claimed["event"] == "claimed" and claimed["agent"] == "a1"
    assert joined["type"] == "reply" and joined["to"] == "u5" and "a1" in joined["text"]
    assert relay == {"type": "relay", "to": "u5", "ticket": "T1", "text": "oh, a person?"}
    assert released["event"] == "released" and released["status"] == "queued"
