"""Text normalisation and the n-gram analysers of the sparse features.

Korean and Japanese have no reliable word boundaries (Japanese none at all),
so every script gets character n-grams; Latin-script text additionally gets
word unigrams and bigrams. A Hangul syllable or a kanji carries about as much
as three Latin letters, so CJK n-grams stop at 2 characters and Latin ones at 5.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from bot.text import clean

#: Longer messages are cut: the start says what the message is about, and the
#: cost of a parse must not grow with the input.
MAX_CHARS = 1000

LATIN_NGRAMS = (1, 5)
CJK_NGRAMS = (1, 2)

_CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f]"
)
_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """NFKC, casefold, no control characters, single spaces, at most ``MAX_CHARS``."""
    text = clean(text[: MAX_CHARS * 2])
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split())[:MAX_CHARS]


def is_cjk(token: str) -> bool:
    """Whether the token holds Hangul, kana or kanji."""
    return _CJK.search(token) is not None


def char_ngrams(text: str) -> list[str]:
    """Character n-grams inside space-separated tokens, padded with a space each side."""
    grams: list[str] = []
    for token in text.split():
        lo, hi = CJK_NGRAMS if is_cjk(token) else LATIN_NGRAMS
        padded = f" {token} "
        size = len(padded)
        for n in range(lo, min(hi, size) + 1):
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


def word_ngrams(text: str) -> list[str]:
    """Unigrams and bigrams of the non-CJK words (CJK is left to the character n-grams)."""
    words = [w for w in _WORD.findall(text) if not is_cjk(w)]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
