"""``--since`` / ``--until``: what a date means, and the errors for what is not one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.report.period import Period, parse_moment

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2026-11-01", False, datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-30", True, datetime(2026, 12, 1, tzinfo=UTC)),  # --until a day includes it
        ("2026-11-01T09:30", False, datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("2026-11-01T09:30", True, datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("2026-11-01T09:30+09:00", False, datetime(2026, 11, 1, 0, 30, tzinfo=UTC)),
        ("7d", False, NOW - timedelta(days=7)),
        ("12h", False, NOW - timedelta(hours=12)),
        (" 2W ", False, NOW - timedelta(weeks=2)),
    ],
)
def test_moments(text: str, end: bool, expected: datetime) -> None:
    moment = parse_moment(text, end=end, now=NOW)
    assert moment == expected and moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "", "7x", "2026/11/01", "11-01"])
def test_what_is_not_a_date_says_what_is(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a date; use YYYY-MM-DD, .* like 7d, 12h, 2w"):
        parse_moment(text)


def test_an_empty_period_is_refused() -> None:
    with pytest.raises(ValueError, match="the period is empty"):
        Period.parse("2026-11-10", "2026-11-09")
    assert Period.parse("2026-11-10", "2026-11-10").until == datetime(2026, 11, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "label"),
    [
        (None, None, "all time"),
        ("2026-11-01", "2026-11-30", "since 2026-11-01 through 2026-11-30 (UTC)"),
        (None, "2026-11-02T12:00", "until 2026-11-02 12:00 (UTC)"),
        ("2026-11-02T08:15", None, "since 2026-11-02 08:15 (UTC)"),
    ],
)
def test_labels(since: str | None, until: str | None, label: str) -> None:
    assert Period.parse(since, until).label() == label
