"""The guard through whole turns, in en/ko/ja: each rule of issue 4 on the engine.

A small content folder (contentkit's intents and templates, the shipped guard
replies; the shipped word lists through the default-content fallback) and one
app for the module keep this fast; every test is its own customer.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import App
from bot.config import default_content_dir
from bot.guard import Guard, GuardRepository
from bot.models import End, Flag, State
from bot.turn import Mood, Turn
from tests.harness import Chat, start_app
from tests.unit.contentkit import make_content

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUESTION = {
    "en": "How long does delivery take?",
    "ko": "배송은 얼마나 걸리나요?",
    "ja": "配送にはどのくらいかかりますか？",
}
RISING = {
    "en": (
        "It still hasn't arrived, this is ridiculous!!",
        "Seriously? I've waited two weeks, useless",
    ),
    "ko": ("아직도 안 왔어요 진짜 어이없네요!!", "2주째 기다리는데 장난하세요?? 최악이네"),
    "ja": (
        "まだ届きません。ありえないです！！",
        "2週間も待ってるんですけど、ふざけてるんですか？最悪",
    ),
}
MILD = {
    "en": "ugh, my parcel is late",
    "ko": "택배가 좀 늦네요",
    "ja": "荷物が少し遅れているようです",
}
ABUSE = {
    "en": ("you stupid bot", "fuck off"),
    "ko": ("이 멍청한 봇아", "닥쳐"),
    "ja": ("お前バカか", "死ね"),
}
HELLO = {"en": "hello", "ko": "안녕하세요", "ja": "こんにちは"}
THREATS = {
    "en": ("I will sue you, see you in court", "I know where you are, I'll come and hurt you"),
    "ko": ("소송 걸 거예요 고소하겠습니다", "죽여버린다 찾아가겠다"),
    "ja": ("弁護士に相談して訴えます", "殺すぞ、会社まで行くからな"),
}
DISGUISED = [
    ("en", "f*ck you"),
    ("en", "ｆｕｃｋ ｙｏｕ"),
    ("en", "f u c k you"),
    ("en", "sh1t bot"),
    ("en", "you're a f**king idiot"),
    ("ko", "ㅅㅂ 너 뭐하냐"),
    ("ko", "ㅆㅂ 니가 뭔데"),
    ("ko", "시1발 상담원 새끼야"),
    ("ko", "씨bal 니가 뭘 알아"),
    ("ko", "시 발 너 진짜"),
    ("ja", "ﾊﾞｶ"),
    ("ja", "死*ね"),
    ("ja", "お 前 バ カ だ ろ"),
]
LANGS = ("en", "ko", "ja")


class Recorder:
    """Keeps the mood each turn ended with (what the offers stage reads)."""

    def __init__(self) -> None:
        self.moods: list[Mood] = []

    async def before(self, turn: Turn) -> None:
        return None

    async def after(self, turn: Turn) -> None:
        self.moods.append(turn.mood)


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_content(tmp_path_factory.mktemp("guard") / "content")
    shutil.copy(default_content_dir() / "responses" / "guard.yml", root / "responses")
    return root


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory, content: Path) -> AsyncIterator[App]:
    app = await start_app(tmp_path_factory.mktemp("db"), content)
    yield app
    await app.close()


@pytest.fixture
def chat(app: App, request: pytest.FixtureRequest) -> Chat:
    return Chat(app, user=request.node.name, name="Mina")


@pytest.fixture
def recorder(app: App) -> Recorder:
    recorder = Recorder()
    others = [s for s in app.engine.stages if not isinstance(s, Recorder)]
    app.engine.stages = (*others, recorder)
    return recorder


def said(chat: Chat, template: str, lang: str = "en") -> bool:
    """Whether the last turn's replies include a variant of ``template``."""
    variants = chat.app.content.templates[template].variants[lang]
    heads = [v.split("{topic}")[0].replace("{name}", "Mina")[:12] for v in variants]
    return any(head and head in chat.text for head in heads)


def guard(app: App) -> Guard:
    return next(s for s in app.engine.stages if isinstance(s, Guard))


def of(chat: Chat, kind: type) -> list:  # type: ignore[type-arg]
    return [a for a in chat.last if isinstance(a, kind)]


async def state(chat: Chat) -> dict:  # type: ignore[type-arg]
    conv = await chat.app.store.current_conversation(str(chat.key))
    assert conv is not None
    return dict(conv.state.get("guard") or {})


# frustration -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_rising_frustration_is_acknowledged_then_handed_off(chat: Chat, lang: str) -> None:
    await chat.say(QUESTION[lang])
    assert not chat.handoffs
    await chat.say(RISING[lang][0])
    assert said(chat, "guard_frustration", lang)
    assert QUESTION[lang] in chat.text  # repeats back what was asked, in their words
    assert "human" in chat.buttons
    assert not chat.handoffs
    await chat.say(RISING[lang][1])
    assert said(chat, "guard_handoff", lang)
    [handoff] = chat.handoffs
    assert (handoff.reason, handoff.priority) == ("frustration", "high")
    assert QUESTION[lang] in handoff.summary  # the problem, in the customer's own words


@pytest.mark.parametrize("lang", LANGS)
async def test_a_single_mild_complaint_is_not_handed_off(
    chat: Chat, recorder: Recorder, lang: str
) -> None:
    await chat.say(MILD[lang])
    assert not [h for h in chat.handoffs if h.reason == "frustration"]
    assert not said(chat, "guard_frustration", lang)
    memory = await state(chat)
    assert 0 < memory["level"] < guard(chat.app).settings.frustration.offer
    assert not recorder.moods[-1].abuse


UPSET_ASKING = {
    "en": "THIS IS USELESS!!! I WANT A HUMAN",
    "ko": "진짜 최악이에요 상담원 연결해 주세요!!",
    "ja": "最悪です。担当者をお願いします！！",
}


@pytest.mark.parametrize("lang", LANGS)
async def test_upset_and_asking_for_a_person_is_handed_off_at_once(chat: Chat, lang: str) -> None:
    await chat.say(UPSET_ASKING[lang])
    assert said(chat, "guard_handoff", lang)
    assert "human" not in chat.buttons  # no offer of what they just asked for
    assert UPSET_ASKING[lang] not in chat.text  # nor their demand quoted back as the topic
    [handoff] = chat.handoffs
    assert (handoff.reason, handoff.priority) == ("customer_request", "high")


async def test_accepting_the_offer_hands_off(chat: Chat) -> None:
    await chat.say(QUESTION["en"])
    await chat.say(RISING["en"][0])
    assert "human" in chat.buttons
    await chat.press("human")
    [handoff] = chat.handoffs
    assert handoff.reason == "frustration"


async def test_the_mood_tells_the_offers_stage_not_to_sell(chat: Chat, recorder: Recorder) -> None:
    await chat.say(QUESTION["en"])
    assert not recorder.moods[-1].upset
    await chat.say("this is ridiculous")
    assert recorder.moods[-1].upset and recorder.moods[-1].frustration > 0


async def test_swearing_about_a_situation_is_frustration_not_abuse(
    chat: Chat, recorder: Recorder
) -> None:
    await chat.say("this damn parcel is late")
    assert not of(chat, Flag) and not of(chat, End)
    assert not said(chat, "guard_stop")
    memory = await state(chat)
    assert memory["strikes"] == 0
    assert memory["level"] > 0
    assert recorder.moods[-1].upset and not recorder.moods[-1].abuse


# abuse ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_abuse_is_asked_to_stop_then_ended_and_flagged(chat: Chat, lang: str) -> None:
    first, again = ABUSE[lang]
    await chat.say(first)
    assert said(chat, "guard_stop", lang)
    assert first not in chat.text  # never repeats the abuse
    assert not of(chat, End) and not of(chat, Flag)
    await chat.say(again)
    assert said(chat, "guard_end", lang)
    assert [e.reason for e in of(chat, End)] == ["abuse"]
    [flag] = of(chat, Flag)
    assert flag.kind == "abuse" and flag.reason
    assert await chat.app.store.current_conversation(str(chat.key)) is None  # ended
    customer = await chat.app.store.customer("test", chat.user)
    [stored] = await GuardRepository(chat.app.store.engine).flags(customer.id)
    assert stored.messages == (first, again)

    await chat.say(HELLO[lang])  # they come back: served, politely, flag shown to agents
    assert chat.text and not of(chat, End)
    memory = await state(chat)
    assert [f["kind"] for f in memory["flags"]] == ["abuse"]
    assert memory["customer_type"] == "active_hater"
    conv = await chat.app.store.current_conversation(str(chat.key))
    assert conv is not None and conv.status is State.ACTIVE
    note = guard(chat.app).describe(conv.state, lang)
    assert "abuse" in note and guard(chat.app).content.types["active_hater"].label[lang] in note


async def test_first_abuse_with_a_question_still_gets_an_answer(chat: Chat) -> None:
    await chat.say("fuck you, how long does delivery take?")
    assert said(chat, "guard_stop")
    assert (await chat.understood()).faq_id == "shipping-time"


@pytest.mark.parametrize(("lang", "text"), DISGUISED)
async def test_disguised_abuse_is_caught(
    chat: Chat, recorder: Recorder, lang: str, text: str
) -> None:
    await chat.say(text)
    assert recorder.moods[-1].abuse
    assert said(chat, "guard_stop", lang)


# threats -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("which", "kind"), [(0, "legal"), (1, "physical")])
async def test_threats_are_escalated_and_reported(
    chat: Chat, lang: str, which: int, kind: str
) -> None:
    await chat.say(THREATS[lang][which])
    assert said(chat, "guard_threat", lang)
    [handoff] = chat.handoffs
    assert (handoff.reason, handoff.priority) == ("threat", "urgent")
    [flag] = of(chat, Flag)
    assert flag.kind == "threat" and kind in flag.reason
    customer = await chat.app.store.customer("test", chat.user)
    [stored] = await GuardRepository(chat.app.store.engine).flags(customer.id)
    assert stored.kind == "threat" and stored.messages == (THREATS[lang][which],)


async def test_with_an_agent_a_threat_is_only_reported(chat: Chat) -> None:
    await chat.say(QUESTION["en"])
    conv = await chat.app.store.current_conversation(str(chat.key))
    assert conv is not None
    conv.status = State.WITH_AGENT
    await chat.app.store.save_conversation(conv)
    await chat.say("I'll kill you")
    assert [f.kind for f in of(chat, Flag)] == ["threat"]
    assert not [h for h in chat.handoffs if h.reason == "threat"]
    assert not said(chat, "guard_threat")
