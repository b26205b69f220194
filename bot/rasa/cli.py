"""``frontdesk rasa setup | train | serve``: Rasa as the bot's NLU server.

Everything lives under ``.rasa/`` in the working folder by default: the venv
(``.rasa/venv``), the project written from the content (``.rasa/project``, with
its model in ``models/``) and the server's log (``.rasa/rasa.log``).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

from bot.config import Settings

HOME = Path(".rasa")


def add_rasa_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``rasa`` command and its subcommands."""
    rasa = sub.add_parser("rasa", parents=[common], help="run Rasa as the NLU server (optional)")
    actions = rasa.add_subparsers(dest="rasa_command", required=True, metavar="ACTION")
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--venv", type=Path, default=HOME / "venv", help="Rasa's venv (default .rasa/venv)"
    )
    options.add_argument(
        "--project",
        type=Path,
        default=HOME / "project",
        help="Rasa project (default .rasa/project)",
    )
    serving = argparse.ArgumentParser(add_help=False)
    serving.add_argument("--port", type=int, default=5005, help="server port (default 5005)")
    serving.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    training = argparse.ArgumentParser(add_help=False)
    training.add_argument("--epochs", type=int, default=100, help="epochs (Rasa's default 100)")
    setup = actions.add_parser(
        "setup", parents=[common, options, serving, training],
        help="create the venv, train on the content, start the server",
    )  # fmt: skip
    setup.add_argument("--python", type=Path, help="a Python 3.10 (default: PATH, then pyenv)")
    actions.add_parser(
        "train", parents=[common, options, training], help="write the project and train a model"
    )
    actions.add_parser(
        "serve", parents=[common, options, serving], help="start rasa run --enable-api"
    )


def main(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``frontdesk rasa`` action; errors propagate as :class:`RasaError`."""
    from bot.rasa.venv import ensure_venv, is_ready

    if args.rasa_command == "setup":
        ensure_venv(args.venv, python=args.python)
    elif not is_ready(args.venv):
        from bot.rasa.venv import RasaError

        raise RasaError(f"no Rasa 3.6 in {args.venv}: run `frontdesk rasa setup` first")
    if args.rasa_command in ("setup", "train"):
        asyncio.run(_train(settings, args))
    if args.rasa_command in ("setup", "serve"):
        asyncio.run(_serve(settings, args))
    return 0


async def _train(settings: Settings, args: argparse.Namespace) -> None:
    from bot.content import load_content
    from bot.rasa.project import write_project
    from bot.rasa.server import train

    write_project(load_content(settings.content_dir), args.project, epochs=args.epochs)
    print(f"Training Rasa on {settings.content_dir} in {args.project} (a few minutes)…")
    model = await train(args.venv, args.project)
    print(f"Model: {model}")


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from bot.rasa.server import RasaServer

    _warn_if_stale(settings, args.project)
    log = args.project.parent / "rasa.log"
    server = RasaServer(args.venv, args.project, port=args.port, host=args.host, log=log)
    print(f"Starting rasa run --enable-api at {server.url} (log: {log})…")
    # SIGTERM (a service manager's stop) stops the server as Ctrl-C does
    main_task = asyncio.current_task()
    if main_task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    try:
        await server.start()
        print(
            f"Rasa is serving at {server.url}. Point the bot at it, e.g. in another terminal:\n"
            f"  FRONTDESK_NLU=rasa FRONTDESK_RASA_URL={server.url} frontdesk chat\n"
            f'or in frontdesk.toml: nlu = "rasa" and rasa_url = "{server.url}" under [frontdesk].\n'
            "Ctrl-C stops the server."
        )
        await server.wait()
    except asyncio.CancelledError:  # Ctrl-C or SIGTERM: a normal way to stop
        print("Stopping the Rasa server…")
    finally:
        await server.stop()


def _warn_if_stale(settings: Settings, project: Path) -> None:
    """Say so when the content's training data differs from what the model was trained on."""
    import yaml

    from bot.app import training_examples
    from bot.content import load_content
    from bot.rasa.project import nlu_data

    trained = project / "data" / "nlu.yml"
    if not trained.exists():
        return
    current = nlu_data(training_examples(load_content(settings.content_dir)))
    if yaml.safe_load(trained.read_text(encoding="utf-8")) != current:
        print(
            f"Warning: the content in {settings.content_dir} changed since the model was "
            "trained; run `frontdesk rasa train` to retrain."
        )
