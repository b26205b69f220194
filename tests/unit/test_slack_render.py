"""The pure halves of the Slack channel: payload → Inbound, action → Block Kit."""

from typing import Any

import pytest

from bot.channels.slack import retry_after, retryable
from bot.channels.slack_blocks import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_PER_ACTIONS,
    MAX_SECTION,
    escape,
    mrkdwn,
    pressed,
    render,
    split_text,
)
from bot.channels.slack_events import (
    block_action_to_inbound,
    display_name,
    plain_text,
    reply_target,
    to_inbound,
)
from bot.models import Button, ConversationKey, End, Flag, Handoff, Offer, Reply

BOT = "U0BOT"


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


# rendering ----------------------------------------------------------------------------


def test_escape_neutralises_mentions_and_links() -> None:
    assert escape("<!channel> & <https://evil|bank>") == (
        "&lt;!channel&gt; &amp; &lt;https://evil|bank&gt;"
    )


def test_reply_text_is_escaped_and_verbatim() -> None:
    out = render(Reply("Hi <!here>, 2 < 3 & <@U123> <http://x.io|your bank>"))
    assert out is not None
    [block] = out["blocks"]
    assert block["text"]["type"] == "mrkdwn" and block["text"]["verbatim"] is True
    text = block["text"]["text"]
    assert "<!" not in text and "<@" not in text and "|your bank>" not in text
    assert text.startswith("Hi &lt;!here&gt;, 2 &lt; 3 &amp; &lt;@U123&gt;")
    assert out["text"].startswith("Hi &lt;!here&gt;")


def test_bare_urls_become_links_labelled_with_themselves() -> None:
    assert mrkdwn("See https://example.com/a?b=1&c=2.") == (
        "See <https://example.com/a?b=1&amp;c=2>."
    )
    assert mrkdwn("詳細はhttps://example.com/hardcoverをご覧") == (
        "詳細は<https://example.com/hardcover>をご覧"
    )


def test_short_text_is_one_section() -> None:
    out = render(Reply("Orders ship within one business day."))
    assert out == {
        "text": "Orders ship within one business day.",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Orders ship within one business day.",
                    "verbatim": True,
                },
            }
        ],
    }


@pytest.mark.parametrize(
    "text",
    [
        "\n\n".join(f"Paragraph {n}. " + "word " * 150 for n in range(12)),
        "ことば。" * 2000,
        "x" * 7000,
        "a&b<c> " * 1200,
    ],
)
def test_long_text_is_split_into_sections_within_the_limit(text: str) -> None:
    out = render(Reply(text))
    assert out is not None
    texts = _texts(out["blocks"])
    assert len(texts) > 1
    assert all(0 < len(t) <= MAX_SECTION for t in texts)
    unescaped = [t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for t in texts]
    assert "".join(unescaped).replace(" ", "").replace("\n", "") == (
        text.replace(" ", "").replace("\n", "")
    )


def test_split_prefers_paragraphs_then_sentences() -> None:
    para = "First sentence here. " * 20
    assert split_text(f"{para}\n\n{para}", limit=500) == [para.strip(), para.strip()]
    assert all(p.endswith("。") for p in split_text("あいうえお。" * 300, limit=200))


def test_buttons_become_an_actions_block_with_unique_ids_and_payloads() -> None:
    out = render(
        Reply("Which one?", (Button("Shipping time", "faq:ship"), Button("Other", "else")))
    )
    assert out is not None
    [_, actions] = out["blocks"]
    assert actions["type"] == "actions"
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        ("fd_btn_0", "faq:ship", "Shipping time"),
        ("fd_btn_1", "else", "Other"),
    ]
    assert actions["elements"][0]["text"]["type"] == "plain_text"


def test_button_limits() -> None:
    many = tuple(Button(f"b{n}", f"p{n}") for n in range(30))
    out = render(Reply("pick", many))
    assert out is not None
    actions = [b for b in out["blocks"] if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [MAX_PER_ACTIONS, 5]
    ids = [e["action_id"] for e in _buttons(out["blocks"])]
    assert len(set(ids)) == 30
    assert len({a["block_id"] for a in actions}) == 2

    long = render(Reply("x", (Button("L" * 200, "p"), Button("ok", "v" * 2001))))
    assert long is not None
    [only] = _buttons(long["blocks"])
    assert len(only["text"]["text"]) == MAX_BUTTON_TEXT and only["text"]["text"].endswith("…")


def test_a_huge_reply_stays_within_fifty_blocks() -> None:
    out = render(Reply("word " * 60_000, tuple(Button("b", "p") for _ in range(3))))
    assert out is not None
    assert len(out["blocks"]) <= MAX_BLOCKS
    assert out["blocks"][-1]["type"] == "actions"


def test_offer_renders_like_a_reply_and_desk_actions_render_nothing() -> None:
    offer = render(Offer("hardcover", "upsell", "A hardcover?", (Button("Yes", "offer:yes"),)))
    assert offer is not None and _texts(offer["blocks"]) == ["A hardcover?"]
    assert _buttons(offer["blocks"])[0]["value"] == "offer:yes"
    for action in (Handoff("no_answer"), End("abuse"), Flag("abuse")):
        assert render(action) is None
    assert render(Reply("")) is None


def test_pressed_drops_our_buttons_and_notes_the_choice() -> None:
    out = render(Reply("Rate us", (Button("⭐", "feedback:1"),)))
    assert out is not None
    blocks = pressed(out["blocks"], "<b>⭐")
    assert [b["type"] for b in blocks] == ["section", "context"]
    assert blocks[-1]["elements"][0]["text"] == "✓ &lt;b&gt;⭐"


# inbound ------------------------------------------------------------------------------


def _dm(**extra: Any) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": "U1",
        "text": "hello",
        "ts": "1700000000.000100",
    }
    return {**event, **extra}


def test_dm_is_a_conversation_per_channel() -> None:
    inbound = to_inbound(_dm(), bot_user_id=BOT)
    assert inbound is not None
    assert inbound.key == ConversationKey("slack", "D1")
    assert (inbound.user, inbound.text, inbound.kind) == ("U1", "hello", "text")
    assert inbound.message_id == "1700000000.000100"
    assert inbound.at.timestamp() == pytest.approx(1700000000.0001)
    assert reply_target(inbound.key) == ("D1", None)


def test_mention_in_a_channel_is_a_thread_and_the_mention_is_stripped() -> None:
    event = {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "text": f"<@{BOT}>   how long does   delivery take?",
        "ts": "1700000000.000200",
    }
    top = to_inbound(event, bot_user_id=BOT)
    assert top is not None
    assert top.key == ConversationKey("slack", "C1", "1700000000.000200")
    assert top.text == "how long does delivery take?"
    assert reply_target(top.key) == ("C1", "1700000000.000200")
    threaded = to_inbound({**event, "thread_ts": "1699.1"}, bot_user_id=BOT)
    assert threaded is not None and threaded.key == ConversationKey("slack", "C1", "1699.1")


@pytest.mark.parametrize(
    "event",
    [
        _dm(bot_id="B1"),
        _dm(subtype="bot_message", bot_id="B2", user=None),
        _dm(user=BOT),
        _dm(subtype="message_deleted"),
        _dm(subtype="channel_join"),
        _dm(channel_type="channel", channel="C1"),
        _dm(channel_type="mpim", channel="G1"),
        _dm(user=None),
        {"type": "app_mention", "channel": "D1", "user": "U1", "text": f"<@{BOT}> hi", "ts": "1"},
        {"type": "app_mention", "channel": "C1", "bot_id": "B9", "text": f"<@{BOT}> hi", "ts": "1"},
        {"type": "reaction_added", "user": "U1", "item": {"channel": "D1"}},
    ],
)
def test_bots_and_non_customer_events_are_ignored(event: dict[str, Any]) -> None:
    assert to_inbound(event, bot_user_id=BOT) is None


def test_file_without_text_is_a_file_turn() -> None:
    files = [{"id": "F1", "name": "photo.jpg", "mimetype": "image/jpeg"}]
    photo = to_inbound(_dm(subtype="file_share", text="", files=files), bot_user_id=BOT)
    assert photo is not None and photo.kind == "photo" and photo.text == ""
    doc = to_inbound(
        _dm(subtype="file_share", text="", files=[{"mimetype": "application/pdf"}]),
        bot_user_id=BOT,
    )
    assert doc is not None and doc.kind == "file"
    caption = to_inbound(_dm(subtype="file_share", text="is it damaged?", files=files))
    assert caption is not None and (caption.kind, caption.text) == ("text", "is it damaged?")


def _edit(new: str, old: str, **message: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": "D1",
        "channel_type": "im",
        "hidden": True,
        "message": {"type": "message", "user": "U1", "text": new, "ts": "1.0", **message},
        "previous_message": {"type": "message", "user": "U1", "text": old, "ts": "1.0"},
        "event_ts": "1700000005.000000",
        "ts": "1700000005.000000",
    }


def test_an_edit_by_the_customer_is_a_new_turn_of_kind_edit() -> None:
    inbound = to_inbound(_edit("how long does delivery take?", "how long does delivry"))
    assert inbound is not None
    assert (inbound.kind, inbound.text, inbound.user) == (
        "edit",
        "how long does delivery take?",
        "U1",
    )
    assert inbound.key == ConversationKey("slack", "D1")
    assert inbound.at.timestamp() == pytest.approx(1700000005.0)


def test_edits_without_new_text_or_by_bots_are_ignored() -> None:
    assert to_inbound(_edit("same", "same", attachments=[{"title": "preview"}])) is None
    assert to_inbound(_edit("new", "old", bot_id="B1")) is None
    assert to_inbound(_edit("new", "old", user=BOT), bot_user_id=BOT) is None


def test_plain_text_undoes_slack_markup() -> None:
    raw = (
        f"<@{BOT}> hi <@U2|mina> in <#C1|general> <!here> &lt;b&gt; &amp; "
        "<https://x.io|x.io> <mailto:a@b.io|a@b.io> <!subteam^S1|@team>"
    )
    assert plain_text(raw, bot_user_id=BOT) == (
        "hi @mina in #general @here <b> & x.io a@b.io @team"
    )
    assert plain_text("line one\n  line two  ") == "line one\nline two"


def _press(
    channel: str, *, thread_ts: str | None = None, action_id: str = "fd_btn_1"
) -> dict[str, Any]:
    message: dict[str, Any] = {"ts": "1700000001.000100", "text": "Which one?"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": "U1", "username": "mina"},
        "channel": {"id": channel, "name": "directmessage" if channel[0] == "D" else "general"},
        "container": {"type": "message", "channel_id": channel, "message_ts": message["ts"]},
        "message": message,
        "actions": [
            {"action_id": action_id, "value": "faq:ship", "action_ts": "1700000002.000300"}
        ],
    }


def test_button_press_carries_the_payload_and_the_conversation() -> None:
    dm = block_action_to_inbound(_press("D1"))
    assert dm is not None
    assert (dm.button, dm.kind, dm.user, dm.handle) == ("faq:ship", "button", "U1", "mina")
    assert dm.key == ConversationKey("slack", "D1")
    threaded = block_action_to_inbound(_press("C1", thread_ts="1699.5"))
    assert threaded is not None and threaded.key == ConversationKey("slack", "C1", "1699.5")


def test_presses_on_other_buttons_are_not_ours() -> None:
    assert block_action_to_inbound(_press("D1", action_id="approve")) is None
    assert block_action_to_inbound({"type": "view_submission"}) is None


def test_display_name_prefers_the_profile_display_name() -> None:
    user = {"name": "mina.k", "real_name": "Mina Kim", "profile": {"display_name": "Mina"}}
    assert display_name(user) == "Mina"
    assert display_name({**user, "profile": {"display_name": "", "real_name": "Mina K"}}) == (
        "Mina K"
    )
    assert display_name({"name": "mina.k"}) == "mina.k"
    assert display_name({}) is None


# delivery helpers -----------------------------------------------------------------------


class _Response:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code, self.headers = status, headers

    def get(self, key: str, default: Any = None) -> Any:
        return {"ok": False, "error": "ratelimited"}.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.get(key)


def _error(status: int, headers: dict[str, str]) -> Exception:
    from slack_sdk.errors import SlackApiError

    error: Exception = SlackApiError("failed", _Response(status, headers))  # type: ignore[no-untyped-call]
    return error


def test_429_is_retried_after_slacks_delay() -> None:
    limited = _error(429, {"Retry-After": "3"})
    assert retryable(limited) and retry_after(limited) == 3.0
    broken = _error(200, {})
    assert not retryable(broken) and retry_after(broken) is None
    assert retryable(_error(503, {}))
    assert not retryable(ValueError("x"))


def test_manifest_asks_for_exactly_what_the_channel_uses() -> None:
    import yaml

    from bot.config import REPO_ROOT

    manifest = yaml.safe_load((REPO_ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == ["app_mentions:read", "chat:write", "im:history", "users:read"]
    settings = manifest["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_mention", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False
