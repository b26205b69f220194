"""Natural-language understanding: rank intents and FAQ entries for one message.

One model ranks the built-in intents (``"greet"``) and the FAQ entries
(``"faq:<id>"``) together. Scores are calibrated probabilities: the best label's
score estimates the chance that it is the right one, fitted on held-out folds
of the training examples, so one threshold means the same for any content
(see :mod:`bot.nlu.calibration`). On CLINC150 the threshold chosen on its
validation split (0.46; its 100 out-of-scope training queries a label of
their own) answered 93.5 % of in-scope test queries rightly and
kept 87.6 % of out-of-scope ones out (``docs/benchmarks.md``, "NLU"). For a
content folder, ``bench/thresholds.py`` picks the engine's thresholds.

The implementation is imported lazily: importing this package for the types
does not load the solvers or the embedding model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Example:
    """One training utterance."""

    text: str
    label: str  # an intent name ("greet") or an FAQ entry ("faq:shipping-time")


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate label and its calibrated score in [0, 1]."""

    label: str
    score: float


class NLU(Protocol):
    """What the engine needs: train once (sync, CPU), then parse per message."""

    def fit(self, examples: Sequence[Example]) -> None: ...

    async def parse(self, text: str, *, k: int = 5) -> list[Scored]: ...


def create_embedded() -> NLU:
    """The default in-process NLU (TF-IDF + multilingual sentence embeddings)."""
    from bot.nlu.embedded import EmbeddedNLU

    return EmbeddedNLU()


__all__ = ["NLU", "Example", "Scored", "create_embedded"]
