"""Which catalog offers fit a conversation, and how specifically.

An offer's ``for:`` list names FAQ ids, FAQ tags or product words. A
conversation touches them through the FAQ entries it answered (their ids,
tags and ``offers:`` lists) and through the words the customer wrote, in any
language the catalog lists them in ("ebook", "전자책", "電子書籍").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from bot.content.model import Content, OfferItem

_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
_MAX_NGRAM = 3


class Tier(IntEnum):
    """How closely an offer fits: the higher, the more specific."""

    TAG = 1  # ``for`` names a tag of an answered FAQ entry
    WORD = 2  # ``for`` names a word the customer wrote
    FAQ = 3  # an answered FAQ entry: named in ``for``, or listing the offer itself


@dataclass(frozen=True, slots=True)
class Signals:
    """What the conversation touched: FAQ ids answered (in order) and words written."""

    answered: tuple[str, ...] = ()
    words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A relevant offer and how specific it is to the conversation."""

    offer: OfferItem
    tier: Tier
    #: 1 + the position of the latest answered entry it fits (0 for words only).
    recency: int
    #: How many distinct signals it matched.
    matches: int

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Sort key: tier, then the latest answer, then the number of matches."""
        return (int(self.tier), self.recency, self.matches)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _latin(word: str) -> bool:
    return word.isascii()


def _singular(token: str) -> str:
    if len(token) > 3 and token.endswith("es") and token[-3] in "sxz":
        return token[:-2]
    return token[:-1] if len(token) > 3 and token.endswith("s") else token


def _grams(text: str) -> set[str]:
    """Latin tokens of ``text`` and runs of up to three, squashed and singular.

    "e-book", "ebooks" and "gift wrap" become "ebook" and "giftwrap", so a
    catalog word matches however the customer hyphenates or pluralises it.
    """
    tokens = _LATIN_TOKEN.findall(text)
    grams: set[str] = set()
    for n in range(1, _MAX_NGRAM + 1):
        for i in range(len(tokens) - n + 1):
            run = tokens[i : i + n]
            grams.add("".join(run))
            grams.add("".join([*run[:-1], _singular(run[-1])]))
    return grams


def _squash(word: str) -> str:
    return "".join(_LATIN_TOKEN.findall(_fold(word)))


def words_in(text: str, vocabulary: Iterable[str]) -> set[str]:
    """The catalog words of ``vocabulary`` that ``text`` mentions.

    Latin words match whole words (any case, hyphens and spaces optional, a
    plural "s" allowed); Korean and Japanese words match anywhere, spaces
    ignored, since particles attach to them ("전자책으로", "電子書籍は").
    """
    folded = _fold(text)
    grams = _grams(folded)
    spaceless = "".join(folded.split())
    found: set[str] = set()
    for word in vocabulary:
        if _latin(word):
            squashed = _squash(word)
            if squashed and (squashed in grams or _singular(squashed) in grams):
                found.add(word)
        else:
            needle = "".join(_fold(word).split())
            if needle and needle in spaceless:
                found.add(word)
    return found


def product_words(content: Content) -> frozenset[str]:
    """Every ``for`` entry that could appear in a message: all but the FAQ ids."""
    return frozenset(w for o in content.offers.values() for w in o.for_ if w not in content.faq)


def candidates(content: Content, signals: Signals, *, lang: str) -> list[Candidate]:
    """Offers the conversation touched that can be pitched in ``lang``, in catalog order."""
    out: list[Candidate] = []
    for offer in content.offers.values():
        if not offer.pitch.get(lang):
            continue  # never pitch in another language than the customer's
        found = _fit(content, offer, signals)
        if found is not None:
            out.append(found)
    return out


def _fit(content: Content, offer: OfferItem, signals: Signals) -> Candidate | None:
    wanted = set(offer.for_)
    best: tuple[Tier, int] | None = None
    matched: set[str] = set()
    for position, faq_id in enumerate(signals.answered, 1):
        entry = content.faq.get(faq_id)
        if entry is None:
            continue
        if faq_id in wanted or offer.id in entry.offers:
            best = _better(best, (Tier.FAQ, position))
            matched.add(f"faq:{faq_id}")
        for tag in set(entry.tags) & wanted:
            best = _better(best, (Tier.TAG, position))
            matched.add(f"tag:{tag}")
    for word in signals.words & wanted:
        best = _better(best, (Tier.WORD, 0))
        matched.add(f"word:{word}")
    if best is None:
        return None
    return Candidate(offer=offer, tier=best[0], recency=best[1], matches=len(matched))


def _better(old: tuple[Tier, int] | None, new: tuple[Tier, int]) -> tuple[Tier, int]:
    return new if old is None or new > old else old


def most_specific(found: Sequence[Candidate]) -> list[Candidate]:
    """The candidates sharing the highest specificity (ties are for the selector)."""
    if not found:
        return []
    top = max(c.specificity for c in found)
    return [c for c in found if c.specificity == top]
