"""Rasa as the NLU: ask a running ``rasa run --enable-api`` server, fall back when it is down.

Rasa ranks intents (one of them the retrieval intent ``faq``) and, in its
``ResponseSelector``, the FAQ entries ``faq/<id>``. Both become our labels: an
intent keeps its name, an entry becomes ``faq:<id>`` with the score
P(faq) × P(entry | faq), so one ranked list holds both, as the embedded NLU's does.
Rasa's ``nlu_fallback`` is dropped: the engine's thresholds decide that.

When the server cannot be reached (refused, timeout, HTTP error, a reply not in
Rasa's shape) the message goes to the fallback NLU, a warning is logged once per
outage, and the server is tried again after ``retry_after`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp

from bot.nlu import NLU, Example, Scored
from bot.policy import FAQ_PREFIX

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:5005"
RETRIEVAL_INTENT = "faq"
LABEL_PREFIX = FAQ_PREFIX
IGNORED = frozenset({"nlu_fallback"})


class RasaReplyError(ValueError):
    """The server answered, but not with a parse result."""


def ranked_labels(result: Mapping[str, Any], *, k: int = 5) -> list[Scored]:
    """Rasa's ``/model/parse`` result as our best-first labels (``greet``, ``faq:<id>``)."""
    try:
        intents = [(str(i["name"]), float(i["confidence"])) for i in result["intent_ranking"]]
        selectors = result.get("response_selector") or {}
        selector = selectors.get(RETRIEVAL_INTENT) or selectors.get("default") or {}
        entries = [
            (str(r["intent_response_key"]), float(r["confidence"]))
            for r in selector.get("ranking") or []
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RasaReplyError(f"not a Rasa parse result: {exc!r}") from None
    scored: list[Scored] = []
    p_faq = 0.0
    for name, confidence in intents:
        if name == RETRIEVAL_INTENT:
            p_faq = confidence
        elif name not in IGNORED:
            scored.append(Scored(name, confidence))
    prefix = f"{RETRIEVAL_INTENT}/"
    for key, confidence in entries:
        if key.startswith(prefix):
            scored.append(Scored(f"{LABEL_PREFIX}{key[len(prefix) :]}", p_faq * confidence))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored[:k]


class RasaNLU:
    """The :class:`~bot.nlu.NLU` protocol over Rasa's HTTP API, with a fallback NLU.

    ``fit`` trains the fallback only: the Rasa model is trained apart
    (``frontdesk rasa train``), in Rasa's own environment.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        fallback: NLU,
        timeout: float = 3.0,
        retry_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url.rstrip("/")
        self.fallback = fallback
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.retry_after = retry_after
        self.clock = clock
        self._down_until: float | None = None  # monotonic time of the next try while down
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def server_up(self) -> bool:
        """Whether the last attempt reached the server."""
        return self._down_until is None

    def fit(self, examples: Sequence[Example]) -> None:
        self.fallback.fit(examples)

    async def parse(self, text: str, *, k: int = 5) -> list[Scored]:
        if self._down_until is not None and self.clock() < self._down_until:
            return await self.fallback.parse(text, k=k)
        try:
            result = await self._post(text)
            ranked = ranked_labels(result, k=k)
        except (aiohttp.ClientError, TimeoutError, RasaReplyError) as exc:
            if self._down_until is None:
                log.warning(
                    "Rasa NLU server at %s is unavailable (%s); using the embedded NLU "
                    "and trying the server again every %.0f s",
                    self.url, _describe(exc), self.retry_after,
                )  # fmt: skip
            self._down_until = self.clock() + self.retry_after
            return await self.fallback.parse(text, k=k)
        if self._down_until is not None:
            log.warning("Rasa NLU server at %s is back; using it again", self.url)
            self._down_until = None
        return ranked

    async def _post(self, text: str) -> Mapping[str, Any]:
        session = self._session_for_loop()
        async with session.post(f"{self.url}/model/parse", json={"text": text}) as resp:
            resp.raise_for_status()
            try:
                result = await resp.json(content_type=None)
            except ValueError as exc:
                raise RasaReplyError(f"invalid JSON: {exc}") from None
        if not isinstance(result, dict):
            raise RasaReplyError("the reply is not a JSON object")
        return result

    def _session_for_loop(self) -> aiohttp.ClientSession:
        """One pooled session per event loop (a bench may run several loops in turn)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._loop = loop
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (the fallback holds nothing to close)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return str(exc) or type(exc).__name__
