"""handoff/settings.yml: defaults when empty, typed values, errors naming the file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import yaml

from bot.config import default_content_dir
from bot.errors import ContentError
from bot.handoff.settings import (
    BusinessHours,
    HandoffSettings,
    load_settings,
    parse_duration,
    parse_settings,
)

FULL = """
desk:
  platform: telegram
  channel: "-1001234567890"
  language: ko
  agents: [a1, "42"]
business_hours:
  timezone: Asia/Seoul
  days: [mon, tue, wed, thu, fri]
  open: "09:00"
  close: "18:00"
  holidays: [2026-12-25]
wait:
  in_hours: 7m
claim_timeout: 15m
mask_pii_in_notes: true
"""


def test_the_shipped_file_is_all_comments_and_loads_as_defaults() -> None:
    assert load_settings(default_content_dir()) == HandoffSettings()


def test_a_missing_file_is_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == HandoffSettings()


def test_every_setting_is_read() -> None:
    settings, problems = parse_settings(yaml.safe_load(FULL))
    assert problems == []
    assert settings.desk.platform == "telegram" and settings.desk.channel == "-1001234567890"
    assert settings.desk.language == "ko" and settings.desk.agents == ("a1", "42")
    assert settings.wait == timedelta(minutes=7)
    assert settings.claim_timeout == timedelta(minutes=15)
    assert settings.hours.holidays == (date(2026, 12, 25),)
    assert settings.mask_pii_in_notes and not HandoffSettings().mask_pii_in_notes
    assert settings.is_member("42") and not settings.is_member("a3")
    assert HandoffSettings().is_member("anyone")


def test_the_allow_list_takes_ids_and_usernames() -> None:
    settings, problems = parse_settings(
        yaml.safe_load("desk:\n  agents: [U0SORA, 123456789, '@Bo_Kim']\n")
    )
    assert problems == []
    assert settings.is_member("U0SORA") and settings.is_member("123456789")
    assert settings.is_member("987", "bo_kim") and settings.is_member("987", "@BO_KIM")
    assert not settings.is_member("987", "sora") and not settings.is_member("987")
    assert not settings.is_member("u0sora")  # ids are exact
    bad = parse_settings(yaml.safe_load("desk:\n  agents: [U1, '', {x: 1}]\n"))[1]
    assert len(bad) == 2 and all("desk.agents" in p.message for p in bad)


def test_problems_name_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "handoff").mkdir()
    (tmp_path / "handoff" / "settings.yml").write_text(
        "desk:\n  platform: teams\n  language: fr\nclaim_timeout: soon\n"
        "business_hours:\n  timezone: Mars/Olympus\n  open: '18:00'\n  close: '09:00'\n"
        "alerts: {}\nmask_pii_in_notes: sometimes\n"
    )
    with pytest.raises(ContentError) as caught:
        load_settings(tmp_path)
    text = str(caught.value)
    for part in (
        "handoff/settings.yml",
        "teams",
        "'fr'",
        "soon",
        "Mars/Olympus",
        "after open",
        "unknown setting 'alerts'",
        "mask_pii_in_notes must be true or false",
    ):
        assert part in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5m", timedelta(minutes=5)), ("2h", timedelta(hours=2)), ("30s", timedelta(seconds=30)),
     (10, timedelta(minutes=10)), ("1d", timedelta(days=1))],
)  # fmt: skip
def test_durations(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


def test_a_bad_duration() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("a while")


HOURS = BusinessHours(
    timezone="Asia/Seoul",
    days=("mon", "tue", "wed", "thu", "fri"),
    open=time(9),
    close=time(18),
    holidays=(date(2026, 12, 25),),
)


def test_business_hours() -> None:
    wednesday_10 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    assert HOURS.is_open(wednesday_10)
    assert HOURS.next_open(wednesday_10) == wednesday_10
    wednesday_19 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert not HOURS.is_open(wednesday_19)
    assert HOURS.next_open(wednesday_19) == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    friday_night = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert HOURS.next_open(friday_night) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    christmas_eve = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
    assert not HOURS.is_open(datetime(2026, 12, 25, 1, 0, tzinfo=UTC))  # a holiday
    assert HOURS.next_open(christmas_eve) == datetime(2026, 12, 28, 0, 0, tzinfo=UTC)
    assert BusinessHours().is_open(christmas_eve)
