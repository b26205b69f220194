"""Which offers a conversation touched, and how specifically."""

from pathlib import Path

import pytest

from bot.content.model import Content, FaqEntry, OfferItem, Where
from bot.offers.relevance import Signals, Tier, candidates, most_specific, product_words, words_in

HERE = Where("test", 1)


def _faq(faq_id: str, *, tags: tuple[str, ...] = (), offers: tuple[str, ...] = ()) -> FaqEntry:
    return FaqEntry(faq_id, {"en": ("q",)}, {"en": "a"}, HERE, tags=tags, offers=offers)


def _offer(offer_id: str, *for_: str, langs: tuple[str, ...] = ("en", "ko", "ja")) -> OfferItem:
    return OfferItem(offer_id, "upsell", for_, {lang: f"{offer_id} {lang}" for lang in langs}, HERE)


CONTENT = Content(
    root=Path("."),
    faq={
        "shipping-time": _faq("shipping-time", tags=("shipping",), offers=("express",)),
        "returns": _faq("returns", tags=("returns",)),
        "formats": _faq("formats", tags=("reading",)),
    },
    offers={
        "express": _offer("express", "shipping"),
        "hardcover": _offer("hardcover", "formats", "paperback", "페이퍼백", "ペーパーバック"),
        "sleeve": _offer("sleeve", "ebook", "e-reader", "전자책", "電子書籍", langs=("en",)),
        "wrap": _offer("wrap", "gift wrap", "reading"),
    },
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Do you sell paperbacks?", {"paperback"}),
        ("is the PAPERBACK cheaper", {"paperback"}),
        ("I read e-books on my ereader", {"ebook", "e-reader"}),
        ("can you giftwrap it?", {"gift wrap"}),
        ("Gift-wrap please", {"gift wrap"}),
        ("페이퍼백으로 사고 싶어요", {"페이퍼백"}),
        ("전자 책 으로 읽을래요", {"전자책"}),
        ("電子書籍はありますか", {"電子書籍"}),
        ("ペーパーバック版ください", {"ペーパーバック"}),
        ("paperbackwriter is a song", set()),
        ("I have a bookshelf", set()),
    ],
)
def test_words_match_in_any_language_and_spelling(text: str, found: set[str]) -> None:
    assert words_in(text, product_words(CONTENT)) == found


def test_product_words_are_every_for_entry_but_faq_ids() -> None:
    words = product_words(CONTENT)
    assert "formats" not in words
    assert {"shipping", "paperback", "電子書籍", "gift wrap"} <= words


def test_an_answered_faq_is_more_specific_than_a_word_or_a_tag() -> None:
    signals = Signals(answered=("formats",), words=frozenset({"paperback", "gift wrap"}))
    found = {c.offer.id: c for c in candidates(CONTENT, signals, lang="en")}
    assert found["hardcover"].tier is Tier.FAQ
    assert found["hardcover"].matches == 2  # the FAQ and the word
    assert found["wrap"].tier is Tier.WORD  # its word beats its tag "reading"
    assert [c.offer.id for c in most_specific(list(found.values()))] == ["hardcover"]


def test_an_faq_listing_an_offer_makes_it_relevant() -> None:
    [found] = candidates(CONTENT, Signals(answered=("shipping-time",)), lang="ko")
    assert (found.offer.id, found.tier) == ("express", Tier.FAQ)


def test_a_tag_of_an_answered_faq_is_the_weakest_fit() -> None:
    found = candidates(CONTENT, Signals(answered=("formats",)), lang="en")
    assert {c.offer.id: c.tier for c in found} == {"hardcover": Tier.FAQ, "wrap": Tier.TAG}


def test_the_latest_answer_is_the_more_specific() -> None:
    both = Content(
        root=Path("."),
        faq=CONTENT.faq,
        offers={"express": _offer("express", "shipping-time"), "ret": _offer("ret", "returns")},
    )
    first = most_specific(
        candidates(both, Signals(answered=("returns", "shipping-time")), lang="en")
    )
    assert [c.offer.id for c in first] == ["express"]


def test_an_offer_without_a_pitch_in_the_customers_language_is_skipped() -> None:
    signals = Signals(words=frozenset({"ebook"}))
    assert [c.offer.id for c in candidates(CONTENT, signals, lang="en")] == ["sleeve"]
    assert candidates(CONTENT, signals, lang="ja") == []


def test_nothing_touched_nothing_relevant() -> None:
    assert candidates(CONTENT, Signals(answered=("returns",)), lang="en") == []
