"""TF-IDF features: character n-grams of every script plus Latin word n-grams.

Texts are analysed once (:func:`analyze`) into arrays of n-gram hashes, so
the calibration folds and the final fit share the work and no n-gram string
outlives its text. Weighting is sublinear tf times smoothed idf (as
scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``); each block is
L2-normalised and weighted 1/sqrt(2), so a row has norm <= 1. Written out
rather than borrowed: a parse transforms one text, where the library's input
checks cost more than the arithmetic, and a fit on 10,000 texts would keep
~100 MB of n-gram strings alive in its vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from bot.nlu.text import char_ngrams, word_ngrams

Analyzer = Callable[[str], list[str]]
Analyzed = tuple[np.ndarray, ...]  # one int64 array of n-gram hashes per block
ANALYZERS: tuple[Analyzer, ...] = (char_ngrams, word_ngrams)

_BLOCK_WEIGHT = 1 / math.sqrt(2)


def analyze(text: str) -> Analyzed:
    """The n-gram hashes of an already-normalised text, per block (process-local hashes)."""
    return tuple(np.fromiter(map(hash, analyzer(text)), dtype=np.int64) for analyzer in ANALYZERS)


class _Block:
    """Vocabulary (sorted hashes) and idf of one analyser's n-grams."""

    def __init__(self, docs: Sequence[np.ndarray]) -> None:
        seen = np.concatenate([np.unique(d) for d in docs]) if docs else np.zeros(0, np.int64)
        self.vocab, df = np.unique(seen, return_counts=True)
        self.idf = (np.log((1 + len(docs)) / (1 + df)) + 1).astype(np.float32)

    def __len__(self) -> int:
        return len(self.vocab)

    def transform(self, docs: Sequence[np.ndarray]) -> sparse.csr_matrix:
        """Rows of sublinear tf·idf, each L2-normalised to the block weight."""
        n, width = len(docs), len(self.vocab)
        grams = np.concatenate(docs) if docs else np.zeros(0, np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), [len(d) for d in docs])
        col = np.minimum(np.searchsorted(self.vocab, grams), max(width - 1, 0))
        known = self.vocab[col] == grams if width else np.zeros(len(grams), dtype=bool)
        keys, counts = np.unique(owner[known] * width + col[known], return_counts=True)
        rows, cols = keys // max(width, 1), keys % max(width, 1)
        vals = (1 + np.log(counts)) * self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n))
        vals *= _BLOCK_WEIGHT / norms[rows]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
        return sparse.csr_matrix(
            (vals.astype(np.float32), cols.astype(np.int32), indptr.astype(np.int32)),
            shape=(n, width),
        )


class SparseFeatures:
    """One TF-IDF block per analyser; a block with no terms at all is left out."""

    def __init__(self) -> None:
        self._blocks: list[tuple[int, _Block]] = []

    def fit(self, docs: Sequence[Analyzed]) -> SparseFeatures:
        """Learn vocabularies and idf from :func:`analyze` output."""
        blocks = [(i, _Block([doc[i] for doc in docs])) for i in range(len(ANALYZERS))]
        self._blocks = [(i, block) for i, block in blocks if len(block)]
        return self

    @property
    def width(self) -> int:
        return sum(len(block) for _, block in self._blocks)

    def __call__(self, docs: Sequence[Analyzed]) -> sparse.csr_matrix:
        """One row per doc; a doc of unknown n-grams only gives an all-zero row."""
        if not self._blocks:
            return sparse.csr_matrix((len(docs), 0), dtype=np.float32)
        parts = [block.transform([doc[i] for doc in docs]) for i, block in self._blocks]
        return sparse.hstack(parts, format="csr", dtype=np.float32)
