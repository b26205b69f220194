"""The bot with ``nlu = "rasa"``: Rasa's rankings become our labels; the embedded NLU
answers while the server is down, with a warning, and the server is tried again."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import load_settings
from bot.errors import ConfigError
from bot.nlu import Scored
from bot.nlu.rasa import RasaNLU, RasaReplyError, ranked_labels
from tests.harness import Chat
from tests.rasa.rasa_api import FakeRasa, parse_result
from tests.unit.contentkit import make_content

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPING = "Orders arrive in 2 to 4 business days."
RETURNS = "You can return any item within 30 days for a full refund."


def test_a_recorded_rasa_result_ranks_faq_entries_with_intents() -> None:
    result = json.loads((FIXTURES / "parse_faq.json").read_text(encoding="utf-8"))
    ranked = ranked_labels(result, k=3)
    assert [s.label for s in ranked] == ["faq:shipping-time", "complaint", "human"]
    assert ranked[0].score == pytest.approx(0.98314, abs=1e-5)  # P(faq) × P(entry | faq)


def test_entry_scores_are_weighted_by_the_faq_intent_and_fallback_is_dropped() -> None:
    result = parse_result(
        "x", {"nlu_fallback": 0.3, "faq": 0.5, "greet": 0.4}, {"returns": 0.6, "shipping": 0.4}
    )
    assert ranked_labels(result) == [
        Scored("greet", 0.4),
        Scored("faq:returns", 0.3),
        Scored("faq:shipping", 0.2),
    ]


def test_a_default_selector_counts_as_the_faq_one() -> None:
    result = parse_result("x", {"faq": 1.0}, {"returns": 1.0})
    result["response_selector"]["default"] = result["response_selector"].pop("faq")
    assert ranked_labels(result) == [Scored("faq:returns", 1.0)]


def test_a_reply_not_shaped_like_rasa_is_refused() -> None:
    with pytest.raises(RasaReplyError):
        ranked_labels({"intent": "greet"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def rasa_app(tmp_path: Path, url: str) -> App:
    settings = load_settings(
        environ={},
        content_dir=make_content(tmp_path / "content"),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
        nlu="rasa",
        rasa_url=url,
    )
    return await build_app(settings)


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    async with FakeRasa() as fake:
        yield fake


@pytest.fixture
async def app(tmp_path: Path, rasa: FakeRasa) -> AsyncIterator[App]:
    app = await rasa_app(tmp_path, rasa.url)
    yield app
    await app.close()


def client(app: App) -> RasaNLU:
    assert isinstance(app.engine.nlu, RasaNLU)
    return app.engine.nlu


async def test_the_bot_answers_what_rasa_understood(app: App, rasa: FakeRasa) -> None:
    # the embedded NLU would pick shipping; Rasa says returns, and Rasa is asked
    question = "When will my order arrive?"
    rasa.results[question] = parse_result(question, {"faq": 0.95, "greet": 0.05}, {"returns": 0.9})
    chat = Chat(app, user="mina")
    await chat.say(question)
    assert chat.text == RETURNS
    assert rasa.parsed == [question]
    understood = await chat.understood()
    assert understood.faq_id == "returns"
    assert understood.confidence == pytest.approx(0.855)


async def test_server_errors_fall_back_with_one_warning_then_retry(
    app: App, rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    question = "When will my order arrive?"
    rasa.results[question] = parse_result(question, {"faq": 0.95, "greet": 0.05}, {"returns": 0.9})
    rasa.status = 500
    now = [1000.0]
    client(app).clock = lambda: now[0]
    chat = Chat(app, user="mina")
    with caplog.at_level(logging.WARNING, logger="bot.nlu.rasa"):
        await chat.say(question)
        assert chat.text == SHIPPING  # the embedded NLU's answer
        await Chat(app, user="jun").say("How long does delivery take?")
    assert rasa.parsed == [question]  # the second message did not wait on the server
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.nlu.rasa"]
    assert len(warnings) == 1
    assert rasa.url in warnings[0] and "embedded NLU" in warnings[0]
    rasa.status = 200
    now[0] += client(app).retry_after  # the retry interval has passed
    caplog.clear()
    other = Chat(app, user="jun")  # a repeated question would read as frustration
    with caplog.at_level(logging.WARNING, logger="bot.nlu.rasa"):
        await other.say(question)
    assert other.text == RETURNS
    assert "back" in [r for r in caplog.records if r.name == "bot.nlu.rasa"][-1].getMessage()


async def test_a_slow_server_times_out_into_the_fallback(app: App, rasa: FakeRasa) -> None:
    rasa.delay = 1.0
    nlu = client(app)
    nlu.timeout = type(nlu.timeout)(total=0.1)
    chat = Chat(app, user="mina")
    await chat.say("When will my order arrive?")
    assert chat.text == SHIPPING
    assert not nlu.server_up


async def test_no_server_at_all_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    app = await rasa_app(tmp_path, url)
    try:
        chat = Chat(app, user="mina")
        with caplog.at_level(logging.WARNING, logger="bot.nlu.rasa"):
            await chat.say("반품은 어떻게 하나요?")
        assert chat.text == "30일 이내에 반품하시면 전액 환불해 드립니다."
        assert any(url in r.getMessage() for r in caplog.records if r.name == "bot.nlu.rasa")
    finally:
        await app.close()


async def test_an_unknown_nlu_setting_is_refused(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"FRONTDESK_NLU": "spacy"},
        content_dir=make_content(tmp_path / "content"),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
    )
    with pytest.raises(ConfigError, match="FRONTDESK_NLU"):
        await build_app(settings)


def test_rasa_url_comes_from_the_environment() -> None:
    settings = load_settings(environ={"FRONTDESK_RASA_URL": "http://rasa:5005"})
    assert settings.rasa_url == "http://rasa:5005"
    assert load_settings(environ={}).rasa_url == "http://127.0.0.1:5005"
