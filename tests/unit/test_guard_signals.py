"""What one message shows, read with the shipped word lists (handoff/guard/)."""

import pytest

from bot.config import default_content_dir
from bot.guard.content import load_guard
from bot.guard.signals import Reader


@pytest.fixture(scope="module")
def reader() -> Reader:
    guard = load_guard(default_content_dir())
    return Reader(guard.lexicons, guard.settings)


ABUSE = [
    ("en", "fuck you"),
    ("en", "you stupid bot"),
    ("en", "are you an idiot?"),
    ("en", "you're a fucking moron"),
    ("en", "idiot!!!"),
    ("en", "bitch, answer my question"),
    ("en", "your agents are lazy idiots"),
    ("ko", "ㅅㅂ 너 뭐하냐"),
    ("ko", "병신아"),
    ("ko", "상담원 새끼들 다 똑같네"),
    ("ko", "쓰레기 같은 봇"),
    ("ko", "닥쳐"),
    ("ja", "お前バカか"),
    ("ja", "死ね"),
    ("ja", "二度と話しかけるなボケ"),
    ("ja", "クソ担当者"),
    ("ja", "スタッフ全員クズ"),
]
NOT_ABUSE = [
    ("en", "this damn parcel is late"),
    ("en", "what the fuck is taking so long"),
    ("en", "can you find my fucking parcel"),
    ("en", "I'm such an idiot, I forgot my password"),
    ("en", "Do you have The Idiot by Dostoevsky?"),
    ("en", "thank you so much"),
    ("ko", "ㅅㅂ 택배 언제 와"),
    ("ko", "병신 같은 시스템"),
    ("ko", "내가 바보지"),
    ("ko", "전자책 리더기가 자꾸 꺼져요"),
    ("ko", "시발점이 어디예요"),
    ("ja", "クソ遅い"),
    ("ja", "バカみたいな対応"),
    ("ja", "私がバカでした"),
    ("ja", "同じ回答ばかり"),
    ("ja", "カスタマーサポート"),
]


@pytest.mark.parametrize(("lang", "text"), ABUSE)
def test_abuse_aimed_at_the_bot_or_staff(reader: Reader, lang: str, text: str) -> None:
    reading = reader.read(text, lang)
    assert reading.abuse
    assert not reading.clean


@pytest.mark.parametrize(("lang", "text"), NOT_ABUSE)
def test_not_abuse(reader: Reader, lang: str, text: str) -> None:
    assert not reader.read(text, lang).abuse


def test_swearing_about_a_situation_is_frustration(reader: Reader) -> None:
    reading = reader.read("this damn parcel is late", "en")
    assert reading.added > 0 and not reading.abuse


@pytest.mark.parametrize(
    ("lang", "text", "kind"),
    [
        ("en", "I will sue you", "legal"),
        ("en", "I'm calling my lawyer", "legal"),
        ("en", "I'll kill you", "physical"),
        ("en", "I'm going to burn down your store", "physical"),
        ("ko", "고소하겠습니다", "legal"),
        ("ko", "소비자원에 신고할 거예요", "legal"),
        ("ko", "죽여버린다", "physical"),
        ("ko", "찾아가겠다", "physical"),
        ("ja", "弁護士に相談します", "legal"),
        ("ja", "消費者センターに連絡します", "legal"),
        ("ja", "殺すぞ", "physical"),
        ("ja", "会社を爆破する", "physical"),
    ],
)
def test_threats(reader: Reader, lang: str, text: str, kind: str) -> None:
    assert reader.read(text, lang).threat == kind


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I read thrillers to kill time"),
        ("en", "do you sell books about lawyers?"),
        ("ko", "분실 신고하려고요"),
        ("ko", "폭탄세일 언제 해요?"),
        ("ja", "脂肪を燃やす本はありますか"),
    ],
)
def test_no_threat(reader: Reader, lang: str, text: str) -> None:
    assert reader.read(text, lang).threat is None


def test_signs_of_frustration_add_up(reader: Reader) -> None:
    calm = reader.read("How long does delivery take?", "en")
    mild = reader.read("ugh, my parcel is late", "en")
    angry = reader.read("THIS IS RIDICULOUS!!! WHERE IS MY ORDER", "en")
    assert calm.added == 0
    assert 0 < mild.added < angry.added
    assert {"strong", "shouting", "exclamations"} <= set(angry.reasons)
    assert "annoyed_marks" in reader.read("아직도 안 왔어요 ㅡㅡ", "ko").reasons
    assert "rejection" in reader.read("that's not what I asked", "en").reasons


def test_replies_to_an_offer(reader: Reader) -> None:
    assert reader.read("yes please", "en").accept
    assert reader.read("네 연결해 주세요", "ko").accept
    assert reader.read("はい、お願いします", "ja").accept
    assert reader.read("no thanks", "en").decline
    assert not reader.read("I said yes to the newsletter", "en").accept
    assert reader.read("can I talk to a real person", "en").person


def test_substance_decides_whether_the_rest_is_answered(reader: Reader) -> None:
    assert reader.read("fuck you, how long does delivery take?", "en").substance
    assert not reader.read("fuck you", "en").substance


def test_other_scripts_are_read_too(reader: Reader) -> None:
    assert reader.read("fuck you 빨리 환불해", "ko").abuse
