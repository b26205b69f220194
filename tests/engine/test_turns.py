"""Whole turns through the engine with the example content."""

from pathlib import Path

import pytest

from bot.app import App
from tests.harness import Chat, start_app

FORBIDDEN = ("I don't know", "모르겠", "わかりません", "分かりません", "知りません")


@pytest.mark.parametrize(
    ("hello", "lang_word"),
    [("hello!", "Mina"), ("안녕하세요", "Mina님"), ("こんにちは", "Mina様")],
)
async def test_greets_by_name_in_the_customers_language(
    chat: Chat, hello: str, lang_word: str
) -> None:
    await chat.say(hello)
    assert lang_word in chat.text
    assert (await chat.understood()).intent == "greet"


@pytest.mark.parametrize(
    ("question", "faq_id"),
    [
        ("how long until my parcel gets here?", "shipping-time"),
        ("주문한 책 언제 도착해요?", "shipping-time"),
        ("注文した本はいつ届きますか", "shipping-time"),
    ],
)
async def test_answers_faq_by_meaning(chat: Chat, question: str, faq_id: str) -> None:
    await chat.say(question)
    got = await chat.understood()
    assert got.faq_id == faq_id, chat.text
    assert chat.text == chat.app.content.faq[faq_id].answer[got.language or "en"]


async def test_thanks_after_an_answer_asks_for_feedback_once(chat: Chat) -> None:
    await chat.say("how long does delivery take?")
    await chat.say("thanks!")
    assert chat.buttons == [f"feedback:{n}" for n in range(1, 6)]
    await chat.press("feedback:5")
    assert (await chat.understood()).intent == "feedback"
    assert await chat.app.store.feedback((await chat.recorded())[0].conversation_id) == [5]
    await chat.say("thank you")
    assert not chat.buttons


async def test_typed_rating_counts_after_the_question(chat: Chat) -> None:
    await chat.say("how long does delivery take?")
    await chat.say("thanks")
    await chat.say("4")
    assert (await chat.understood()).intent == "feedback"


async def test_thanks_without_an_answer_asks_no_feedback(chat: Chat) -> None:
    await chat.say("thank you so much")
    assert not chat.buttons


async def test_nothing_fits_promises_to_find_out_and_hands_off(chat: Chat) -> None:
    await chat.say("my neighbour's parrot keeps singing opera at 3am")
    assert [h.reason for h in chat.handoffs] == ["no_answer"]
    assert chat.text and not any(f.lower() in chat.text.lower() for f in FORBIDDEN)


async def test_asks_for_a_person(chat: Chat) -> None:
    await chat.say("can I talk to a real person please")
    assert [h.reason for h in chat.handoffs] == ["customer_request"]


async def test_bot_challenge_says_it_is_a_bot_and_offers_a_person(chat: Chat) -> None:
    await chat.say("are you a bot?")
    assert "human" in chat.buttons
    await chat.press("human")
    assert chat.handoffs


async def test_clarify_button_answers_the_chosen_entry(chat: Chat) -> None:
    entry = next(iter(chat.app.content.faq.values()))
    await chat.press(f"faq:{entry.id}")
    assert chat.text == entry.answer["en"]
    assert (await chat.understood()).faq_id == entry.id


@pytest.mark.parametrize(
    ("kwargs", "template"),
    [
        ({"text": ""}, "empty"),
        ({"text": "   \n\t "}, "empty"),
        ({"text": "\x00\x01\x02"}, "empty"),
        ({"text": "", "kind": "sticker"}, "non_text"),
        ({"text": "a" * 100_000}, "too_long"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_is_kept(
    chat: Chat, kwargs: dict[str, str], template: str
) -> None:
    extra = dict(kwargs)
    text = extra.pop("text")
    await chat.say(text, **extra)
    variants = chat.app.content.templates[template].variants["en"]
    assert chat.text in variants
    assert len(await chat.recorded()) == 2  # the message and the answer


async def test_unknown_button(chat: Chat) -> None:
    await chat.press("expired:thing")
    assert chat.text in chat.app.content.templates["unknown_button"].variants["en"]


async def test_emoji_only_and_mixed_language_do_not_crash(chat: Chat) -> None:
    await chat.say("🙂🙂🙂")
    assert chat.text
    await chat.say("hello 배송 언제 와요 配送")
    assert chat.text


async def test_a_returning_customer_is_recognised_after_a_restart(tmp_path: Path) -> None:
    first = await start_app(tmp_path)
    await Chat(first, user="kim", name="Kim").say("안녕하세요")
    conv = await first.store.current_conversation("test:kim")
    assert conv is not None
    conv.status = conv.status.ENDED
    await first.store.save_conversation(conv)
    await first.close()

    second = await start_app(tmp_path)
    chat = Chat(second, user="kim", name="Kim")
    await chat.say("안녕하세요")
    assert chat.text in [
        t.replace("{name}", "Kim")
        for t in second.content.templates["greet_returning"].variants["ko"]
    ]
    await second.close()


async def test_language_follows_each_message(chat: Chat, app: App) -> None:
    await chat.say("hello")
    await chat.say("配送料はいくらですか")
    assert (await chat.understood()).language == "ja"
