import pytest

from bot.channels.jsonl import AgentCommand, BadLine, parse_line, render
from bot.models import Button, Handoff, Inbound, Reply


def test_customer_line() -> None:
    item, ignored = parse_line('{"user": "u1", "text": "hi", "name": "Mina"}')
    assert isinstance(item, Inbound)
    assert (item.user, item.text, item.name, str(item.key)) == ("u1", "hi", "Mina", "console:u1")
    assert ignored == []


def test_button_line() -> None:
    item, _ = parse_line('{"user": "u1", "button": "faq:x"}')
    assert isinstance(item, Inbound) and item.button == "faq:x" and item.kind == "button"


def test_agent_line() -> None:
    item, _ = parse_line('{"agent": "a1", "ticket": "T1", "action": "reply", "text": "hello"}')
    assert item == AgentCommand("a1", "T1", "reply", "hello")


def test_takeover_and_release_agent_lines() -> None:
    item, ignored = parse_line('{"agent": "a1", "action": "takeover", "conversation": "jsonl:u1"}')
    assert item == AgentCommand("a1", "", "takeover", conversation="jsonl:u1") and not ignored
    item, _ = parse_line('{"agent": "a1", "ticket": "T1", "action": "release"}')
    assert item == AgentCommand("a1", "T1", "release")


def test_unknown_keys_are_reported_not_fatal() -> None:
    item, ignored = parse_line('{"user": "u1", "text": "hi", "mood": 3}')
    assert isinstance(item, Inbound) and ignored == ["mood"]


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1, 2]",
        '{"text": "no user"}',
        '{"user": "u1"}',
        '{"user": {"x": 1}, "text": "hi"}',
        '{"agent": "a1", "ticket": "T1", "action": "dance"}',
        '{"agent": "a1", "action": "takeover"}',
    ],
)
def test_bad_lines(line: str) -> None:
    with pytest.raises(BadLine):
        parse_line(line)


def test_render_reply_and_handoff() -> None:
    reply = Reply("Pick one", (Button("A", "faq:a"),))
    assert render(reply, "u1") == {
        "type": "reply",
        "to": "u1",
        "text": "Pick one",
        "buttons": [{"label": "A", "payload": "faq:a"}],
    }
    out = render(Handoff(reason="no_answer", summary="??"), "u1")
    assert out["type"] == "handoff" and out["reason"] == "no_answer" and "ticket" in out
