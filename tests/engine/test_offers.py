"""Offers through whole turns, in en/ko/ja: each rule of issue 6 proved on the engine.

A small content folder of our own (contentkit's intents and templates, a few FAQ
entries and offers) keeps these fast and independent of the example company;
a tiny stage stands in for the guard's mood. The last tests run on the example
content with the real guard (tests/conversations/offers.yml, run by
tests/test_content.py, covers more of the example content)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.jsonl import render
from bot.engine import Stage
from bot.errors import StoreError
from bot.guard.stage import Guard
from bot.models import Inbound, Offer, State
from bot.offers import OfferRepository, OfferStats
from bot.offers.stage import OfferStage, offer_stage
from bot.turn import Turn
from tests.harness import Chat, start_app
from tests.unit.contentkit import FAQ, make_content, write

OFFERS = """\
offers:
- id: express
  kind: upsell
  for: [shipping-time]
  pitch:
    en: "Express delivery gets it to you tomorrow."
    ko: "특급 배송으로 내일 받아 보실 수 있어요."
    ja: "速達便なら明日お届けします。"
  url: https://shop.example/express
- id: gift-wrap
  kind: cross_sell
  for: [gift, 선물, ギフト]
  pitch:
    en: "We can gift-wrap it for you."
    ko: "선물 포장도 해 드려요."
    ja: "ギフト包装も承ります。"
"""

COMPLAINT = """\
responses:
  complaint:
    en: ["I'm so sorry. What happened?"]
    ko: ["정말 죄송합니다. 어떤 일이 있었나요?"]
    ja: ["大変申し訳ございません。何がありましたか？"]
"""

#: Another question and thanks per language (the guard hears a repeat as frustration).
AGAIN = {
    "en": ("How do I return an item?", "much appreciated"),
    "ko": ("반품은 어떻게 하나요?", "고마워요"),
    "ja": ("返品の方法を教えてください", "助かりました"),
}
#: (question, thanks, no thanks in words, a deny the NLU knows, pitch) per language.
LANGS = {
    "en": ("How long does delivery take?", "thanks", "no thanks!", "not really", "Express"),
    "ko": ("배송은 얼마나 걸리나요?", "감사합니다", "아니요, 괜찮아요", "아니에요", "특급 배송"),
    "ja": (
        "配送にはどのくらいかかりますか？",
        "ありがとう",
        "いいえ、結構です",
        "違います",
        "速達便",
    ),
}


class Moody:
    """Plays the guard's verdict: the customer is upset when they write one of ``texts``."""

    def __init__(self, *texts: str, flag: str = "frustrated") -> None:
        self.texts, self.flag = texts, flag

    async def before(self, turn: Turn) -> None:
        if turn.text in self.texts:
            setattr(turn.mood, self.flag, True)

    async def after(self, turn: Turn) -> None:
        return None


def install(app: App, *extra: Stage, seed: int = 0) -> OfferStage:
    """A seeded offer stage, last; ``extra`` stages (a stand-in mood) just before it."""
    stage = offer_stage(app.content, app.store, rng=random.Random(seed))
    others = [s for s in app.engine.stages if not isinstance(s, OfferStage | Moody)]
    app.engine.stages = (*others, *extra, stage)
    return stage


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_content(tmp_path_factory.mktemp("offers") / "content")
    write(root, "responses/faq/shop.yml", FAQ)
    write(root, "responses/offers.yml", OFFERS)
    write(root, "responses/complaint.yml", COMPLAINT)
    return root


@pytest.fixture
async def app(tmp_path: Path, content: Path) -> AsyncIterator[App]:
    app = await start_app(tmp_path, content)
    install(app)
    yield app
    await app.close()


def offers(chat: Chat) -> list[Offer]:
    return [a for a in chat.last if isinstance(a, Offer)]


async def events(app: App) -> list[OfferStats]:
    return await OfferRepository(app.store.engine).report()


STARS = [f"feedback:{n}" for n in range(1, 6)]


async def answered_and_thanked(chat: Chat, lang: str) -> None:
    """A question answered, then thanks: the rating question comes first."""
    question, thanks, *_ = LANGS[lang]
    await chat.say(question)
    assert (await chat.understood()).faq_id == "shipping-time", chat.text
    await chat.say(thanks)
    assert (await chat.understood()).intent == "thanks", chat.text
    assert chat.buttons == STARS and not offers(chat)


async def rated(chat: Chat, lang: str, rating: int = 5) -> None:
    """Answered, thanked, and rated (a star in English, a typed digit in ko/ja)."""
    await answered_and_thanked(chat, lang)
    await (chat.press(f"feedback:{rating}") if lang == "en" else chat.say(str(rating)))
    assert (await chat.understood()).intent == "feedback"


# the right offer, at the right moment -------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_the_right_offer_after_an_answered_question_thanks_and_a_good_rating(
    app: App, lang: str
) -> None:
    chat = Chat(app, user=f"buyer-{lang}", name="Mina")
    await rated(chat, lang, 4)
    [offer] = offers(chat)
    assert (offer.offer_id, offer.kind) == ("express", "upsell")
    assert LANGS[lang][4] in offer.text
    assert [b.payload for b in offer.buttons] == ["offer:more:express", "offer:no:express"]
    assert chat.last[-1] is offer  # after the thanks for the rating
    assert await events(app) == [OfferStats("express", lang, shown=1, accepted=0, declined=0)]


@pytest.mark.parametrize(("lang", "yes"), [("en", "sure"), ("ko", "좋아요"), ("ja", "そうです")])
async def test_a_yes_after_the_answer_brings_the_offer_at_once(
    app: App, lang: str, yes: str
) -> None:
    chat = Chat(app, user=f"yes-{lang}")
    await chat.say(LANGS[lang][0])
    await chat.say(yes)
    assert (await chat.understood()).intent == "affirm"
    assert [o.offer_id for o in offers(chat)] == ["express"]


async def test_a_later_thanks_brings_the_offer_when_the_rating_was_asked_before(
    app: App,
) -> None:
    chat = Chat(app, user="later")
    await answered_and_thanked(chat, "en")
    await chat.say("How do I return an item?")  # no rating given: the offer never came
    await chat.say("much appreciated")
    assert (await chat.understood()).intent == "thanks"
    assert not chat.buttons  # the rating is asked once per conversation …
    assert [o.offer_id for o in offers(chat)] == ["express"]  # … so the offer comes now


@pytest.mark.parametrize("lang", LANGS)
async def test_tell_me_more_gives_the_link(app: App, lang: str) -> None:
    chat = Chat(app, user=f"more-{lang}")
    await rated(chat, lang)
    await chat.press("offer:more:express")
    assert (await chat.understood()).intent == "offer_accept"
    assert "[offer_accepted]" in chat.text and "https://shop.example/express" in chat.text
    assert await events(app) == [OfferStats("express", lang, shown=1, accepted=1, declined=0)]


@pytest.mark.parametrize("lang", LANGS)
async def test_no_thanks_by_button_in_words_or_as_a_deny(app: App, lang: str) -> None:
    _, _, in_words, deny, _ = LANGS[lang]
    for n, answer in enumerate(("button", in_words, deny)):
        chat = Chat(app, user=f"no-{lang}-{n}")
        await rated(chat, lang)
        if answer == "button":
            await chat.press("offer:no:express")
        else:
            await chat.say(answer)
        assert (await chat.understood()).intent == "offer_decline", answer
        assert chat.text.startswith("[offer_declined]"), chat.text
        assert "[deny]" not in chat.text
    assert await events(app) == [OfferStats("express", lang, shown=3, accepted=0, declined=3)]


async def test_the_conversation_goes_on_after_the_offer(app: App) -> None:
    chat = Chat(app, user="moves-on")
    await rated(chat, "en")
    await chat.say("How do I return an item?")  # passes the offer over
    assert (await chat.understood()).faq_id == "returns"
    assert not offers(chat)
    await chat.press("offer:no:express")  # a late answer is still taken, politely
    assert chat.text.startswith("[offer_declined]")
    await chat.say("thanks")
    assert (await chat.understood()).intent == "thanks" and not offers(chat)


async def test_an_offer_found_by_the_customers_words_without_a_link(app: App) -> None:
    chat = Chat(app, user="gift")
    await chat.say("선물로 보내려는데 반품은 어떻게 하나요?")
    assert (await chat.understood()).faq_id == "returns"
    await chat.say("감사합니다")
    await chat.press("feedback:5")
    [offer] = offers(chat)
    assert (offer.offer_id, offer.text) == ("gift-wrap", "선물 포장도 해 드려요.")
    await chat.say("네")
    assert chat.text.startswith("[offer_accepted_no_link]")


# … and never at the wrong one ---------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_none_on_first_contact(app: App, lang: str) -> None:
    chat = Chat(app, user=f"first-{lang}")
    await chat.say(LANGS[lang][1])
    assert (await chat.understood()).intent == "thanks"
    assert not offers(chat)


@pytest.mark.parametrize(("lang", "rating"), [("en", 3), ("ko", 2), ("ja", 1)])
async def test_none_after_a_low_rating_nor_later_in_that_conversation(
    app: App, lang: str, rating: int
) -> None:
    chat = Chat(app, user=f"unhappy-{lang}")
    await rated(chat, lang, rating)
    assert not offers(chat)
    for text in AGAIN[lang]:
        await chat.say(text)
    assert (await chat.understood()).intent == "thanks"
    assert not offers(chat)


@pytest.mark.parametrize("lang", LANGS)
async def test_none_after_a_complaint(app: App, lang: str) -> None:
    complaint = {"en": "this is terrible service", "ko": "정말 불만이에요", "ja": "とても不満です"}
    question, thanks, *_ = LANGS[lang]
    chat = Chat(app, user=f"complains-{lang}")
    await chat.say(question)
    await chat.say(complaint[lang])
    assert (await chat.understood()).intent == "complaint"
    await chat.say(thanks)
    assert (await chat.understood()).intent == "thanks"
    await chat.press("feedback:5")
    assert not offers(chat)
    assert await events(app) == []


@pytest.mark.parametrize("lang", LANGS)
async def test_none_during_frustration(app: App, lang: str) -> None:
    question, thanks, *_ = LANGS[lang]
    install(app, Moody(thanks))
    chat = Chat(app, user=f"frustrated-{lang}")
    await chat.say(question)
    await chat.say(thanks)  # the guard sees frustration in this very message
    assert chat.buttons == STARS and not offers(chat)
    await chat.press("feedback:5")  # calm again, but no offer waits for this rating
    assert not offers(chat)
    assert await events(app) == []


@pytest.mark.parametrize(("lang", "flag"), [("en", "threat"), ("ko", "abuse"), ("ja", "abuse")])
async def test_none_after_abuse_or_a_threat_in_the_conversation(
    app: App, lang: str, flag: str
) -> None:
    question, thanks, *_ = LANGS[lang]
    install(app, Moody(question, flag=flag))
    chat = Chat(app, user=f"upset-{lang}-{flag}")
    await chat.say(question)
    install(app)  # calm again
    await chat.say(thanks)
    await chat.press("feedback:5")
    assert not offers(chat)
    for text in AGAIN[lang]:
        await chat.say(text)
    assert (await chat.understood()).intent == "thanks"
    assert not offers(chat)


@pytest.mark.parametrize("lang", LANGS)
async def test_none_twice_in_one_conversation(app: App, lang: str) -> None:
    chat = Chat(app, user=f"twice-{lang}")
    await rated(chat, lang)
    assert offers(chat)
    await chat.say(LANGS[lang][2])  # no thanks
    for text in AGAIN[lang]:
        await chat.say(text)
    assert (await chat.understood()).intent == "thanks"
    assert not offers(chat)
    await chat.press("offer:more:express")  # an old button: answered, counted once
    assert await events(app) == [OfferStats("express", lang, shown=1, accepted=0, declined=1)]


async def press_on(chat: Chat, payload: str, at: datetime) -> None:
    """Press a button as if at ``at`` (the offer events take the message's time)."""
    inbound = Inbound(key=chat.key, user=chat.user, button=payload, kind="button", at=at)
    chat.last = await chat.app.engine.handle(inbound)


async def end_conversation(chat: Chat) -> None:
    conv = await chat.app.store.current_conversation(str(chat.key))
    assert conv is not None
    conv.status = State.ENDED
    await chat.app.store.save_conversation(conv)


@pytest.mark.parametrize(
    ("lang", "days_ago", "again"), [("en", 1, False), ("ko", 29, False), ("ja", 31, True)]
)
async def test_none_within_the_cooldown_after_a_decline(
    app: App, lang: str, days_ago: int, again: bool
) -> None:
    chat = Chat(app, user=f"cooldown-{lang}-{days_ago}")
    await rated(chat, lang)
    await press_on(chat, "offer:no:express", datetime.now(UTC) - timedelta(days=days_ago))
    assert (await chat.understood()).intent == "offer_decline"
    await end_conversation(chat)
    await rated(chat, lang)  # a new conversation
    assert bool(offers(chat)) is again


async def test_accepting_does_not_start_a_cooldown(app: App) -> None:
    chat = Chat(app, user="likes-it")
    await rated(chat, "en")
    await chat.press("offer:more:express")
    await end_conversation(chat)
    await rated(chat, "en")
    assert offers(chat)


async def test_none_when_the_turn_hands_off_or_the_conversation_was_handed_off(app: App) -> None:
    chat = Chat(app, user="handoff")
    await chat.say("How long does delivery take?")
    await chat.say("talk to a person")
    assert chat.handoffs
    await chat.say("thanks")
    await chat.press("feedback:5")
    assert not offers(chat)


# for the handoff work: a resolved ticket ------------------------------------------------


async def test_a_resolved_ticket_may_bring_an_offer_unless_the_customer_was_abusive(
    app: App,
) -> None:
    stage = install(app)
    chat = Chat(app, user="resolved")
    await chat.say("When will my order arrive?")
    await chat.say("talk to a person")
    conv = await app.store.current_conversation(str(chat.key))
    assert conv is not None
    conv.status = State.WITH_AGENT
    assert await stage.offer_on_resolution(conv) is None  # not while with the agent
    conv.status = State.ACTIVE
    offer = await stage.offer_on_resolution(conv)
    assert offer is not None and offer.offer_id == "express"
    assert await stage.offer_on_resolution(conv) is None  # once per conversation
    await app.store.save_conversation(conv)
    await chat.press("offer:more:express")
    assert await events(app) == [OfferStats("express", "en", shown=1, accepted=1, declined=0)]

    rude = Chat(app, user="rude")
    install(app, Moody("How long does delivery take?", flag="abuse"))
    await rude.say("How long does delivery take?")
    conv = await app.store.current_conversation(str(rude.key))
    assert conv is not None
    assert await stage.offer_on_resolution(conv) is None


class BrokenStore(OfferRepository):
    async def declined_since(self, customer_id: int, since: datetime) -> set[str]:
        raise StoreError("database is locked")

    async def awaiting_answer(self, customer_id: int, offer_id: str) -> tuple[int, str] | None:
        raise StoreError("database is locked")


async def test_a_failing_store_costs_the_offer_never_the_turn(app: App) -> None:
    stage = OfferStage(app.content, BrokenStore(app.store.engine), rng=random.Random(0))
    app.engine.stages = (stage,)
    chat = Chat(app, user="unlucky")
    await rated(chat, "en")
    assert not offers(chat) and chat.text.startswith("[feedback_thanks]")
    await chat.press("offer:no:express")  # an answer still gets its reply
    assert chat.text.startswith("[offer_declined]")


# the contract and the reports ---------------------------------------------------------


async def test_the_offer_in_the_jsonl_contract(app: App) -> None:
    chat = Chat(app, user="jsonl")
    await rated(chat, "en")
    [offer] = offers(chat)
    more, no = (
        f"[{n}] Thank you, we will help you." for n in ("offer_button_more", "offer_button_no")
    )
    assert render(offer, "u1") == {
        "type": "offer",
        "to": "u1",
        "offer_id": "express",
        "kind": "upsell",
        "text": "Express delivery gets it to you tomorrow.",
        "buttons": [
            {"label": more, "payload": "offer:more:express"},
            {"label": no, "payload": "offer:no:express"},
        ],
    }


async def test_shown_accepted_declined_per_offer_and_language(app: App) -> None:
    for n, (lang, answer) in enumerate([("en", "more"), ("en", "no"), ("ko", "no"), ("ja", "")]):
        chat = Chat(app, user=f"report-{n}")
        await rated(chat, lang)
        if answer:
            await chat.press(f"offer:{answer}:express")
    assert await events(app) == [
        OfferStats("express", "en", shown=2, accepted=1, declined=1),
        OfferStats("express", "ja", shown=1, accepted=0, declined=0),
        OfferStats("express", "ko", shown=1, accepted=0, declined=1),
    ]
    tallies = await OfferRepository(app.store.engine).tallies(["express"])
    assert (tallies["express"].shown, tallies["express"].accepted) == (4, 1)


# on the example content (Inkwell Books) ---------------------------------------------------


async def test_the_example_content_offers_express_shipping_in_three_languages(
    tmp_path: Path,
) -> None:
    app = await start_app(tmp_path)
    try:
        assert any(isinstance(s, OfferStage) for s in app.engine.stages)
        install(app)
        for lang, (question, thanks) in {
            "en": ("How long does delivery take?", "thanks!"),
            "ko": ("배송은 얼마나 걸리나요?", "감사합니다"),
            "ja": ("配送にはどのくらいかかりますか？", "ありがとうございます"),
        }.items():
            chat = Chat(app, user=f"inkwell-{lang}")
            await chat.say(question)
            await chat.say(thanks)
            assert not offers(chat)  # the rating question first
            await chat.press("feedback:5")
            assert [o.offer_id for o in offers(chat)] == ["express-shipping"], chat.last
            assert offers(chat)[0].text == app.content.offers["express-shipping"].pitch[lang]
    finally:
        await app.close()


async def test_the_real_guard_keeps_offers_from_an_abusive_customer(tmp_path: Path) -> None:
    app = await start_app(tmp_path)
    try:
        guard = Guard.open(app.content.root, app.store)
        app.engine.stages = (guard, offer_stage(app.content, app.store, rng=random.Random(0)))
        for lang, messages in {
            "en": ("How long does delivery take?", "you are a useless idiot", "thanks!"),
            "ko": ("배송은 얼마나 걸리나요?", "너 진짜 멍청하다", "감사합니다"),
            "ja": ("配送にはどのくらいかかりますか？", "お前はバカだ", "ありがとうございます"),
        }.items():
            chat = Chat(app, user=f"abusive-{lang}")
            for text in messages:
                await chat.say(text)
            await chat.press("feedback:5")
            assert not offers(chat), lang
            conv = await app.store.current_conversation(str(chat.key))
            assert conv is not None and "abuse" in conv.state["offers"]["blocked"]
    finally:
        await app.close()
