"""What customers and agents write, shown at the desk and to customers: never markup.

Slack mrkdwn (``<!channel>``, ``<@U…>``, ``<#C…>``, ``<url|label>``, ``&<>``) and
Telegram HTML/entities (``<a href>``, ``<b>``, ``@name``, ``/command``) typed by
a customer — or set as their name — reach agents and customers literally.
"""

from __future__ import annotations

import html

import pytest

from bot.channels.slack_blocks import render as slack_render
from bot.channels.slack_events import plain_text
from bot.channels.telegram_render import render as telegram_render
from bot.handoff.slack_desk import MAX_SECTION, note_blocks, plain
from bot.handoff.telegram_desk import JOINER, defang
from bot.models import Reply
from tests.unit.test_handoff_desks import ticket

HOSTILE = [
    "<!channel> refund now",
    "<!here>",
    "<!everyone>",
    "<!subteam^S123|@support>",
    "ping <@U0BOSS> and <#C0GENERAL>",
    "pay at <http://evil.example|bank.com>",
    "a & b < c > d",
    "&lt;!channel&gt;",  # already-escaped text is shown as typed, not unescaped into markup
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_slack_desk_message_has_no_live_markup(text: str) -> None:
    args = plain(f"👤 {text}")
    assert "<" not in args["text"] and ">" not in args["text"]
    assert args["text"] == "👤 " + text.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;"
    )
    [block] = args["blocks"]
    assert block["text"] == {"type": "plain_text", "text": f"👤 {text}", "emoji": True}


def test_a_long_transcript_stays_plain_and_within_slack_limits() -> None:
    text = "\n".join(f"14:0{n % 10} customer: <!here> line {n}" for n in range(400))
    args = plain(text)
    assert 1 < len(args["blocks"]) <= 50
    assert all(b["text"]["type"] == "plain_text" for b in args["blocks"])
    assert all(len(b["text"]["text"]) <= MAX_SECTION for b in args["blocks"])
    assert "<!" not in args["text"] and len(args["text"]) <= 5 * 500


def test_a_customer_name_in_the_slack_note_is_plain_text() -> None:
    note = "🎫 Ticket T7 (normal)\n👤 <!channel> <http://evil|bank> @U1 · slack"
    hostile = ticket()
    hostile.note = note
    [section, state, *_] = note_blocks(hostile)
    assert section["text"] == {"type": "plain_text", "text": note}
    assert state["elements"][0]["type"] == "plain_text"


def test_an_agents_labelled_link_reaches_the_customer_with_its_address() -> None:
    raw = "See <https://evil.example/login|bank.com> &amp; <https://shop.example> &lt;3"
    assert plain_text(raw, show_urls=True) == (
        "See bank.com (https://evil.example/login) & https://shop.example <3"
    )
    assert plain_text("<mailto:a@b.io|a@b.io>", show_urls=True) == "a@b.io"


@pytest.mark.parametrize("text", HOSTILE)
def test_text_relayed_to_a_slack_customer_is_escaped(text: str) -> None:
    args = slack_render(Reply(f"Hi {text}"))
    assert args is not None
    shown = args["blocks"][0]["text"]["text"]
    assert "<!" not in shown and "<@" not in shown and "<#" not in shown
    assert "|bank.com>" not in shown
    assert "<!" not in args["text"]


@pytest.mark.parametrize(
    "text",
    [
        '<a href="http://evil.example">bank.com</a>',
        "<b>urgent</b> & <i>now</i>",
        "&lt;b&gt;",
        "<tg-spoiler>x</tg-spoiler> <code>y</code>",
    ],
)
def test_text_relayed_to_a_telegram_customer_is_escaped_html(text: str) -> None:
    [(shown, _)] = telegram_render(Reply(f"Hi {text}"))
    assert shown == html.escape(f"Hi {text}", quote=False)
    assert "<a" not in shown and "<b>" not in shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("@support help", f"@{JOINER}support help"),
        ("call /resolve T1", f"call /{JOINER}resolve T1"),
        ("/claim@frontdesk_bot T1", f"/{JOINER}claim@frontdesk_bot T1"),
        ("line\n@boss", f"line\n@{JOINER}boss"),
        # e-mail addresses, URLs and dates are left alone
        ("mina@example.com", "mina@example.com"),
        ("https://example.com/a/b", "https://example.com/a/b"),
        ("2026/11/25", "2026/11/25"),
        ("a @ b / c", "a @ b / c"),
    ],
)
def test_the_telegram_desk_defangs_mentions_and_commands(text: str, shown: str) -> None:
    assert defang(text) == shown
    assert defang(shown) == shown.replace(JOINER + JOINER, JOINER)
