"""The note: key sentences and facts in en/ko/ja, the sparkline, the layout."""

from __future__ import annotations

from datetime import timedelta

from bot.handoff.repository import parse_code
from bot.handoff.summary import Case, ExtractiveSummarizer, build_note, sparkline

S = ExtractiveSummarizer()


def test_facts_in_english() -> None:
    facts = S.facts(
        ["Order #48213 never arrived; I paid $39.99 on 2026-11-02. Mail me: ann@example.com",
         "or call +1 415-555-0199"]
    )  # fmt: skip
    assert facts.found["order"] == ("48213",)
    assert facts.found["amount"] == ("$39.99",)
    assert facts.found["date"] == ("2026-11-02",)
    assert facts.found["email"] == ("ann@example.com",)
    assert facts.found["phone"] == ("+1 415-555-0199",)


def test_facts_in_korean_and_japanese() -> None:
    ko = S.facts(["주문번호 20231 결제 금액 35,000원, 11월 3일에 주문했어요. 010-1234-5678"])
    assert ko.found["order"] == ("20231",) and ko.found["amount"] == ("35,000원",)
    assert ko.found["date"] == ("11월 3일",) and ko.found["phone"] == ("010-1234-5678",)
    ja = S.facts(["注文番号 77812 の代金 4,200円を12月1日に払いました"])
    assert ja.found["order"] == ("77812",) and ja.found["amount"] == ("4,200円",)
    assert ja.found["date"] == ("12月1日",)
    assert not S.facts(["hello there"])


def test_key_sentences_keep_substance_and_order() -> None:
    messages = [
        "hi",
        "I ordered a book last week.",
        "It arrived damaged and the cover is torn.",
        "ok",
        "Can I get a refund for order #4411?",
        "The weather is nice.",
    ]
    picked = S.key_sentences(messages, limit=2)
    assert picked == [
        "It arrived damaged and the cover is torn.",
        "Can I get a refund for order #4411?",
    ]


def test_key_sentences_keep_a_run_of_marks_with_its_sentence() -> None:
    picked = S.key_sentences(["最悪です。担当者をお願いします！！", "本当に？！", "!!!"], limit=5)
    assert picked == ["最悪です。", "担当者をお願いします！！", "本当に？！"]


def test_key_sentences_in_japanese_split_on_full_stops() -> None:
    picked = S.key_sentences(["こんにちは。本がまだ届きません。注文番号は 5521 です。"], limit=2)
    assert picked == ["本がまだ届きません。", "注文番号は 5521 です。"]


def test_sparkline() -> None:
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([]) == ""


def test_ticket_codes() -> None:
    assert parse_code("T12") == 12 and parse_code("t3") == 3 and parse_code("7") == 7
    assert parse_code("T-404") is None


CASE = Case(
    code="T3",
    reason="faq:refund",
    priority="high",
    name="Mina",
    platform="telegram",
    handle="mina_k",
    language="en",
    messages=["My order #9911 arrived damaged.", "I want a refund."],
    answered=["damaged-item"],
    feedback=2,
    moods=[0.1, 0.4, 0.8],
    profile="⚠ abuse: two abusive messages (2026-10-01)\nRegular: knows us well",
    earlier=3,
    in_chat=timedelta(minutes=7),
    expected_wait="about 5 minutes",
)


def test_the_note_in_each_language() -> None:
    en = build_note(CASE)
    lines = en.splitlines()
    assert lines[0] == "🎫 Ticket T3 (high)"
    assert lines[1].startswith("⚠ abuse")  # flags on top
    assert "Who: Mina @mina_k · telegram · en · earlier conversations: 3" in en
    assert "Why now: FAQ marked for a person: refund" in en
    assert "“My order #9911 arrived damaged.”" in en and "Facts: order 9911" in en
    assert "Bot tried: damaged-item (rated 2/5)" in en
    assert "Mood: ▂▄▇ (0.80)" in en
    assert "Waiting: 7 min in chat · about 5 minutes" in en
    ko = build_note(CASE, lang="ko")
    assert ko.startswith("🎫 티켓 T3") and "고객: Mina" in ko and "주문 9911" in ko
    ja = build_note(CASE, lang="ja")
    assert ja.startswith("🎫 チケット T3") and "お客様: Mina" in ja and "注文 9911" in ja


def test_a_threat_is_marked_at_the_top() -> None:
    from dataclasses import replace

    note = build_note(replace(CASE, reason="threat", priority="urgent"))
    assert note.startswith("🚨 Ticket T3 — THREAT")


def test_the_triggers_quote_comes_first() -> None:
    from dataclasses import replace

    note = build_note(replace(CASE, topic="Where is my parcel?"))
    assert "In their words:\n  “Where is my parcel?”\n  “My order #9911" in note


def test_the_note_shows_the_last_feedback_of_earlier_conversations() -> None:
    from dataclasses import replace

    rated = replace(CASE, last_feedback=4)
    assert "earlier conversations: 3 (last feedback: 4/5)" in build_note(rated)
    assert "이전 대화: 3건 (최근 평가: 4/5)" in build_note(rated, lang="ko")
    assert "過去の会話: 3件 (前回の評価: 4/5)" in build_note(rated, lang="ja")
    assert "earlier conversations: 3 (last feedback: nothing yet)" in build_note(CASE)
    first = replace(CASE, earlier=0, last_feedback=None)
    assert "earlier conversations: 0\n" in build_note(first) + "\n"
    assert "last feedback" not in build_note(first)


def test_takeover_targets() -> None:
    from bot.handoff.commands import conversation_key

    assert conversation_key("u1") == "console:u1"
    assert conversation_key(" telegram:42 ") == "telegram:42"
    assert conversation_key("17") == "17"  # a conversation number
