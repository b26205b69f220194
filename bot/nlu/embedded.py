"""The default NLU: TF-IDF + sentence embeddings, fused, calibrated, in-process."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.nlu import Example, Scored
from bot.nlu.calibration import PRIOR, Calibration, fit_platt, stratified_folds
from bot.nlu.encoder import Encoder, use_encoder
from bot.nlu.ranker import Ranker, Weights
from bot.nlu.sparse import Analyzed, SparseFeatures, analyze
from bot.nlu.text import normalize

#: Folds for calibration; stop once this many held-out predictions are in.
FOLDS = 3
CALIBRATION_SAMPLES = 2000
#: In each fold one label in this many is left out of training altogether, so
#: that its held-out examples stand for messages the bot knows nothing about.
UNKNOWN_EVERY = 7


@dataclass(frozen=True, slots=True)
class _Fitted:
    labels: tuple[str, ...]
    features: SparseFeatures
    ranker: Ranker
    calibration: Calibration


class EmbeddedNLU:
    """Ranks intents and FAQ entries together; see :mod:`bot.nlu.ranker` for the model.

    ``fit`` builds a new model and swaps it in at the end, so a re-fit in a
    worker thread never disturbs parses running meanwhile. The fitted model
    lives in this process only (n-grams are hashed with Python's salted
    ``hash``); nothing is written to disk.
    """

    def __init__(self, *, encoder: Encoder | None = None, weights: Weights | None = None) -> None:
        self._encoder = encoder
        self._weights = weights or Weights()
        self._fitted: _Fitted | None = None
        #: Parses waiting for the next batch: query, k, where the answer goes; and the
        #: event loop whose ready callbacks will run that batch.
        self._waiting: list[tuple[str, int, asyncio.Future[list[Scored]]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = use_encoder()
        return self._encoder

    @property
    def calibration(self) -> Calibration | None:
        """The fitted score mapping (``None`` before ``fit``)."""
        return self._fitted.calibration if self._fitted else None

    def fit(self, examples: Sequence[Example]) -> None:
        """Train on the examples (blocking, CPU; ~1 s per 1,000 examples on one core)."""
        pairs = [(text, e.label) for e in examples if (text := normalize(e.text))]
        if not pairs:
            self._fitted = None
            return
        texts = [t for t, _ in pairs]
        labels = tuple(sorted({label for _, label in pairs}))
        index = {label: i for i, label in enumerate(labels)}
        y = np.array([index[label] for _, label in pairs])
        docs = [analyze(t) for t in texts]
        dense = self.encoder.encode(texts)
        weights = self._weights.for_examples(float(np.median(np.bincount(y))))
        calibration = self._calibrate(docs, dense, y, len(labels), weights)
        features = SparseFeatures().fit(docs)
        ranker = Ranker(len(labels), weights).fit(features(docs), dense, y)
        self._fitted = _Fitted(labels, features, ranker, calibration)
        del docs, dense
        _release_memory()

    async def parse(self, text: str, *, k: int = 5) -> list[Scored]:
        """The ``k`` best labels, best first; ``[]`` before ``fit`` or for a blank text.

        Runs in the event loop's thread (1–3 ms of CPU; cheaper than a hop to a
        thread), batched: the parses that arrive while the loop works through its
        ready callbacks — other conversations' turns, when a worker is busy — run
        as one batch. The sentence encoder reads its 13.5 MB of weights once per
        batch, not once per message, so a busy worker spends less per turn (a
        batch of 8 costs about what 4 single parses do).
        """
        query = normalize(text) if isinstance(text, str) else ""
        if self._fitted is None or k < 1 or not query:
            return []
        loop = asyncio.get_running_loop()
        if not self._waiting or self._loop is not loop:
            self._waiting = []  # (what a loop that stopped before its batch ran left behind)
            self._loop = loop
            loop.call_soon(self._parse_waiting)
        answer: asyncio.Future[list[Scored]] = loop.create_future()
        self._waiting.append((query, k, answer))
        return await answer

    def _parse_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            queries, ks = [query for query, _, _ in waiting], [k for _, k, _ in waiting]
            answers = self.parse_batch(queries, ks)
        except Exception as exc:
            for _, _, answer in waiting:
                if not answer.done():
                    answer.set_exception(exc)
            return
        for (_, _, answer), ranked in zip(waiting, answers, strict=True):
            if not answer.done():  # its turn may have been cancelled meanwhile
                answer.set_result(ranked)

    def parse_batch(self, queries: Sequence[str], ks: Sequence[int]) -> list[list[Scored]]:
        """:meth:`parse` for normalized, non-blank ``queries`` at once (sync, CPU)."""
        fitted = self._fitted
        if fitted is None:
            return [[] for _ in queries]
        docs = [analyze(query) for query in queries]
        fused_rows = fitted.ranker(fitted.features(docs), self.encoder.encode(list(queries)))
        return [_top(fitted, fused, k) for fused, k in zip(fused_rows, ks, strict=True)]

    def _calibrate(
        self, docs: list[Analyzed], dense: np.ndarray, y: np.ndarray, n: int, weights: Weights
    ) -> Calibration:
        """Platt-fit the best fused score against "it was right" on held-out folds.

        Held-out examples of a left-out label count as wrong whatever comes
        first, which teaches the mapping what an unknown message looks like.
        """
        fold = stratified_folds(y, FOLDS)
        group = np.random.default_rng(1).permutation(n) % UNKNOWN_EVERY
        best: list[np.ndarray] = []
        right: list[np.ndarray] = []
        for k in range(FOLDS):
            unknown = group[y] == k if n >= 2 * UNKNOWN_EVERY else np.zeros(len(y), dtype=bool)
            kept = np.flatnonzero((fold != k) & ~unknown)
            held = np.flatnonzero(fold == k)
            held = held[np.isin(y[held], y[kept]) | unknown[held]]
            if len(held) == 0 or len(kept) == 0:
                continue
            features = SparseFeatures().fit([docs[i] for i in kept])
            ranker = Ranker(n, weights).fit(features([docs[i] for i in kept]), dense[kept], y[kept])
            fused = ranker(features([docs[i] for i in held]), dense[held])
            best.append(fused.max(axis=1))
            right.append((fused.argmax(axis=1) == y[held]) & ~unknown[held])
            if sum(map(len, best)) >= CALIBRATION_SAMPLES:
                break
        if not best:
            return PRIOR
        return fit_platt(np.concatenate(best), np.concatenate(right))


def _top(fitted: _Fitted, fused: np.ndarray, k: int) -> list[Scored]:
    """The ``k`` best labels of one row of fused scores, calibrated, best first."""
    k = min(k, len(fused))
    top = np.argpartition(-fused, k - 1)[:k]
    top = top[np.argsort(-fused[top], kind="stable")]
    scores = fitted.calibration(fused[top])
    return [Scored(fitted.labels[i], float(s)) for i, s in zip(top, scores, strict=True)]


def _release_memory() -> None:
    """Hand the fit's scratch memory back to the OS (glibc keeps freed heap otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
