"""``frontdesk report`` and ``frontdesk faq suggest``: options in, output out."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from bot.config import Settings
from bot.errors import ConfigError
from bot.report.period import Period, parse_moment

if TYPE_CHECKING:
    from bot.store import SqlStore

err = Console(stderr=True, highlight=False)


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """``report`` and ``faq suggest`` on the CLI's subparsers (``common``: shared options)."""
    report = sub.add_parser("report", parents=[common], help="how the bot is doing, by period")
    add_period_options(report)
    report.add_argument("--html", type=Path, metavar="FILE", help="also write a page with charts")
    faq = sub.add_parser("faq", parents=[common], help="grow the FAQ repository")
    actions = faq.add_subparsers(dest="faq_command", required=True, metavar="ACTION")
    suggest = actions.add_parser(
        "suggest", parents=[common], help="draft FAQ entries from unanswered questions"
    )
    add_period_options(suggest)
    suggest.add_argument(
        "--min-count", type=int, default=2, metavar="N",
        help="only groups asked at least N times (default 2)",
    )  # fmt: skip


def add_period_options(parser: argparse.ArgumentParser) -> None:
    """``--since`` and ``--until``, shared by both commands."""
    parser.add_argument(
        "--since", metavar="DATE", help="from this date or time (UTC), or a span back: 7d, 12h, 2w"
    )
    parser.add_argument(
        "--until", metavar="DATE", help="through this date (inclusive) or until this time (UTC)"
    )


def period(args: argparse.Namespace) -> Period:
    """The period of the command line, or a :class:`ConfigError` that says what is wrong."""
    bounds = {}
    for option, end in (("since", False), ("until", True)):
        value = getattr(args, option, None)
        try:
            bounds[option] = None if value is None else parse_moment(value, end=end)
        except ValueError as exc:
            raise ConfigError(f"--{option}: {exc}") from None
    try:
        return Period(**bounds)
    except ValueError:
        raise ConfigError(
            f"--since {args.since} is not before --until {args.until}: the period is empty"
        ) from None


async def _open(url: str) -> SqlStore:
    """The bot's store; a SQLite file that does not exist is an error, not a new database."""
    import sqlalchemy as sa

    from bot.store import open_store

    parsed = sa.engine.make_url(url)
    name = parsed.database
    local = parsed.get_backend_name() == "sqlite" and name and name != ":memory:"
    if local and not await asyncio.to_thread(Path(str(name)).exists):
        raise ConfigError(
            f"no database at {name}: the bot has recorded nothing there yet; "
            "point --database (or FRONTDESK_DATABASE_URL) at the bot's database"
        )
    return await open_store(url)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def report(settings: Settings, args: argparse.Namespace) -> int:
    """Print the report; with ``--html FILE`` also write the page."""
    from bot.report.collect import collect
    from bot.report.terminal import print_report

    wanted = period(args)
    html_path: Path | None = args.html
    if html_path is not None and await asyncio.to_thread(html_path.is_dir):
        raise ConfigError(f"--html: {html_path} is a folder; give a file name like report.html")
    store = await _open(settings.database_url)
    try:
        with err.status("Reading the store and grouping unanswered questions…"):
            result = await collect(store.engine, wanted)
    finally:
        await store.close()
    print_report(result)
    if html_path is not None:
        from bot.report.html import render_html

        await asyncio.to_thread(_write, html_path, render_html(result))
        err.print(f"wrote {escape(str(html_path))}")
    return 0


async def suggest(settings: Settings, args: argparse.Namespace) -> int:
    """Write draft FAQ entries for the unanswered groups."""
    from bot.content.loader import load_content
    from bot.report import queries
    from bot.report.suggest import suggest_drafts

    wanted = period(args)
    content = load_content(settings.content_dir)  # a broken folder is reported, not written to
    store = await _open(settings.database_url)
    try:
        with err.status("Reading the store and grouping unanswered questions…"):
            asked = await queries.unanswered(store.engine, wanted)
            answers = await queries.agent_answers(store.engine, wanted)
            outcome = await asyncio.to_thread(
                suggest_drafts, content, asked, answers, min_count=args.min_count
            )
    finally:
        await store.close()
    out = Console(highlight=False, soft_wrap=True)
    out.print(outcome.summary(), markup=False)
    return 0
