"""Fused label scores: two linear models and two nearest-neighbour views.

``score(label) = svm + 0.4·logreg + 2·knn_dense + 1.5·knn_sparse`` (with 15 and more
examples per label; 0.2 and 0.5 with 3 or fewer, see :class:`Weights`) where

* ``svm``: a linear SVM (one-vs-rest) over the TF-IDF features, margin units;
* ``logreg``: multinomial logistic regression over the sentence embeddings, logits;
* ``knn_*``: the best cosine between the text and any example of the label,
  in embedding space and in TF-IDF space.

The linear models carry the many-example intents, the neighbours the FAQ
entries with a handful of ways of asking. The weights were chosen on dev
data only (an 80/20 split of Banking77's training set, CLINC150's validation
split, ko-question-pair's validation split as an FAQ with one way of asking
per entry); see ``docs/benchmarks.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from bot.nlu.linear import Fitted, fit_softmax, fit_svm

#: What a label with no training example gets from each part (never ranked first).
_ABSENT_LINEAR = -10.0
_ABSENT_COSINE = -1.0


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the parts of the fused score, and the models' regularisation.

    ``logreg`` and ``knn_dense`` apply when labels have many examples (CLINC150,
    Banking77, the example content's intents and FAQ entries: 15 and more per
    label); with a handful per label (an FAQ written with 1–3 ways of asking)
    the logistic regression has little to learn from and the ``*_few`` weights
    apply; in between they are interpolated (:meth:`for_examples`).
    """

    logreg: float = 0.4
    knn_dense: float = 2.0
    knn_sparse: float = 1.5
    svm_c: float = 1.0
    logreg_c: float = 30.0
    logreg_few: float = 0.2
    knn_dense_few: float = 0.5

    def for_examples(self, per_label: float) -> Weights:
        """The weights for a training set with this median number of examples per label."""
        t = min(max((per_label - FEW) / (MANY - FEW), 0.0), 1.0)
        return replace(
            self,
            logreg=self.logreg_few + t * (self.logreg - self.logreg_few),
            knn_dense=self.knn_dense_few + t * (self.knn_dense - self.knn_dense_few),
            logreg_few=self.logreg_few + t * (self.logreg - self.logreg_few),
            knn_dense_few=self.knn_dense_few + t * (self.knn_dense - self.knn_dense_few),
        )


#: Examples per label at and below which the ``*_few`` weights apply, and from which the others do.
FEW, MANY = 3, 15


class _Linear:
    """``x @ w + b`` for the labels seen in training; absent labels get a floor value."""

    def __init__(self, model: Fitted, n_labels: int) -> None:
        coef, bias, classes = model
        if coef.shape[0] == 1:  # two classes: one hyperplane, split into ±
            sign = np.array([[-1.0], [1.0]], dtype=np.float32)
            coef, bias = sign * coef, sign[:, 0] * bias
        self._w = np.ascontiguousarray(coef.T, dtype=np.float32)
        self._b = np.asarray(bias, dtype=np.float32)
        self._classes = classes
        self._n = n_labels

    def __call__(self, x: sparse.csr_matrix | np.ndarray) -> np.ndarray:
        out = np.full((x.shape[0], self._n), _ABSENT_LINEAR, dtype=np.float32)
        out[:, self._classes] = np.asarray(x @ self._w) + self._b
        return out


class _Neighbours:
    """Best cosine per label between a query and the label's examples."""

    def __init__(self, rows: sparse.csr_matrix | np.ndarray, y: np.ndarray, n_labels: int):
        order = np.argsort(y, kind="stable")
        ys = y[order]
        # transposed once here: multiplying by a transposed view would convert it per call
        kept = rows[order]
        self._cols = (
            np.ascontiguousarray(kept.T) if isinstance(kept, np.ndarray) else kept.T.tocsr()
        )
        self._starts = np.flatnonzero(np.r_[True, ys[1:] != ys[:-1]])
        self._labels = ys[self._starts]
        self._n = n_labels

    def __call__(self, x: sparse.csr_matrix | np.ndarray) -> np.ndarray:
        sims = x @ self._cols
        sims = sims.toarray() if sparse.issparse(sims) else np.asarray(sims)
        out = np.full((x.shape[0], self._n), _ABSENT_COSINE, dtype=np.float32)
        if sims.shape[1]:
            out[:, self._labels] = np.maximum.reduceat(sims, self._starts, axis=1)
        return out


class Ranker:
    """Scores every label for a batch of texts given their two feature views."""

    def __init__(self, n_labels: int, weights: Weights | None = None) -> None:
        self.n_labels = n_labels
        self.weights = weights or Weights()
        self._svm: _Linear | None = None
        self._logreg: _Linear | None = None
        self._knn_sparse: _Neighbours | None = None
        self._knn_dense: _Neighbours | None = None

    def fit(self, tfidf: sparse.csr_matrix, dense: np.ndarray, y: np.ndarray) -> Ranker:
        """Train on row-aligned features; ``y`` holds label indices below ``n_labels``."""
        w = self.weights
        self._knn_sparse = _Neighbours(tfidf, y, self.n_labels)
        self._knn_dense = _Neighbours(dense, y, self.n_labels)
        if len(np.unique(y)) >= 2:
            self._svm = _Linear(fit_svm(tfidf, y, c=w.svm_c), self.n_labels)
            self._logreg = _Linear(fit_softmax(dense, y, c=w.logreg_c), self.n_labels)
        return self

    def __call__(self, tfidf: sparse.csr_matrix, dense: np.ndarray) -> np.ndarray:
        """Fused scores, shape ``(len(texts), n_labels)``; higher is better, unbounded."""
        if self._knn_sparse is None or self._knn_dense is None:
            raise RuntimeError("Ranker.fit was not called")
        w = self.weights
        out = w.knn_sparse * self._knn_sparse(tfidf) + w.knn_dense * self._knn_dense(dense)
        if self._svm is not None and self._logreg is not None:
            out += self._svm(tfidf) + w.logreg * self._logreg(dense)
        return out
