"""``frontdesk run --workers N`` refuses what cannot work, saying what to change."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.errors import ConfigError
from bot.workers import bind, check

PG = "postgresql+asyncpg://frontdesk@127.0.0.1/frontdesk"


def test_one_worker_needs_nothing_more() -> None:
    settings = load_settings(environ={})
    check(settings, 1, channels=["slack", "telegram"], http=False, webhook=False)


@pytest.mark.parametrize(
    ("values", "channels", "http", "webhook", "says"),
    [
        ({}, ["slack"], True, False, "needs a database the workers share"),
        ({"database_url": PG}, ["slack"], True, False, "FRONTDESK_REDIS_URL is missing"),
        ({"database_url": PG, "redis_url": "redis://r"}, ["slack"], False, False, "--http PORT"),
        (
            {"database_url": PG, "redis_url": "redis://r"},
            ["telegram"],
            False,
            False,
            "--webhook URL",
        ),
    ],
)
def test_many_workers_need_postgresql_redis_and_http_entry_points(
    values: dict[str, str], channels: list[str], http: bool, webhook: bool, says: str
) -> None:
    settings = load_settings(environ={}, **values)
    with pytest.raises(ConfigError, match=says.replace("(", r"\(")):
        check(settings, 3, channels=channels, http=http, webhook=webhook)


def test_many_workers_with_everything_set_up_pass() -> None:
    settings = load_settings(environ={}, database_url=PG, redis_url="redis://r")
    check(settings, 3, channels=["slack", "telegram"], http=True, webhook=True)


def test_a_port_in_use_is_a_clear_error() -> None:
    first = bind("slack", "127.0.0.1", 0)
    try:
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            bind("slack", "127.0.0.1", first.port)
    finally:
        first.sock.close()


def test_the_command_line_says_what_is_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.delenv("FRONTDESK_REDIS_URL", raising=False)
    code = main(
        [
            "run",
            "slack",
            "--http",
            "3000",
            "--workers",
            "2",
            "--database",
            "sqlite+aiosqlite:///x.db",
        ]
    )
    assert code == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "--workers needs a database the workers share" in said
