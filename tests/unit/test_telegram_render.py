"""The pure half of the Telegram channel: updates → Inbound, actions → messages."""

from __future__ import annotations

import html
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram import file_url, is_retryable, retry_after_seconds
from bot.channels.telegram_render import (
    MAX_CALLBACK_DATA,
    MAX_MESSAGE,
    CallbackData,
    Target,
    callback_to_inbound,
    escape,
    help_text,
    language_of,
    render,
    short_id,
    split_text,
    target_of,
    to_inbound,
    utf16_len,
)
from bot.models import Button, ConversationKey, End, Flag, Handoff, Offer, Relay, Reply

BOT = "frontdesk_bot"
DATE = 1_760_000_000
_ids = itertools.count(1)

MINA: dict[str, Any] = {
    "id": 42,
    "is_bot": False,
    "first_name": "Mina",
    "last_name": "Kim",
    "username": "mina_k",
    "language_code": "ko",
}
PRIVATE = {"id": 42, "type": "private", "first_name": "Mina"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Readers"}
BOT_USER = {"id": 7, "is_bot": True, "first_name": "Frontdesk", "username": BOT}


def _entities(text: str) -> list[dict[str, Any]]:
    found = []
    if text.startswith("/"):
        found.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    for word in text.split():
        if word.startswith("@"):
            offset = utf16_len(text[: text.index(word)])
            found.append({"type": "mention", "offset": offset, "length": utf16_len(word)})
    return found


def message(text: str | None = "hello", *, chat: dict[str, Any] = PRIVATE, **extra: Any) -> Any:
    msg: dict[str, Any] = {
        "message_id": next(_ids),
        "date": DATE,
        "chat": chat,
        "from": extra.pop("sender", MINA),
    }
    if text is not None:
        msg["text"] = text
        if _entities(text):
            msg["entities"] = _entities(text)
    msg.update(extra)
    return msg


def update(**fields: Any) -> Update:
    parsed = Update.de_json({"update_id": next(_ids), **fields}, None)
    assert parsed is not None
    return parsed


def text_update(text: str | None = "hello", **extra: Any) -> Update:
    return update(message=message(text, **extra))


# --- to_inbound ---------------------------------------------------------------------


def test_private_text() -> None:
    upd = text_update("How long does delivery take?")
    inbound = to_inbound(upd, BOT)
    assert inbound is not None
    assert inbound.key == ConversationKey("telegram", "42")
    assert (inbound.user, inbound.text, inbound.kind) == (
        "42",
        "How long does delivery take?",
        "text",
    )
    assert (inbound.name, inbound.handle) == ("Mina Kim", "mina_k")
    assert inbound.message_id == str(upd.message.message_id)  # type: ignore[union-attr]
    assert inbound.at == datetime.fromtimestamp(DATE, UTC)
    assert inbound.button is None


def test_name_without_last_name_or_username() -> None:
    sender = {"id": 5, "is_bot": False, "first_name": "ミナ"}
    inbound = to_inbound(
        text_update("こんにちは", sender=sender, chat={"id": 5, "type": "private"}), BOT
    )
    assert inbound is not None and (inbound.name, inbound.handle) == ("ミナ", None)


@pytest.mark.parametrize(
    "text",
    ["hello everyone", "@someone_else hi", "/start@other_bot", "email me at x@frontdesk_bot.com"],
)
def test_group_messages_not_addressed_to_the_bot_are_ignored(text: str) -> None:
    assert to_inbound(text_update(text, chat=GROUP), BOT) is None


def test_group_mention_is_answered_without_the_mention() -> None:
    inbound = to_inbound(text_update(f"@{BOT} how long does delivery take?", chat=GROUP), BOT)
    assert inbound is not None
    assert inbound.text == "how long does delivery take?"
    assert inbound.key == ConversationKey("telegram", "-100123", "42")


def test_group_mention_is_case_insensitive_and_may_be_in_the_middle() -> None:
    inbound = to_inbound(text_update("hey @FrontDesk_Bot where is my order", chat=GROUP), BOT)
    assert inbound is not None and inbound.text == "hey where is my order"


def test_group_reply_to_the_bot_is_answered() -> None:
    bots_message = message("Which one did you mean?", chat=GROUP, sender=BOT_USER)
    inbound = to_inbound(
        text_update("the second one", chat=GROUP, reply_to_message=bots_message), BOT
    )
    assert inbound is not None and inbound.text == "the second one"


def test_group_reply_to_someone_else_is_ignored() -> None:
    other = message("hi", chat=GROUP, sender={"id": 9, "is_bot": False, "first_name": "Jo"})
    assert to_inbound(text_update("hi Jo", chat=GROUP, reply_to_message=other), BOT) is None


def test_commands_address_the_bot_and_become_words() -> None:
    inbound = to_inbound(text_update(f"/refund@{BOT} my order is late", chat=GROUP), BOT)
    assert inbound is not None
    assert (inbound.text, inbound.kind) == ("my order is late", "command")
    bare = to_inbound(text_update("/refund"), BOT)
    assert bare is not None and (bare.text, bare.kind) == ("refund", "command")


def test_edited_text_is_a_new_message_of_kind_edit() -> None:
    edited = message("How long does delivery take?", edit_date=DATE + 60)
    inbound = to_inbound(update(edited_message=edited), BOT)
    assert inbound is not None
    assert (inbound.kind, inbound.text) == ("edit", "How long does delivery take?")
    assert inbound.at == datetime.fromtimestamp(DATE + 60, UTC)


def test_edited_commands_and_captions_are_ignored() -> None:
    assert to_inbound(update(edited_message=message("/start", edit_date=DATE)), BOT) is None
    photo = message(None, photo=[_file(width=1, height=1)], caption="x", edit_date=DATE)
    assert to_inbound(update(edited_message=photo), BOT) is None


def _file(**extra: Any) -> dict[str, Any]:
    n = next(_ids)
    return {"file_id": f"f{n}", "file_unique_id": f"u{n}", **extra}


STICKER = _file(type="regular", width=1, height=1, is_animated=False, is_video=False)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ({"photo": [_file(width=1, height=1)]}, "photo"),
        ({"sticker": STICKER}, "sticker"),
        ({"voice": _file(duration=1)}, "voice"),
        ({"audio": _file(duration=1)}, "audio"),
        ({"document": _file()}, "file"),
        ({"video": _file(width=1, height=1, duration=1)}, "video"),
        ({"video_note": _file(length=1, duration=1)}, "video"),
        ({"animation": _file(width=1, height=1, duration=1), "document": _file()}, "video"),
        ({"location": {"latitude": 1.0, "longitude": 2.0}}, "location"),
        ({"contact": {"phone_number": "1", "first_name": "A"}}, "contact"),
        ({"dice": {"emoji": "🎲", "value": 3}}, "sticker"),
    ],
)
def test_non_text_messages_get_their_kind(content: dict[str, Any], kind: str) -> None:
    inbound = to_inbound(text_update(None, **content), BOT)
    assert inbound is not None and (inbound.kind, inbound.text) == (kind, "")


def test_a_caption_is_the_text_of_a_photo() -> None:
    inbound = to_inbound(
        text_update(None, photo=[_file(width=1, height=1)], caption="is this damaged?"), BOT
    )
    assert inbound is not None and (inbound.kind, inbound.text) == ("photo", "is this damaged?")


def test_group_photo_needs_a_mention_in_its_caption() -> None:
    photo = {"photo": [_file(width=1, height=1)]}
    assert to_inbound(text_update(None, chat=GROUP, **photo), BOT) is None
    caption = f"@{BOT} look"
    mentioned = text_update(
        None,
        chat=GROUP,
        caption=caption,
        caption_entities=[{"type": "mention", "offset": 0, "length": len(BOT) + 1}],
        **photo,
    )
    inbound = to_inbound(mentioned, BOT)
    assert inbound is not None and (inbound.kind, inbound.text) == ("photo", "look")


def test_bots_service_messages_and_other_updates_are_ignored() -> None:
    assert to_inbound(text_update("hi", sender=BOT_USER), BOT) is None
    assert to_inbound(text_update(None, new_chat_members=[MINA], chat=GROUP), BOT) is None
    assert (
        to_inbound(update(channel_post=message("news", chat={"id": -5, "type": "channel"})), BOT)
        is None
    )


# --- callbacks and targets ------------------------------------------------------------


def _callback(data: str, chat: dict[str, Any] = PRIVATE) -> Update:
    shown = message("Did you mean one of these?", chat=chat, sender=BOT_USER)
    query = {"id": "cb1", "from": MINA, "message": shown, "chat_instance": "ci", "data": data}
    return update(callback_query=query)


def test_callback_to_inbound_carries_the_payload() -> None:
    inbound = callback_to_inbound(_callback("faq:shipping-time"))
    assert inbound is not None
    assert (inbound.button, inbound.kind, inbound.text) == ("faq:shipping-time", "button", "")
    assert inbound.key == ConversationKey("telegram", "42")
    assert (inbound.user, inbound.name) == ("42", "Mina Kim")


def test_callback_in_a_group_is_the_presser_s_conversation() -> None:
    inbound = callback_to_inbound(_callback("feedback:5", GROUP))
    assert inbound is not None and inbound.key == ConversationKey("telegram", "-100123", "42")


def test_callback_maps_short_ids_back() -> None:
    payload = "faq:" + "a-very-long-faq-entry-id-" * 4
    table = CallbackData()
    data = table.encode(payload)
    inbound = callback_to_inbound(_callback(data), payloads=table)
    assert inbound is not None and inbound.button == payload


def test_target_of_a_private_message_quotes_nothing() -> None:
    assert target_of(text_update("hi")) == Target(42)


def test_target_of_a_group_message_quotes_it_and_keeps_the_topic() -> None:
    upd = text_update(f"@{BOT} hi", chat=GROUP, message_thread_id=77, is_topic_message=True)
    assert target_of(upd) == Target(-100123, 77, upd.message.message_id)  # type: ignore[union-attr]


def test_target_of_a_callback_is_its_chat() -> None:
    assert target_of(_callback("x", GROUP)) == Target(-100123)


def test_language_of_the_telegram_app() -> None:
    upd = text_update("hi")
    assert language_of(upd.effective_user, ("en", "ko", "ja")) == "ko"
    assert language_of(upd.effective_user, ("en",)) is None
    assert language_of(None, ("en",)) is None


# --- render ---------------------------------------------------------------------------


def test_text_is_escaped_for_html() -> None:
    [(text, markup)] = render(Reply("Hello <b>Mina</b> & _x_ *y* `z`"))
    assert text == "Hello &lt;b&gt;Mina&lt;/b&gt; &amp; _x_ *y* `z`"
    assert html.unescape(text) == "Hello <b>Mina</b> & _x_ *y* `z`"
    assert markup is None


def test_choices_are_one_per_row() -> None:
    buttons = (Button("Shipping", "faq:shipping-time"), Button("Something else", "else"))
    [(_, markup)] = render(Reply("Which one?", buttons))
    assert isinstance(markup, InlineKeyboardMarkup)
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("Shipping", "faq:shipping-time")], [("Something else", "else")]]


def test_feedback_ratings_are_one_row() -> None:
    stars = tuple(Button("⭐" * n, f"feedback:{n}") for n in range(1, 6))
    [(_, markup)] = render(Reply("How did I do?", stars))
    assert markup is not None and len(markup.inline_keyboard) == 1
    assert [b.callback_data for b in markup.inline_keyboard[0]] == [
        f"feedback:{n}" for n in range(1, 6)
    ]


def test_long_payloads_go_through_a_short_id() -> None:
    payload = "faq:" + "x" * 100
    table = CallbackData()
    [(_, markup)] = render(Reply("?", (Button("X", payload),)), payloads=table)
    assert markup is not None
    data = markup.inline_keyboard[0][0].callback_data
    assert isinstance(data, str) and len(data.encode()) <= MAX_CALLBACK_DATA
    assert data == short_id(payload) and table.decode(data) == payload
    assert table.decode("faq:short") == "faq:short"  # fitting payloads are themselves


def test_known_long_payloads_survive_a_restart() -> None:
    payload = "faq:" + "ü" * 40  # 84 bytes
    sent = CallbackData([payload]).encode(payload)
    assert CallbackData([payload]).decode(sent) == payload
    assert CallbackData().decode(sent) == sent  # unknown: passed through (engine: unknown_button)


def test_the_short_id_table_is_bounded() -> None:
    table = CallbackData(size=2)
    ids = [table.encode(f"faq:{n}" + "y" * 80) for n in range(3)]
    assert table.decode(ids[0]) == ids[0]
    assert table.decode(ids[2]).startswith("faq:2")


def test_offers_render_like_replies() -> None:
    offer = Offer(
        "hardcover", "upsell", "Also in hardcover!", (Button("Tell me more", "offer:hc"),)
    )
    [(text, markup)] = render(offer)
    assert text == "Also in hardcover!" and markup is not None


@pytest.mark.parametrize(
    "action",
    [Handoff("no_answer"), End("abuse"), Flag("abuse"), Relay("T1", "hello agent")],
)
def test_what_is_not_for_the_customer_renders_to_nothing(action: Any) -> None:
    assert render(action) == []


def test_an_empty_reply_with_buttons_still_shows_them() -> None:
    [(text, markup)] = render(Reply("", (Button("Yes", "yes"),)))
    assert text and markup is not None
    assert render(Reply("")) == []


def test_buttons_go_under_the_last_part() -> None:
    parts = render(Reply("word " * 2000, (Button("Yes", "yes"),)))
    assert len(parts) == 3
    assert [markup is not None for _, markup in parts] == [False, False, True]


# --- splitting --------------------------------------------------------------------------


def _check(parts: list[str], original: str, limit: int = MAX_MESSAGE) -> None:
    assert all(0 < utf16_len(p) <= limit for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == original.replace(" ", "").replace(
        "\n", ""
    )


def test_short_text_is_one_part() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("x" * MAX_MESSAGE) == ["x" * MAX_MESSAGE]


def test_split_at_paragraphs_first() -> None:
    paragraph = ("A sentence of the answer. " * 40).strip()
    text = "\n\n".join([paragraph] * 6)
    parts = split_text(text)
    _check(parts, text)
    assert all(set(p.split("\n\n")) == {paragraph} for p in parts)  # whole paragraphs
    assert all(not p.startswith((" ", "\n")) and not p.endswith((" ", "\n")) for p in parts)


def test_split_at_lines_then_spaces() -> None:
    lines = "\n".join(["- item number one of the list"] * 300)
    parts = split_text(lines)
    _check(parts, lines)
    assert all(p.endswith("list") for p in parts)
    words = "supercalifragilistic " * 500
    parts = split_text(words)
    _check(parts, words)
    assert all(p.endswith("supercalifragilistic") for p in parts)


def test_japanese_is_split_after_a_sentence() -> None:
    text = "ご注文は1営業日以内に発送されます。" * 400
    parts = split_text(text)
    _check(parts, text)
    assert all(p.endswith("。") for p in parts)


def test_emoji_count_twice_and_are_never_cut() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units, no boundaries
    parts = split_text(text)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


def test_hard_cuts_keep_combining_sequences_whole() -> None:
    family = "👩\u200d👩\u200d👧"  # one visible character, 8 UTF-16 units
    text = family * 1000
    parts = split_text(text)
    _check(parts, text)
    assert all(p.startswith("👩") and p.endswith("👧") for p in parts)
    accented = "e\u0301" * 3000
    parts = split_text(accented)
    assert all(not p.startswith("\u0301") for p in parts)
    assert "".join(parts) == accented


def test_escaping_happens_after_splitting() -> None:
    text = "&<>" * 2000  # 6000 characters, 22000 once escaped
    rendered = render(Reply(text))
    assert len(rendered) == 2
    visible = [html.unescape(t) for t, _ in rendered]
    assert "".join(visible) == text
    assert all(utf16_len(v) <= MAX_MESSAGE for v in visible)
    assert all(t.count("&") == t.count(";") for t, _ in rendered)  # no broken escape


def test_escape_leaves_quotes() -> None:
    assert escape('"it\'s" <ok>') == '"it\'s" &lt;ok&gt;'


# --- help, retries, urls ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko", "ja"])
def test_help_text_names_the_company(lang: str) -> None:
    assert "Inkwell" in help_text(lang, "Inkwell")
    assert "{" not in help_text(lang, "")


def test_unknown_help_language_is_english() -> None:
    assert help_text("fr", "X") == help_text("en", "X")


def test_retry_after_in_seconds() -> None:
    assert retry_after_seconds(RetryAfter(3)) == 3.0
    assert retry_after_seconds(RetryAfter(timedelta(seconds=2.5))) == 2.5
    assert retry_after_seconds(TimedOut()) is None


def test_what_is_retried() -> None:
    assert is_retryable(RetryAfter(1))
    assert is_retryable(TimedOut())
    assert is_retryable(NetworkError("connection reset"))
    assert not is_retryable(BadRequest("Bad Request: chat not found"))
    assert not is_retryable(Forbidden("Forbidden: bot was blocked by the user"))
    assert not is_retryable(ValueError("bug"))


def test_file_url_sits_next_to_the_api_url() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_url("http://proxy/tg/{token}") == "http://proxy/tg/{token}"
