"""Hot reload in a running bot, and ``frontdesk reload`` from outside it.

A running bot (``frontdesk chat`` or ``frontdesk run``) serves its reloads with
:func:`serving_reloads`: it watches the content folder (see
:mod:`bot.content.watch`), reloads on ``SIGHUP``, and leaves a pid file in the
run folder saying who it is, which content folder it serves and how its last
reload went. ``frontdesk reload`` (:func:`main`) validates the folder, finds the
bots serving it from their pid files, asks each to reload (:func:`ask_to_reload`,
the one place to add another way, e.g. a Redis publish for bots on other hosts)
and waits for their answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.app import App, Reload
from bot.config import Settings
from bot.content.validate import validate
from bot.content.watch import EVERY, watch

log = logging.getLogger(__name__)

PREFIX, SUFFIX = "frontdesk-", ".json"
#: Problems kept in the pid file for ``frontdesk reload`` to show.
KEPT_PROBLEMS = 20
#: How long ``frontdesk reload`` waits for the bots by default (training takes a while).
TIMEOUT = 120.0
HANGUP = getattr(signal, "SIGHUP", None)  # POSIX only


def run_dir(settings: Settings) -> Path:
    """Where pid files go: ``FRONTDESK_RUN_DIR``, else ``run/`` next to the SQLite file."""
    if settings.run_dir:
        return Path(settings.run_dir).expanduser().resolve()
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        url = None
    if url is not None and url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return Path(database).expanduser().resolve().parent / "run"
    return Path("data", "run").resolve()


def _cmdline(pid: int) -> list[str] | None:
    """A process's command line (Linux), to tell our bot from a process that reused its pid."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode("utf-8", "replace").split("\0")[:-1]


# --- the bot's side -----------------------------------------------------------------


@dataclass(slots=True)
class PidFile:
    """This process in the run folder: who, what it serves, how its last reload went."""

    path: Path
    record: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path, *, command: str, content: Path) -> PidFile:
        pid = os.getpid()
        record = {
            "pid": pid,
            "command": command,
            "cmdline": _cmdline(pid) or list(sys.argv),
            "content": str(content),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "reloads": 0,
            "last": None,
        }
        pidfile = cls(folder / f"{PREFIX}{pid}{SUFFIX}", record)
        pidfile.write()
        return pidfile

    def write(self) -> None:
        """Replace the file in one step (a reader never sees half of it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.record, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def reloaded(self, result: Reload) -> None:
        self.record["reloads"] += 1
        self.record["last"] = {
            "started_at": result.started_at.timestamp(),
            "ok": result.ok,
            "summary": result.describe(),
            "problems": [str(p) for p in result.problems[:KEPT_PROBLEMS]],
            "more": max(0, len(result.problems) - KEPT_PROBLEMS),
        }
        self.write()

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


class Reloader:
    """An app's reloads, one at a time: requests arriving meanwhile make one more."""

    def __init__(self, app: App, pidfile: PidFile | None = None) -> None:
        self.app = app
        self.pidfile = pidfile
        self._wanted = False
        self._task: asyncio.Task[None] | None = None

    def request(self, why: str) -> None:
        """Reload soon (from the event loop: the watcher, a signal)."""
        log.info("content reload requested: %s", why)
        self._wanted = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._serve())

    async def _serve(self) -> None:
        while self._wanted:
            self._wanted = False
            result = await self.app.reload()
            if self.pidfile is not None:
                try:
                    self.pidfile.reloaded(result)
                except OSError:
                    log.exception("cannot update %s", self.pidfile.path)

    async def idle(self) -> None:
        """Wait for the reloads asked for so far (tests, a clean stop)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@contextlib.asynccontextmanager
async def serving_reloads(
    app: App, *, command: str, folder: Path | None, watching: bool, every: float = EVERY
) -> AsyncIterator[Reloader]:
    """While the block runs: reload on edits (``watching``), on SIGHUP, and keep a pid
    file in ``folder`` (none when ``None``) for ``frontdesk reload``."""
    pidfile = None
    if folder is not None:
        try:
            pidfile = PidFile.create(folder, command=command, content=app.content.root)
        except OSError as exc:
            log.warning("no pid file in %s (%s): `frontdesk reload` will not find this bot",
                        folder, exc.strerror or exc)  # fmt: skip
    reloader = Reloader(app, pidfile)
    loop = asyncio.get_running_loop()
    hangup = False
    if HANGUP is not None:
        try:
            loop.add_signal_handler(HANGUP, reloader.request, "SIGHUP")
            hangup = True
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            log.debug("no SIGHUP handler in this process")
    watcher = None
    if watching:
        root = app.content.root

        def changed(files: list[str]) -> None:
            reloader.request(", ".join(files[:5]) + (" …" if len(files) > 5 else ""))

        watcher = asyncio.create_task(watch(root, app.fingerprint, changed, every=every))
        log.debug("watching %s for changes", root)
    try:
        yield reloader
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if hangup and HANGUP is not None:
            loop.remove_signal_handler(HANGUP)
        await reloader.stop()
        if pidfile is not None:
            pidfile.remove()


# --- `frontdesk reload` -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bot:
    """A running bot as its pid file describes it."""

    path: Path
    pid: int
    command: str
    content: str
    cmdline: tuple[str, ...]
    reloads: int
    last: dict[str, Any] | None

    @classmethod
    def read(cls, path: Path) -> Bot | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                path=path,
                pid=int(data["pid"]),
                command=str(data.get("command", "")),
                content=str(data["content"]),
                cmdline=tuple(data.get("cmdline") or ()),
                reloads=int(data.get("reloads", 0)),
                last=data.get("last"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def alive(self) -> bool:
        """The process still runs, and is still the bot (not another one with its pid)."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # someone else's: we will not be able to signal it, and will say so
        now = _cmdline(self.pid)
        return now is None or not self.cmdline or tuple(now) == self.cmdline


def running_bots(folder: Path) -> list[Bot]:
    """The live bots with a pid file in ``folder``; stale files are removed."""
    bots = []
    for path in sorted(folder.glob(f"{PREFIX}*{SUFFIX}")):
        bot = Bot.read(path)
        if bot is not None and bot.alive():
            bots.append(bot)
        elif bot is not None:
            with contextlib.suppress(OSError):
                path.unlink()
    return bots


def ask_to_reload(bots: Sequence[Bot]) -> dict[int, str]:
    """Ask each bot to reload; the ones that could not be asked, with why.

    Signals for now (bots on this host); a Redis publish for bots elsewhere
    belongs here too.
    """
    failed: dict[int, str] = {}
    for bot in bots:
        if HANGUP is None:
            failed[bot.pid] = "signals are not supported on this platform"
            continue
        try:
            os.kill(bot.pid, HANGUP)
        except ProcessLookupError:
            failed[bot.pid] = "it has stopped"
        except PermissionError:
            failed[bot.pid] = "not allowed to signal it (another user's process)"
    return failed


async def answer_of(bot: Bot, since: float) -> dict[str, Any] | None:
    """The bot's first reload that began at or after ``since``; ``None`` if it stopped."""
    while True:
        now = Bot.read(bot.path)
        last = now.last if now is not None else None
        if last is not None and float(last.get("started_at", 0)) >= since:
            return last
        if not bot.alive():
            return None
        await asyncio.sleep(0.2)


async def _answers(
    bots: Sequence[Bot], since: float, patience: float
) -> list[dict[str, Any] | None]:
    async def one(bot: Bot) -> dict[str, Any] | None:
        try:
            return await asyncio.wait_for(answer_of(bot, since), patience)
        except TimeoutError:
            return None

    return list(await asyncio.gather(*(one(b) for b in bots)))


def main(settings: Settings, *, timeout: float = TIMEOUT) -> int:
    """``frontdesk reload``: validate, ask the bots serving the folder, report; 0 if all took it."""
    out = Console(highlight=False, soft_wrap=True)
    root = settings.content_dir.resolve()
    problems = validate(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        out.print(f"[bold red]{escape(str(root))}: {len(errors)} error(s); nothing was reloaded[/]")
        for problem in errors:
            where = f"{problem.file}:{problem.line}" if problem.line else problem.file
            out.print(f"  {where}: {problem.message}", markup=False)
        return 1
    warned = f" ({len(problems)} warning(s); see frontdesk validate)" if problems else ""
    out.print(f"{root}: valid{warned}", markup=False)
    folder = run_dir(settings)
    bots = running_bots(folder)
    serving = [b for b in bots if b.content == str(root)]
    if not serving:
        others = f"; {len(bots)} serve other folders" if bots else ""
        out.print(f"[yellow]no running bot serves {escape(str(root))}[/]", end=" ")
        out.print(f"(pid files in {folder}{others})", markup=False)
        return 1
    since = time.time()
    failed = ask_to_reload(serving)
    answers = asyncio.run(_answers([b for b in serving if b.pid not in failed], since, timeout))
    asked = iter(answers)
    code = 0
    for bot in serving:
        who = escape(f"pid {bot.pid} ({bot.command})")
        if bot.pid in failed:
            out.print(f"[red]✗[/] {who}: not asked: {escape(failed[bot.pid])}")
            code = 1
            continue
        last = next(asked)
        if last is None:
            out.print(f"[red]✗[/] {who}: no answer within {timeout:.0f} s (or it stopped)")
            code = 1
        elif last.get("ok"):
            out.print(f"[green]✓[/] {who}: {escape(str(last.get('summary', 'reloaded')))}")
        else:
            out.print(f"[red]✗[/] {who}: {escape(str(last.get('summary', 'refused')))}")
            for problem in last.get("problems") or []:
                out.print(f"  {problem}", markup=False)
            code = 1
    return code
