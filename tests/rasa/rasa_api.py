"""A stand-in for Rasa's HTTP API (``rasa run --enable-api``) on 127.0.0.1.

It answers ``POST /model/parse`` and ``GET /status`` the way Rasa 3.6 does, with
a parse result per text built by :func:`parse_result` (shaped like the recorded
``fixtures/parse_faq.json``); a text it was not told about gets an ``nlu_fallback``
result. It counts parses, and can answer late or with an HTTP error.

    async with FakeRasa() as rasa:
        rasa.results["hi"] = parse_result("hi", {"greet": 0.9, "faq": 0.1})
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from aiohttp import web


def parse_result(
    text: str, intents: Mapping[str, float], faq: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """What Rasa's ``/model/parse`` returns: intent ranking plus the ``faq`` selector's."""
    ranking = sorted(intents.items(), key=lambda kv: kv[1], reverse=True)
    entries = sorted((faq or {}).items(), key=lambda kv: kv[1], reverse=True)
    top, confidence = ranking[0]
    result: dict[str, Any] = {
        "text": text,
        "intent": {"name": top, "confidence": confidence},
        "entities": [],
        "text_tokens": [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "response_selector": {"all_retrieval_intents": []},
    }
    if entries:
        best = f"faq/{entries[0][0]}"
        result["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {
                    "responses": [{"text": "(an answer)"}],
                    "confidence": entries[0][1],
                    "intent_response_key": best,
                    "utter_action": f"utter_{best}",
                },
                "ranking": [
                    {"confidence": c, "intent_response_key": f"faq/{i}"} for i, c in entries
                ],
            },
        }
        if top == "faq":
            result["intent"]["full_retrieval_intent_name"] = best
    return result


class FakeRasa:
    """Rasa's parse endpoint with canned results; ``url`` once started."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}
        self.parsed: list[str] = []
        self.delay = 0.0
        self.status = 200
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/model/parse", self._parse)
        app.router.add_get("/status", self._status)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _parse(self, request: web.Request) -> web.Response:
        text = str((await request.json())["text"])
        self.parsed.append(text)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"status": "failure"}, status=self.status)
        fallback = parse_result(text, {"nlu_fallback": 0.3, "greet": 0.2})
        return web.json_response(self.results.get(text, fallback))

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response({"model_file": "models/frontdesk.tar.gz", "model_id": "x"})

    async def __aenter__(self) -> FakeRasa:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
