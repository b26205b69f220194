"""Matching word lists: whole words, word starts, anywhere; overlaps settled."""

from bot.guard.lexicon import Lexicon
from bot.guard.normalise import SPACED, fold


def kinds(lex: Lexicon, text: str) -> list[tuple[str, str]]:
    found = lex.find(fold(text))
    return [(h.kind, found.text[h.start : h.end].replace(SPACED, "")) for h in found.hits]


EN = Lexicon.build(
    "en",
    {
        "swearing": ["fuck*", "shit*"],
        "insults": ["idiot", "moron"],
        "abuse": ["fuck you", "go fuck yourself", "shut up"],
        "strong": ["ridiculous", "what the hell"],
        "medium": ["hell"],
        "targets": ["you", "bot"],
        "ignore": ["thank you", "kill time"],
        "legal": ["sue"],
        "physical": ["kill you"],
    },
)


def test_english_matches_whole_words_and_stems() -> None:
    assert kinds(EN, "idiots") == []  # "idiot" is a whole word
    assert kinds(EN, "fucking hell") == [("swearing", "fucking"), ("medium", "hell")]
    assert kinds(EN, "you idiot") == [("targets", "you"), ("insults", "idiot")]


def test_the_longer_match_wins() -> None:
    assert kinds(EN, "fuck you") == [("abuse", "fuck you"), ("targets", "you")]
    assert kinds(EN, "what the hell") == [("strong", "what the hell")]


def test_ignore_hides_everything_it_touches() -> None:
    assert kinds(EN, "thank you so much") == []
    assert kinds(EN, "I read to kill time") == []


def test_disguised_words_match() -> None:
    assert ("abuse", "fuuuck you") in kinds(EN, "FUUUCK YOU")
    assert ("swearing", "f*cking") in kinds(EN, "f*cking bot")
    assert ("abuse", "go f*** yourself") in kinds(EN, "go f*** yourself")
    assert ("insults", "idiot") in kinds(EN, "i d i o t")
    assert ("insults", "uramoron") in kinds(EN, "u r a m o r o n")  # the word, spelt apart


def test_clauses_split_phrases() -> None:
    assert ("abuse", "fuck you") not in kinds(EN, "fuck, you are late")


KO = Lexicon.build(
    "ko",
    {
        "swearing": ["*시발", "존나"],
        "insults": ["*새끼", "바보"],
        "medium": ["짜증"],
        "targets": ["너", "니"],
        "accept": ["네"],
        "particles": ["가", "는", "야"],
        "ignore": ["시발점"],
    },
)


def test_korean_matches_word_starts_and_inside_with_a_star() -> None:
    assert kinds(KO, "짜증나네") == [("medium", "짜증")]
    assert kinds(KO, "개새끼") == [("insults", "새끼")]
    assert kinds(KO, "이시발") == [("swearing", "시발")]


def test_korean_pointers_and_one_letter_words_match_whole() -> None:
    assert kinds(KO, "니가 뭘 알아") == [("targets", "니")]
    assert kinds(KO, "너무 늦어요") == []
    assert kinds(KO, "네 좋아요") == [("accept", "네")]
    assert kinds(KO, "네이버") == []


def test_korean_spaced_syllables_are_read_joined() -> None:
    assert kinds(KO, "시 발 진짜") == [("swearing", "시 발")]
    assert kinds(KO, "다시 발송해 주세요") == []
    assert kinds(KO, "시발점이 어디") == []


JA = Lexicon.build(
    "ja",
    {
        "insults": ["バカ", "ばか"],
        "abuse": ["死ね", r"re:(^|\s)しね($|\s)"],
        "targets": ["お前"],
        "ignore": ["ばかり"],
    },
)


def test_japanese_matches_anywhere() -> None:
    assert kinds(JA, "お前バカか") == [("targets", "お前"), ("insults", "バカ")]
    assert kinds(JA, "同じ回答ばかり") == []
    assert kinds(JA, "しね") == [("abuse", "しね")]
    assert kinds(JA, "返事しねえ") == []
