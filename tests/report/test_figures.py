"""Report figures against the seeded store (see tests/report/seed.py), computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.nlu.encoder import UseEncoder
from bot.report.collect import collect
from bot.report.metrics import ALL, Spread, percentile
from bot.report.period import Period
from bot.store import SqlStore, open_store

LANG_EN, LANG_KO, SLACK, TELEGRAM = (
    ("language", "en"),
    ("language", "ko"),
    ("channel", "slack"),
    (
        "channel",
        "telegram",
    ),
)


async def test_all_time_figures(store: SqlStore, encoder: UseEncoder) -> None:
    report = await collect(store.engine, Period(), encoder=encoder)

    assert report.cuts == (
        ALL, ("language", "en"), ("language", "ja"), ("language", "ko"), SLACK, TELEGRAM,
    )  # fmt: skip
    assert report.conversations == {
        ALL: 5, LANG_EN: 3, ("language", "ja"): 1, LANG_KO: 1, SLACK: 2, TELEGRAM: 3,
    }  # fmt: skip

    # 8 questions: c1 2, c2 1, c3 2 (the button tap is the answer to the clarify), c4 2, c5 1
    a = report.answering[ALL]
    assert (a.questions, a.answered, a.clarified, a.unanswered) == (8, 4, 1, 4)
    assert a.rate == 0.5
    assert report.answering[LANG_EN].rate == 2 / 5
    assert report.answering[("language", "ja")].rate == 1.0  # refund + the button after clarify
    assert report.top_faq == [("refund", 2), ("shipping-time", 2)]

    h = report.handoffs[ALL]
    assert (h.conversations, h.handed_off, h.rate) == (5, 3, 3 / 5)
    assert h.by_trigger == {"customer_request": 1, "frustration": 1, "no_answer": 1}
    assert report.handoffs[SLACK].rate == 1.0
    assert report.handoffs[SLACK].by_trigger == {"customer_request": 1, "frustration": 1}
    assert report.handoffs[LANG_EN].rate == 2 / 3

    tm = report.timings[ALL]
    assert tm.claim == Spread(2, 120.0, 600.0)
    assert tm.first_reply == Spread(2, 180.0, 1200.0)
    assert tm.resolve == Spread(2, 600.0, 3600.0)  # the frustration ticket is still open
    assert tm.bot_reply == Spread(8, 0.4, 0.6)  # 100…600 ms, eight turns
    assert report.timings[LANG_KO].claim == Spread(1, 600.0, 600.0)

    assert report.feedback[ALL].counts == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert report.feedback[ALL].mean == pytest.approx(11 / 3)
    assert report.feedback[TELEGRAM].counts == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}

    o = report.offers[ALL]
    assert (o.shown, o.accepted, o.declined) == (3, 1, 1)
    assert report.offers[SLACK].declined == 1
    assert report.offers_by_id["express-shipping"].acceptance == 0.5


async def test_unanswered_questions_are_grouped_by_meaning_across_languages(
    store: SqlStore, encoder: UseEncoder
) -> None:
    report = await collect(store.engine, Period(), encoder=encoder)
    groups = {frozenset(g.examples): g for g in report.unanswered}
    canada = groups[frozenset({"Do you ship to Canada?", "캐나다로 배송되나요?"})]
    paypal = groups[frozenset({"Can I pay with PayPal?", "do you accept paypal"})]
    assert len(report.unanswered) == 2
    assert canada.count == 2 and canada.languages == {"en": 1, "ko": 1}
    assert canada.channels == {"telegram": 1, "slack": 1}
    assert paypal.languages == {"en": 2} and paypal.representative in paypal.examples


async def test_since_and_until_filter_by_event_time(store: SqlStore, encoder: UseEncoder) -> None:
    day_a = await collect(store.engine, Period.parse(None, "2026-11-02"), encoder=encoder)
    assert day_a.conversations[ALL] == 4
    assert (day_a.answering[ALL].questions, day_a.answering[ALL].answered) == (7, 3)
    assert day_a.feedback[ALL].n == 2 and day_a.offers[ALL].shown == 2

    day_b = await collect(store.engine, Period.parse("2026-11-10", None), encoder=encoder)
    assert day_b.conversations == {ALL: 1, LANG_EN: 1, TELEGRAM: 1}
    assert day_b.answering[ALL].rate == 1.0
    assert day_b.handoffs[ALL].by_trigger == {} and day_b.unanswered == []
    assert day_b.feedback[ALL].counts[4] == 1

    hour = Period.parse("2026-11-02T11:00", "2026-11-02T12:00")
    c2 = await collect(store.engine, hour, encoder=encoder)
    assert c2.conversations[ALL] == 1 and c2.handoffs[ALL].by_trigger == {"customer_request": 1}


async def test_an_empty_store_gives_an_empty_report(url: str) -> None:
    store = await open_store(url)
    try:
        report = await collect(store.engine, Period(), now=datetime(2026, 11, 25, tzinfo=UTC))
    finally:
        await store.close()
    assert report.empty
    assert report.answering[ALL].rate is None and report.handoffs[ALL].rate is None
    assert report.timings[ALL].claim == Spread(0, None, None) and report.unanswered == []


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 90) == 3.0
    assert [percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p) for p in (50, 90, 100)] == [5, 9, 10]
