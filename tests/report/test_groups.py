"""Grouping by meaning: the clustering rule on known vectors, and real sentences."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.encoder import UseEncoder
from bot.report import groups
from bot.report.groups import Asked, cluster, group_questions


def unit(*rows: list[float]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_average_linkage_keeps_groups_above_the_threshold() -> None:
    # a and b are close (cos 0.99), c is 45° from them, d is orthogonal to all
    vectors = unit([1, 0.1, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1])
    assert cluster(vectors, threshold=0.9) == [[0, 1], [2], [3]]
    assert cluster(vectors, threshold=0.6) == [[0, 1, 2], [3]]
    assert cluster(vectors[:1]) == [[0]] and cluster(vectors[:0]) == []


@pytest.mark.parametrize("limit", [3, 1])
def test_many_phrasings_are_folded_first_or_grouped_greedily(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(groups, "EXACT_LIMIT", limit)  # 3: fold; 1: too varied, greedy
    vectors = unit([1, 0, 0], [0.98, 0.05, 0], [0, 1, 0], [0.02, 1, 0], [0, 0, 1])
    assert sorted(cluster(vectors, threshold=0.6)) == [[0, 1], [2, 3], [4]]


def test_sentences_in_three_languages(encoder: UseEncoder) -> None:
    asked = [
        Asked("Do you ship to Canada?", "en", "slack"),
        Asked("do you ship to canada ", "en", "telegram"),  # the same, spelled differently
        Asked("Can you deliver to Canada?", "en", "slack"),
        Asked("캐나다로 배송되나요?", "ko", "telegram"),
        Asked("カナダに発送できますか？", "ja", "slack"),
        Asked("Can I pay with PayPal?", "en", "slack"),
        Asked("PayPalで支払えますか", "ja", "telegram"),
        Asked("my coupon code doesn't work", "en", "slack"),
    ]
    found = group_questions(asked, encoder)
    assert [g.count for g in found] == [5, 2, 1]
    canada, paypal, coupon = found
    assert canada.languages == {"en": 3, "ko": 1, "ja": 1}
    assert canada.channels == {"slack": 3, "telegram": 2}
    assert canada.phrasings["en"][0] == "Do you ship to Canada?"  # asked twice: first
    assert len(canada.examples) == 4 and canada.representative == canada.examples[0]
    assert "do you ship to canada " not in canada.examples  # counted with its twin
    assert set(paypal.examples) == {"Can I pay with PayPal?", "PayPalで支払えますか"}
    assert coupon.examples == ("my coupon code doesn't work",)
