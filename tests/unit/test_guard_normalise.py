"""Disguises undone before matching: masks, leet, spacing, width, jamo."""

import pytest

from bot.guard.normalise import SPACED, fold, masked_match, stretches


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ｆｕｃｋ ｙｏｕ", "fuck you"),
        ("sh1t", "shit"),
        ("b!tch please", "bitch please"),
        ("a$$hole", "asshole"),
        ("$hit", "shit"),
        ("f#ck", "f*ck"),
        ("시1발", "시발"),
        ("씨.발", "씨발"),
        ("死*ね", "死ね"),
        ("バ カ", "バカ"),
        ("ﾊﾞｶ", "バカ"),
        ("ば〜か", "ばか"),
        ("バーーーカ", "バーカ"),
        ("ㅅㅂ", "ㅅㅂ"),  # the letters people type stay as typed
        ("ㅅ1ㅂ", "ㅅㅂ"),
    ],
)
def test_fold_undoes_disguises(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_spaced_letters_are_joined_and_marked() -> None:
    assert fold("f u c k you") == f"{SPACED}fuck{SPACED} you"
    assert fold("s.h.i.t") == f"{SPACED}shit{SPACED}"


def test_ordinary_text_keeps_its_words() -> None:
    assert fold("Order A123, 2 - 4 days") == "order a123, 2 - 4 days"
    assert fold("다시 발송해 주세요") == "다시 발송해 주세요"
    assert fold("I'm fine!") == "i'm fine!"


def test_stretches_shorten_repeated_letters() -> None:
    assert stretches("fuuuuck") == {"fuuuuck", "fuuck", "fuck"}
    assert stretches("book") == {"book", "bok"}
    assert stretches("ass") == {"ass", "as"}
    assert stretches("cat") == {"cat"}


@pytest.mark.parametrize(
    ("token", "word", "prefix", "lenient", "expected"),
    [
        ("f*ck", "fuck", False, False, True),
        ("f**k", "fuck", False, False, True),
        ("f***", "fuck", False, False, False),  # too much hidden to be sure
        ("f***", "fuck", False, True, True),  # …unless a phrase says so
        ("f*cking", "fuck", True, False, True),
        ("*uck", "fuck", False, False, False),  # the first letter must show
        ("fuck", "fuck", False, False, False),  # no mask: not this test's business
        ("s*it", "fuck", False, False, False),
    ],
)
def test_masked_match(token: str, word: str, prefix: bool, lenient: bool, expected: bool) -> None:
    assert masked_match(token, word, prefix=prefix, lenient=lenient) is expected
