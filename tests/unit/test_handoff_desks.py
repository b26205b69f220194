"""The desk adapters' pure parts: Slack blocks, Telegram keyboards, keys and commands."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.handoff.repository import Ticket
from bot.handoff.slack_desk import conversation_key, note_blocks
from bot.handoff.telegram_desk import code_in, keyboard, parse_command, target_chat
from bot.models import ConversationKey

AT = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)


def ticket(status: str = "queued", **extra: object) -> Ticket:
    return Ticket(
        id=7,
        conversation_id=1,
        conv_key="telegram:42",
        customer_id=1,
        customer_user="42",
        reason="customer_request",
        priority="normal",
        status=status,
        note="🎫 Ticket T7 (normal)",
        created_at=AT,
        **extra,  # type: ignore[arg-type]
    )


def test_state_lines() -> None:
    assert ticket().state_line() == "⏳ T7 waiting for an agent"
    assert ticket(follow_up=True).state_line().endswith("· follow-up")
    claimed = ticket("claimed", agent="501", agent_name="Sora", claimed_at=AT)
    assert claimed.state_line() == "▶ T7 claimed by Sora 14:05 UTC"
    assert (
        ticket("resolved", agent="501", agent_name="Sora").state_line() == "■ T7 resolved by Sora"
    )


def test_slack_note_blocks_follow_the_state() -> None:
    def actions(t: Ticket) -> list[str]:
        blocks = note_blocks(t)
        return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]

    assert actions(ticket()) == ["fd_desk_claim", "fd_desk_transcript"]
    assert actions(ticket("claimed", agent="a")) == [
        "fd_desk_return", "fd_desk_resolve", "fd_desk_release", "fd_desk_transcript",
    ]  # fmt: skip
    assert actions(ticket("resolved")) == ["fd_desk_save_faq", "fd_desk_transcript"]
    assert actions(ticket("returned")) == []
    assert note_blocks(ticket())[0]["text"]["text"] == "🎫 Ticket T7 (normal)"


def test_telegram_keyboards_follow_the_state() -> None:
    markup = keyboard(ticket())
    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["desk:claim:T7"]
    claimed = keyboard(ticket("claimed"))
    assert claimed is not None and len(claimed.inline_keyboard) == 2
    assert keyboard(ticket("returned")) is None


def test_keys_codes_and_commands() -> None:
    assert conversation_key("slack:D0MINA") == ConversationKey("slack", "D0MINA")
    assert conversation_key("slack:C1:171.2") == ConversationKey("slack", "C1", "171.2")
    assert target_chat("telegram:-100123:42") == -100123
    assert code_in("T12 · 👤 hi") == "T12" and code_in("TT") is None
    assert parse_command("/claim T3") == ("claim", "T3", "")
    assert parse_command("/help") is None
