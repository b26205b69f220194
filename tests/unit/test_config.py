from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError


def test_environment_overrides_file(tmp_path: Path) -> None:
    cfg = tmp_path / "frontdesk.toml"
    cfg.write_text("[frontdesk]\nanswer_threshold = 0.7\nidle_minutes = 5\n")
    env = {"FRONTDESK_CONFIG": str(cfg), "FRONTDESK_IDLE_MINUTES": "9"}
    s = load_settings(environ=env)
    assert s.answer_threshold == 0.7
    assert s.idle_minutes == 9
    assert s.database_url.startswith("sqlite+aiosqlite:///")


def test_malformed_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="FRONTDESK_ANSWER_THRESHOLD"):
        load_settings(environ={"FRONTDESK_ANSWER_THRESHOLD": "high"})


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FRONTDESK_CONFIG"):
        load_settings(environ={"FRONTDESK_CONFIG": str(tmp_path / "nope.toml")})


def test_unknown_setting_in_file(tmp_path: Path) -> None:
    cfg = tmp_path / "f.toml"
    cfg.write_text("[frontdesk]\nanswr = 1\n")
    with pytest.raises(ConfigError, match="answr"):
        load_settings(environ={}, config_file=cfg)
