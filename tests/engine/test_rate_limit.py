"""A customer sending too fast: one polite slow-down, nothing lost, no reply storm."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import load_settings
from bot.models import Relay, Reply
from bot.ratelimit import RATE_LIMITED, Limit, RateStage, TokenBuckets, rate_stage
from tests.engine.test_handoff import hand_off
from tests.harness import Chat


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def chat(app: App) -> Chat:
    """A Telegram customer (the console and scripted driving are not limited)."""
    return Chat(app, user="mina", name="Mina", platform="telegram")


@pytest.fixture
def clock(app: App) -> Clock:
    """The app's limiter set to 3 per 10 s, bursts of 3, on a clock the test moves."""
    clock = Clock()
    [stage] = [s for s in app.engine.stages if isinstance(s, RateStage)]
    stage.limiter = TokenBuckets(Limit(messages=3, window=10, burst=3), clock=clock)
    return clock


#: Five more different messages, sent at once.
MORE = ["gift wrap too", "ebooks?", "order 777", "Sunday", "ok"]
SLOW_DOWN = {
    "en": "sending messages quickly",
    "ko": "빠르게 보내고 계시네요",
    "ja": "続けて届いています",
}
#: Three different things to say (the guard reads a repeated question as frustration).
SAID = {
    "en": ["hello", "How long does delivery take?", "thanks", "and returns?"],
    "ko": ["안녕하세요", "배송은 얼마나 걸리나요?", "감사합니다", "반품은요?"],
    "ja": ["こんにちは", "配送にはどのくらいかかりますか？", "ありがとうございます", "返品は？"],
}


@pytest.mark.parametrize("lang", ["en", "ko", "ja"])
async def test_a_flood_gets_one_polite_reply_and_every_message_is_kept(
    app: App, chat: Chat, clock: Clock, lang: str
) -> None:
    for text in SAID[lang][:3]:
        assert any(isinstance(a, Reply) for a in await chat.say(text))
    told = await chat.say(SAID[lang][3])
    [reply] = told
    assert isinstance(reply, Reply) and SLOW_DOWN[lang] in reply.text and "Mina" in reply.text
    for text in MORE:
        assert await chat.say(text) == []  # no reply storm
    held = await chat.recorded()
    inbound = [m for m in held if m.direction == "in"]
    assert len(inbound) == 9  # every message stored
    assert [m.intent for m in inbound[3:]] == [RATE_LIMITED] * 6
    assert inbound[-1].text == MORE[-1]

    clock.now += 4  # 4 s at 0.3 messages/s: one more message is within the limit
    answer = await chat.say(SAID[lang][1])
    assert chat.text and SLOW_DOWN[lang] not in chat.text
    assert any(isinstance(a, Reply) for a in answer)
    assert await chat.say(SAID[lang][0]) != []  # over again: a new burst is told once more
    assert SLOW_DOWN[lang] in chat.text


async def test_customers_are_limited_separately(app: App, chat: Chat, clock: Clock) -> None:
    other = Chat(app, user="jun", name="Jun", platform="telegram")
    for text in SAID["en"]:
        await chat.say(text)
    assert SLOW_DOWN["en"] in chat.text
    await other.say("hello")
    assert other.text and SLOW_DOWN["en"] not in other.text


async def test_a_conversation_with_an_agent_is_relayed_not_limited(
    app: App, chat: Chat, clock: Clock
) -> None:
    await hand_off(chat)
    for n in range(6):
        actions = await chat.say(f"are you there? {n}")
        assert [a.text for a in actions if isinstance(a, Relay)] == [f"are you there? {n}"]
        assert not any(isinstance(a, Reply) for a in actions)


async def test_the_limit_can_be_switched_off(tmp_path: Path) -> None:
    assert rate_stage(Limit(messages=0)) is None
    settings = load_settings(
        environ={"FRONTDESK_RATE_MESSAGES": "0"},
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'off.db'}",
    )
    app = await build_app(settings)
    try:
        assert not any(isinstance(s, RateStage) for s in app.engine.stages)
        chat = Chat(app, user="mina", platform="telegram")
        for n in range(12):
            await chat.say(SAID["en"][n % 4])
            assert chat.text and SLOW_DOWN["en"] not in chat.text
    finally:
        await app.close()


async def test_the_console_and_scripted_driving_are_not_limited(app: App, clock: Clock) -> None:
    for platform in ("console", "test"):
        local = Chat(app, user="ops", platform=platform)
        for n in range(6):
            await local.say(SAID["en"][n % 4])
            assert local.text and SLOW_DOWN["en"] not in local.text


async def test_token_buckets_refill_at_the_rate_up_to_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(messages=5, window=10, burst=2), clock=clock, size=2)
    assert [await buckets.allow("a") for _ in range(3)] == [True, True, False]
    clock.now += 1.9
    assert not await buckets.allow("a")
    clock.now += 0.1  # 2 s at 0.5/s: one token
    assert await buckets.allow("a") and not await buckets.allow("a")
    clock.now += 60  # never more than the burst
    assert [await buckets.allow("a") for _ in range(3)] == [True, True, False]
    await buckets.allow("b")
    await buckets.allow("c")  # "a" is forgotten beyond size 2: a full bucket again
    assert await buckets.allow("a")
