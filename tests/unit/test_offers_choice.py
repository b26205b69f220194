"""The customer's answer to an offer: buttons, or a short yes / no in words."""

import pytest

from bot.offers.choice import Choice, in_words, more_payload, no_payload, parse_payload


def test_button_payloads_round_trip() -> None:
    assert parse_payload(more_payload("gift-wrap")) == (Choice.ACCEPT, "gift-wrap")
    assert parse_payload(no_payload("gift-wrap")) == (Choice.DECLINE, "gift-wrap")
    assert parse_payload("offer:no:") is None
    assert parse_payload("feedback:5") is None


@pytest.mark.parametrize(
    "text",
    ["No thanks!", "no, thank you", "nope 🙂", "I'm good", "아니요, 괜찮아요", "괜찮습니다.",
     "됐어요", "いいえ、結構です。", "大丈夫です", "今は大丈夫です"],
)  # fmt: skip
def test_no_thanks_in_three_languages(text: str) -> None:
    assert in_words(text) is Choice.DECLINE


@pytest.mark.parametrize(
    "text",
    ["Yes please", "tell me more", "Sure!", "네, 알려주세요", "좋아요", "はい、お願いします"],
)
def test_yes_in_three_languages(text: str) -> None:
    assert in_words(text) is Choice.ACCEPT


@pytest.mark.parametrize(
    "text",
    ["thanks", "no, I asked about returns", "how much is it?", "반품은 어떻게 하나요?", "ok"],
)
def test_anything_else_is_no_answer(text: str) -> None:
    assert in_words(text) is None
