"""The real round trip: train Rasa 3.6 on a small content folder, serve it, and let the
bot answer through it; then stop it and see the bot fall back with a warning.

Needs Rasa's venv: ``FRONTDESK_RASA_VENV=/path/to/venv`` (CI sets it; see docs/rasa.md).
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_app
from bot.config import load_settings
from bot.content import load_content
from bot.rasa.project import write_project
from bot.rasa.server import RasaServer, train
from bot.rasa.venv import is_ready
from tests.harness import Chat
from tests.unit.contentkit import INTENTS, make_content, write

pytestmark = [pytest.mark.slow, pytest.mark.rasa]

QUESTION = "how many days does shipping take"
ANSWER = "Orders arrive in 2 to 4 business days."


def rasa_venv() -> Path:
    value = os.environ.get("FRONTDESK_RASA_VENV")
    if not value:
        pytest.skip("FRONTDESK_RASA_VENV is not set (a venv with rasa==3.6.*, see docs/rasa.md)")
    venv = Path(value)
    if not is_ready(venv):
        pytest.fail(f"FRONTDESK_RASA_VENV={venv} has no Rasa 3.6")
    return venv


def small_content(root: Path) -> Path:
    """Three intents and the two FAQ entries of the test kit."""
    make_content(root)
    lines = ['version: "3.1"', "nlu:"]
    for intent in ("greet", "goodbye", "human"):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for texts in INTENTS[intent] for text in texts]
    write(root, "intents/builtin.yml", "\n".join(lines) + "\n")
    return root


def rasa_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.nlu.rasa"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_bot_answers_through_rasa_and_falls_back_when_it_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    venv = rasa_venv()
    content_dir = small_content(tmp_path / "content")
    project = tmp_path / "rasa"
    write_project(load_content(content_dir), project, epochs=30)
    await train(venv, project, log=tmp_path / "train.log")
    server = RasaServer(venv, project, port=free_port(), log=tmp_path / "rasa.log")
    settings = load_settings(
        environ={},
        content_dir=content_dir,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}",
        nlu="rasa",
        rasa_url=server.url,
    )
    app = await build_app(settings)
    try:
        await server.start()
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{server.url}/model/parse", json={"text": QUESTION}) as resp:
                rasa_says = await resp.json()
            # Rasa on its own answers the FAQ too (rules.yml, the REST channel)
            hook = f"{server.url}/webhooks/rest/webhook"
            async with http.post(hook, json={"sender": "s1", "message": QUESTION}) as resp:
                assert [m["text"] for m in await resp.json()] == [ANSWER]
        assert rasa_says["intent"]["full_retrieval_intent_name"] == "faq/shipping-time"

        mina = Chat(app, user="mina")
        with caplog.at_level(logging.WARNING, logger="bot.nlu.rasa"):
            await mina.say(QUESTION)
        assert mina.text == ANSWER
        understood = await mina.understood()
        assert understood.faq_id == "shipping-time"
        [entry] = [
            r["confidence"]
            for r in rasa_says["response_selector"]["faq"]["ranking"]
            if r["intent_response_key"] == "faq/shipping-time"
        ]
        # the score the bot recorded is Rasa's, not the embedded NLU's
        assert understood.confidence == pytest.approx(rasa_says["intent"]["confidence"] * entry)
        assert not rasa_warnings(caplog)

        await server.stop()
        jun = Chat(app, user="jun")
        with caplog.at_level(logging.WARNING, logger="bot.nlu.rasa"):
            await jun.say(QUESTION)
        assert jun.text == ANSWER  # the embedded NLU answered
        [warning] = rasa_warnings(caplog)
        assert server.url in warning and "embedded NLU" in warning
    finally:
        await server.stop()
        await app.close()
