"""Settings, read once in one place: environment, then an optional TOML file.

Components take plain arguments; only the composition root (the CLI) calls
:func:`load_settings`. Precedence: explicit overrides > environment > file > defaults.
"""

from __future__ import annotations

import os
import sysconfig
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_content_dir() -> Path:
    """The example content shipped with the project: the repo root in a checkout,
    ``<prefix>/share/frontdesk/content`` when installed from a wheel, else the
    working folder."""
    if (REPO_ROOT / "intents").is_dir():
        return REPO_ROOT
    installed = Path(sysconfig.get_path("data")) / "share" / "frontdesk" / "content"
    return installed if (installed / "intents").is_dir() else Path.cwd()


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Typed settings of one frontdesk process."""

    content_dir: Path
    database_url: str
    #: ``embedded`` (in-process) or ``rasa`` (a ``rasa run --enable-api`` server, docs/rasa.md).
    nlu: str = "embedded"
    #: The Rasa server asked when ``nlu = "rasa"``; the embedded NLU answers while it is down.
    rasa_url: str = "http://127.0.0.1:5005"
    #: Best candidate at or above this, with ``answer_margin`` over the next, is answered.
    answer_threshold: float = 0.55
    answer_margin: float = 0.10
    #: Candidates at or above this (but not answerable) are offered as a clarifying question.
    clarify_threshold: float = 0.40
    #: A conversation idle this long starts afresh on the next message.
    idle_minutes: int = 30
    #: Messages longer than this are stored whole, but the customer is asked to shorten them.
    max_chars: int = 2000
    #: A customer who declined an offer is not offered it again for this many days.
    offer_cooldown_days: int = 30
    #: Watch the content folder and reload it when it changes (``frontdesk reload`` works too).
    watch: bool = True
    #: Where running bots leave their pid files for ``frontdesk reload``; empty: ``run/``
    #: next to the SQLite database (``data/run`` for another database).
    run_dir: str = ""
    #: Per customer: this many messages per ``rate_window`` seconds, bursts of
    #: ``rate_burst``; more are stored but not answered (0 messages: no limit).
    rate_messages: int = 5
    rate_window: float = 10.0
    rate_burst: int = 10
    # channels: secrets come from the environment (or the file), never from code
    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    slack_api_base_url: str = "https://slack.com/api/"
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # scale: empty = one process coordinates itself (locks and event ids in memory)
    redis_url: str = ""
    #: A reply the platform refuses this many times becomes a dead letter.
    send_attempts: int = 5

    def require(self, name: str) -> str:
        """A setting that must be present, or :class:`ConfigError` naming its variable."""
        value = getattr(self, name)
        if not value:
            var = _ENV.get(name, name)
            raise ConfigError(f"{var} is missing: set it in the environment or the config file")
        return str(value)


_ENV = {
    "content_dir": "FRONTDESK_CONTENT",
    "database_url": "FRONTDESK_DATABASE_URL",
    "nlu": "FRONTDESK_NLU",
    "rasa_url": "FRONTDESK_RASA_URL",
    "answer_threshold": "FRONTDESK_ANSWER_THRESHOLD",
    "answer_margin": "FRONTDESK_ANSWER_MARGIN",
    "clarify_threshold": "FRONTDESK_CLARIFY_THRESHOLD",
    "idle_minutes": "FRONTDESK_IDLE_MINUTES",
    "max_chars": "FRONTDESK_MAX_CHARS",
    "offer_cooldown_days": "FRONTDESK_OFFER_COOLDOWN_DAYS",
    "watch": "FRONTDESK_WATCH",
    "run_dir": "FRONTDESK_RUN_DIR",
    "rate_messages": "FRONTDESK_RATE_MESSAGES",
    "rate_window": "FRONTDESK_RATE_WINDOW",
    "rate_burst": "FRONTDESK_RATE_BURST",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_api_base_url": "SLACK_API_BASE_URL",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "telegram_api_base_url": "TELEGRAM_API_BASE_URL",
    "redis_url": "FRONTDESK_REDIS_URL",
    "send_attempts": "FRONTDESK_SEND_ATTEMPTS",
}


_BOOLS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLS |= {"0": False, "false": False, "no": False, "off": False}


def _coerce(name: str, raw: Any, kind: str) -> Any:
    try:
        if kind == "float":
            return float(raw)
        if kind == "int":
            return int(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            return _BOOLS[str(raw).strip().lower()]
        if kind == "Path":
            return Path(str(raw)).expanduser()
        return str(raw)
    except (TypeError, ValueError, KeyError):
        raise ConfigError(f"{name} is malformed: {raw!r} is not a {kind}") from None


def load_settings(
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build :class:`Settings`; a malformed value raises :class:`ConfigError` naming it."""
    env = os.environ if environ is None else environ
    path = config_file or (Path(env["FRONTDESK_CONFIG"]) if env.get("FRONTDESK_CONFIG") else None)
    values: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as fh:
                values.update(tomllib.load(fh).get("frontdesk", {}))
        except FileNotFoundError:
            raise ConfigError(f"FRONTDESK_CONFIG is missing: no file {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("content_dir", default_content_dir())
    values.setdefault("database_url", f"sqlite+aiosqlite:///{Path('data/frontdesk.db')}")
    kinds = {f.name: str(f.type) for f in fields(Settings)}
    unknown = set(values) - set(kinds)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    typed = {k: _coerce(_ENV.get(k, k), v, kinds[k]) for k, v in values.items()}
    return Settings(**typed)
