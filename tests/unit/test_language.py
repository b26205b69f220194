import pytest

from bot.language import detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("How long does delivery take?", "en"),
        ("배송은 얼마나 걸리나요?", "ko"),
        ("配送にはどのくらいかかりますか？", "ja"),
        ("配送料金", "ja"),  # Kanji only: Japanese, never Chinese or Korean
        ("返品方法", "ja"),
        ("주문번호 A12345 배송 조회", "ko"),
        ("Kindle で読めますか", "ja"),
        ("ｈｅｌｌｏ", "en"),  # full-width Latin
        ("ㅋㅋㅋ", "ko"),  # Hangul jamo
        ("ｶﾀｶﾅ", "ja"),  # half-width kana
        ("韓國 배송돼요?", "ko"),  # Hanja inside Korean
    ],
)
def test_detects_script(text: str, lang: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "👍", "12345", "?!"])
def test_no_letters_keeps_the_conversation_language(text: str) -> None:
    assert detect(text, default="ko") == "ko"
    assert detect(text, default="ja") == "ja"


def test_a_latin_word_in_a_korean_conversation_stays_korean() -> None:
    assert detect("ok 감사", default="ko") == "ko"
    assert detect("iPhone 앱에서 읽을 수 있나요", default="en") == "ko"


def test_a_little_cjk_in_a_long_english_message_stays_english() -> None:
    assert detect("I ordered the book called 雪国 last week, where is it?", default="en") == "en"
