"""The ``frontdesk`` command line: chat, run, validate, reload, init, test, report, faq, rasa."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from bot.config import Settings, load_settings
from bot.errors import ConfigError, ContentError, FrontdeskError, StoreError
from bot.privacy import install_log_masking
from bot.rasa.cli import add_rasa_parser

if TYPE_CHECKING:
    from bot.app import App

err = Console(stderr=True, highlight=False)


def _common_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "--content", type=Path, default=default, help="content folder (default: FRONTDESK_CONTENT)"
    )
    parser.add_argument(
        "--database", default=default, help="database URL (default: FRONTDESK_DATABASE_URL)"
    )
    parser.add_argument("--config", type=Path, default=default, help="a frontdesk.toml file")
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default or False, help="log debug output"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description=__doc__)
    _common_options(parser, default=None)
    # The same options after the command too: `frontdesk chat --content DIR`.
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", parents=[common], help="talk to the bot in this terminal")
    chat.add_argument("--jsonl", action="store_true", help="scripted driving: JSON lines in/out")
    chat.add_argument("--name", help="your name as the bot should use it")
    chat.add_argument("--user", help="your customer id (default: your login)")
    _watch_option(chat)

    run = sub.add_parser("run", parents=[common], help="serve customers on Slack and/or Telegram")
    run.add_argument(
        "channel", nargs="?", choices=("slack", "telegram"), help="default: every configured one"
    )
    run.add_argument("--http", type=int, metavar="PORT", help="Slack: HTTP Events API on PORT")
    run.add_argument("--webhook", metavar="URL", help="Telegram: webhook at this public URL")
    run.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    run.add_argument(
        "--port", type=int, default=8443, help="Telegram webhook listen port (default 8443)"
    )
    _watch_option(run)
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes sharing the ports (N > 1 needs PostgreSQL, Redis, --http/--webhook)",
    )

    validate = sub.add_parser("validate", parents=[common], help="check a content folder")
    validate.add_argument("dir", nargs="?", type=Path, help="content folder (default: --content)")

    reload = sub.add_parser(
        "reload", parents=[common], help="validate the content and reload it in the running bots"
    )
    reload.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for the bots (default 120)"
    )

    init = sub.add_parser("init", parents=[common], help="scaffold a new content folder")
    init.add_argument("dir", type=Path)

    test = sub.add_parser(
        "test", parents=[common], help="run conversation tests against the content"
    )
    test.add_argument(
        "files", nargs="*", type=Path, help="test files (default: tests/conversations)"
    )

    from bot.report.command import add_commands

    add_commands(sub, common)
    add_rasa_parser(sub, common)
    return parser


def _watch_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-watch",
        dest="watch",
        action="store_false",
        default=None,
        help="don't reload the content when its files change (FRONTDESK_WATCH=0)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        config_file=args.config,
        content_dir=args.content,
        database_url=args.database,
        watch=getattr(args, "watch", None),
    )


def _reloads(app: App, settings: Settings, command: str) -> AbstractAsyncContextManager[Any]:
    """Hot reload while the bot runs: the watcher (unless turned off), SIGHUP, a pid file."""
    from bot.reload import run_dir, serving_reloads

    folder = run_dir(settings)
    return serving_reloads(app, command=command, folder=folder, watching=settings.watch)


async def _none(command: Any) -> list[dict[str, Any]]:
    return [{"type": "error", "error": "no agents' desk"}]


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.channels.console import run_console
    from bot.channels.jsonl import run_jsonl
    from bot.handoff.commands import ConsoleAgent, jsonl_agent

    if args.jsonl:  # stdout belongs to the contract: no spinner
        app = await build_app(settings)
    else:
        with err.status("Loading the content and training the language model…"):
            app = await build_app(settings)
    try:
        async with _reloads(app, settings, "chat --jsonl" if args.jsonl else "chat"):
            if args.jsonl:
                agent_lines = jsonl_agent(app.desk) if app.desk else _none
                await run_jsonl(app.engine.handle, agent=agent_lines)
            else:
                agent = ConsoleAgent(app.desk) if app.desk else None
                await run_console(app.engine.handle, name=args.name, user=args.user, agent=agent)
    finally:
        await app.close()
    return 0


def _channels(settings: Settings, args: argparse.Namespace) -> list[str]:
    """The channels to serve, their secrets checked for presence."""
    wanted = [args.channel] if args.channel else []
    if not wanted:
        wanted = [
            c
            for c, token in (
                ("slack", settings.slack_bot_token),
                ("telegram", settings.telegram_bot_token),
            )
            if token
        ]
        if not wanted:
            raise ConfigError(
                "no channel is configured: set SLACK_BOT_TOKEN and/or TELEGRAM_BOT_TOKEN"
            )
    if "slack" in wanted:
        settings.require("slack_bot_token")
        settings.require("slack_signing_secret" if args.http else "slack_app_token")
    if "telegram" in wanted:
        settings.require("telegram_bot_token")
    return wanted


def _run_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.workers import check

    wanted = _channels(settings, args)
    check(
        settings,
        args.workers,
        channels=wanted,
        http=args.http is not None,
        webhook=bool(args.webhook),
    )
    if args.workers == 1:
        return asyncio.run(_run(settings, args, wanted))
    return _supervise(settings, args, wanted)


def _supervise(settings: Settings, args: argparse.Namespace, wanted: list[str]) -> int:
    """Prepare once (migrate, check Redis, train), bind the ports, fork the workers."""
    from bot.app import build_app
    from bot.workers import Supervisor, bind, until_signalled

    async def prepare() -> None:
        app = await build_app(settings)  # the fitted model stays cached for the workers
        await app.close()

    with err.status("Loading the content and training the language model…"):
        asyncio.run(prepare())
    sockets = {}
    if "slack" in wanted:
        sockets["slack"] = bind("slack", args.host, args.http).sock
    if "telegram" in wanted:
        sockets["telegram"] = bind("telegram", args.host, args.port).sock

    def serve(slot: int) -> int:
        return until_signalled(
            lambda: _run(settings, args, wanted, sockets=sockets, sweeps=slot == 0, quiet=True)
        )

    return Supervisor(args.workers, serve).run()


async def _run(
    settings: Settings,
    args: argparse.Namespace,
    wanted: list[str],
    *,
    sockets: dict[str, Any] | None = None,
    sweeps: bool = True,
    quiet: bool = False,
) -> int:
    from bot.app import build_app

    sockets = sockets or {}
    if quiet:
        app = await build_app(settings)
    else:
        with err.status("Loading the content and training the language model…"):
            app = await build_app(settings)
    try:
        servers = []
        if "slack" in wanted:
            from bot.channels.slack import serve_slack

            servers.append(
                serve_slack(
                    app, settings, http_port=args.http, host=args.host, sock=sockets.get("slack")
                )
            )
        if "telegram" in wanted:
            from bot.channels.telegram import serve_telegram

            servers.append(
                serve_telegram(
                    app,
                    settings,
                    webhook_url=args.webhook,
                    host=args.host,
                    port=args.port,
                    sock=sockets.get("telegram"),
                )
            )
        # no-claim timeouts, never silence; a task of its own so that Ctrl-C still
        # waits for the servers' clean shutdown (gather would end with the first child).
        # With many workers one of them sweeps.
        sweeper = asyncio.create_task(app.desk.run_sweeps()) if app.desk and sweeps else None
        # what a dead worker (or the last run) left in the inbox and the outbox
        recovery = asyncio.create_task(app.turns.run_recovery())
        try:
            async with _reloads(app, settings, " ".join(["run", *wanted])):
                await asyncio.gather(*servers)
        finally:
            recovery.cancel()
            if sweeper is not None:
                sweeper.cancel()
    finally:
        await app.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    # One BLAS thread per process: turns are short and concurrency comes from the event
    # loop and the workers; idle BLAS threads spin and triple a turn's CPU. Set before
    # numpy is first imported (everything numeric is imported lazily); the operator wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # admins want to see their edits taken (or refused)
        logging.getLogger("bot.reload").setLevel(logging.INFO)
    install_log_masking(logging.getLogger().handlers)  # no e-mail, phone or card in logs
    try:
        settings = _settings(args)
        if args.command == "chat":
            return asyncio.run(_chat(settings, args))
        if args.command == "run":
            return _run_command(settings, args)
        if args.command == "validate":
            from bot.content.validate import main as validate_main

            code: int = validate_main(args.dir or settings.content_dir)
            return code
        if args.command == "reload":
            from bot.reload import main as reload_main

            code = reload_main(settings, timeout=args.timeout)
            return code
        if args.command == "init":
            from bot.content.scaffold import main as init_main

            code = init_main(args.dir)
            return code
        if args.command == "rasa":
            from bot.rasa.cli import main as rasa_main

            return rasa_main(settings, args)
        if args.command == "test":
            from bot.convtest import main as test_main

            code = asyncio.run(test_main(settings, args.files))
            return code
        if args.command in ("report", "faq"):
            from bot.report import command

            run = command.report if args.command == "report" else command.suggest
            code = asyncio.run(run(settings, args))
            return code
    except ContentError as exc:
        err.print("[bold red]The content folder has errors:[/]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
        return 1
    except (ConfigError, StoreError) as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        return 2
    except FrontdeskError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
