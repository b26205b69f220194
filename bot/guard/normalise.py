"""Undo the usual disguises so that a word list can match.

``fold`` turns ``ｆ＊ｃｋ``, ``sh1t``, ``f u c k``, ``시1발`` and ``死*ね`` into text
where the plain word shows (``f*ck`` keeps its mask: :func:`masked_match` reads
it). Word lists go through the same ``fold``, so both sides meet in the middle.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
#: NFKC turns the Hangul letters people type (ㅅㅂ, ㅗ) into conjoining ones; turn them back.
_JAMO = {
    ord(unicodedata.normalize("NFKC", chr(cp))): chr(cp)
    for cp in range(0x3131, 0x318F)
    if len(unicodedata.normalize("NFKC", chr(cp))) == 1
}
#: Marks letters that were spelt apart (f u c k): matchers may look inside them.
SPACED = "\u2063"
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "#": "*", "•": "*"})
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "$": "s",
        "@": "a",
        "!": "i",
        "|": "i",
    }
)

_LATIN = "0-9a-z*$@"
_HANGUL = "가-힣\u3131-\u318e\u1100-\u11ff"
_CJK = "ぁ-ゖァ-ヺー一-鿿々"
_SEP = r"[ .\-_,/+~]+"

#: Three or more single Latin characters apart: f u c k, f.u.c.k, s-h-1-t.
_SPACED_LATIN = re.compile(rf"(?<![{_LATIN}])(?:[{_LATIN}]{_SEP}){{2,}}[{_LATIN}](?![{_LATIN}])")
#: Two or more single kana/kanji apart: バ カ, 死 ね (Japanese has no spaces anyway).
_SPACED_CJK = re.compile(rf"(?<![{_CJK}])(?:[{_CJK}]{_SEP}){{1,}}[{_CJK}](?![{_CJK}])")
#: Two or more single Hangul syllables or letters apart: 시 발, ㅅ ㅂ.
_SPACED_HANGUL = re.compile(
    rf"(?<![{_HANGUL}])(?:[{_HANGUL}]{_SEP}){{1,}}[{_HANGUL}](?![{_HANGUL}])"
)
#: Digits and symbols inside Hangul or Japanese words: 시1발, 씨.발, 死*ね.
_INSIDE_HANGUL = re.compile(rf"(?<=[{_HANGUL}])[^\s{_HANGUL}a-z]{{1,3}}(?=[{_HANGUL}])")
_INSIDE_CJK = re.compile(rf"(?<=[{_CJK}])[0-9*.\-_~〜^'!?:;|/\\+=・]{{1,3}}(?=[{_CJK}])")
#: Leet inside Latin words (sh1t, b!tch, a$$hole) and $ or @ at their start ($hit, @ss).
_LEET_INSIDE = re.compile(r"(?<=[a-z])[013457$@!|]+(?=[a-z*])|(?<![a-z0-9])[$@](?=[a-z])")
_STRETCH = re.compile(r"([ー〜~っッ])\1+")
_SEPARATORS = re.compile(_SEP)


def _unspace(match: re.Match[str]) -> str:
    return _SEPARATORS.sub("", match.group(0))


def _unspace_marked(match: re.Match[str]) -> str:
    return SPACED + _unspace(match) + SPACED


def fold(text: str) -> str:
    """Lower case, plain width, disguises undone; spacing otherwise kept."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    text = text.translate(_QUOTES).translate(_JAMO)
    text = _SPACED_LATIN.sub(_unspace_marked, text)
    text = _SPACED_CJK.sub(_unspace, text)
    text = _INSIDE_HANGUL.sub("", text)
    text = _INSIDE_CJK.sub("", text)
    text = _LEET_INSIDE.sub(lambda m: m.group(0).translate(_LEET), text)
    return _STRETCH.sub(r"\1", text)


def spaced_hangul(text: str) -> list[tuple[int, int, str]]:
    """Runs of single Hangul letters apart (시 발), joined, with their span.

    Korean has many one-syllable words, so these are matched in addition to the
    text rather than joined in place ("너 왜 그래" keeps its "너").
    """
    return [(m.start(), m.end(), _unspace(m)) for m in _SPACED_HANGUL.finditer(text)]


_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1+")


@lru_cache(maxsize=8192)
def stretches(word: str) -> frozenset[str]:
    """A word and its unstretched forms: fuuuuck → fuuck, fuck."""
    if not any(a == b for a, b in pairwise(word)):
        return frozenset((word,))
    return frozenset((word, _RUN3.sub(r"\1\1", word), _RUN2.sub(r"\1", word)))


def masked_match(token: str, word: str, *, prefix: bool, lenient: bool = False) -> bool:
    """Whether ``token`` with ``*`` masks (f*ck, f**king) spells ``word``.

    The first letter must show and at most half of the letters may be masked;
    ``lenient`` (inside a phrase, "go f*** yourself") allows more.
    """
    if "*" not in token or not token or token[0] == "*":
        return False
    if len(token) < len(word) or (not prefix and len(token) != len(word)):
        return False
    head = token[: len(word)]
    if not lenient and head.count("*") * 2 > len(word):
        return False
    return all(t in ("*", w) for t, w in zip(head, word, strict=True))


def letters(text: str) -> int:
    """How many letters ``text`` has."""
    return sum(ch.isalpha() for ch in text)
