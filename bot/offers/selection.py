"""Which offer to show when several fit: most specific, then best acceptance rate.

Among the most specific candidates the one with the best smoothed acceptance
rate wins — ``(accepted + 1) / (shown + 2)``, so an offer never shown starts at
one half and gets its chance — except that with probability ``explore`` a
random one of them is picked, so the rates keep learning. With a seeded
``random.Random`` the choice is deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.offers.relevance import Candidate, most_specific

#: How often to try another of the equally specific offers instead of the best.
EXPLORE = 0.1


@dataclass(frozen=True, slots=True)
class Tally:
    """How an offer has done so far."""

    shown: int = 0
    accepted: int = 0
    declined: int = 0

    @property
    def rate(self) -> float:
        """Acceptance rate with a uniform prior: one half before any evidence."""
        return (self.accepted + 1) / (self.shown + 2)


def choose(
    found: Sequence[Candidate],
    tallies: Mapping[str, Tally],
    *,
    rng: random.Random,
    explore: float = EXPLORE,
) -> Candidate | None:
    """The candidate to show, or ``None`` when nothing fits."""
    top = most_specific(found)
    if not top:
        return None
    if len(top) > 1 and rng.random() < explore:
        return rng.choice(top)

    def merit(c: Candidate) -> tuple[float, int]:
        tally = tallies.get(c.offer.id, Tally())
        return (tally.rate, -tally.shown)  # then the less shown; then catalog order

    return max(top, key=merit)
