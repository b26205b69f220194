"""Most specific first; then the best acceptance rate, exploring a little."""

import random
from collections import Counter

from bot.content.model import OfferItem, Where
from bot.offers.relevance import Candidate, Tier
from bot.offers.selection import Tally, choose


def _cand(offer_id: str, tier: Tier = Tier.FAQ, recency: int = 1) -> Candidate:
    offer = OfferItem(offer_id, "cross_sell", ("x",), {"en": offer_id}, Where("t", 1))
    return Candidate(offer=offer, tier=tier, recency=recency, matches=1)


def _ids(n: int, found: list[Candidate], tallies: dict[str, Tally], seed: int) -> Counter[str]:
    rng = random.Random(seed)
    picks = (choose(found, tallies, rng=rng) for _ in range(n))
    return Counter(p.offer.id for p in picks if p is not None)


def test_nothing_to_choose_from() -> None:
    assert choose([], {}, rng=random.Random(1)) is None


def test_the_most_specific_wins_whatever_the_rates() -> None:
    found = [_cand("loved", Tier.WORD), _cand("fits")]
    tallies = {"loved": Tally(shown=10, accepted=9), "fits": Tally(shown=10, accepted=0)}
    assert _ids(200, found, tallies, seed=3) == {"fits": 200}


def test_the_best_rate_wins_most_of_the_time_and_others_get_a_chance() -> None:
    found = [_cand("meh"), _cand("good")]
    tallies = {"meh": Tally(shown=20, accepted=2), "good": Tally(shown=20, accepted=10)}
    picks = _ids(1000, found, tallies, seed=7)
    assert picks["good"] > 900
    assert 20 < picks["meh"] < 100  # about half of the 10% exploration


def test_a_new_offer_starts_at_one_half() -> None:
    assert Tally().rate == 0.5
    found = [_cand("old"), _cand("new")]
    tallies = {"old": Tally(shown=30, accepted=6)}
    assert choose(found, tallies, rng=random.Random(0), explore=0) is not None
    assert _ids(50, found, tallies, seed=1).most_common(1)[0][0] == "new"


def test_ties_go_to_the_less_shown_then_catalog_order() -> None:
    found = [_cand("a"), _cand("b")]
    no_explore = random.Random(0)
    pick = choose(found, {"a": Tally(shown=2, accepted=1)}, rng=no_explore, explore=0)
    assert pick is not None and pick.offer.id == "b"
    pick = choose(found, {}, rng=no_explore, explore=0)
    assert pick is not None and pick.offer.id == "a"


def test_a_seeded_rng_gives_the_same_choices() -> None:
    found = [_cand("a"), _cand("b"), _cand("c")]
    tallies = {"a": Tally(shown=5, accepted=1)}
    first = [choose(found, tallies, rng=r, explore=0.5) for r in [random.Random(42)] * 30]
    again = [choose(found, tallies, rng=r, explore=0.5) for r in [random.Random(42)] * 30]
    assert first == again
