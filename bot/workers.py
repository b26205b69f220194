"""``frontdesk run --workers N``: a supervisor and N worker processes sharing the ports.

The supervisor does once what every worker would otherwise repeat: it migrates
the database, checks Redis, trains the language model, and binds the listening
sockets. Then it forks the workers; each inherits the fitted model (copy-on-write,
so a worker starts in a moment and the model's memory is shared) and the sockets
(the kernel hands each connection to one of the workers that wait on it). A
worker that dies is replaced; SIGTERM or Ctrl-C stops them all gracefully (each
stops taking requests and finishes its turns in progress).

Many workers need what they share to live outside them: PostgreSQL (not SQLite)
and Redis (``FRONTDESK_REDIS_URL``), and the platforms' HTTP entry points (Slack
Events API, Telegram webhook): Socket Mode and long polling are one connection
each, served by one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.config import Settings
from bot.errors import ConfigError

log = logging.getLogger(__name__)

#: A worker that dies sooner than this after its start waits longer before the next one.
QUICK_DEATH = 10.0
MAX_BACKOFF = 30.0


@dataclass(frozen=True, slots=True)
class Listener:
    """A socket bound by the supervisor for one channel."""

    channel: str
    host: str
    port: int
    sock: socket.socket


def check(
    settings: Settings, workers: int, *, channels: list[str], http: bool, webhook: bool
) -> None:
    """Refuse what cannot work with ``workers`` processes, saying what to change."""
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    if workers == 1:
        return
    backend = sa.engine.make_url(settings.database_url).get_backend_name()
    if backend == "sqlite":
        raise ConfigError(
            "--workers needs a database the workers share: set FRONTDESK_DATABASE_URL to "
            "PostgreSQL (postgresql+asyncpg://…); SQLite serves one process"
        )
    if not settings.redis_url:
        raise ConfigError(
            "FRONTDESK_REDIS_URL is missing: --workers needs Redis (redis://host:6379/0) "
            "so that workers take turns and platform events once"
        )
    if "slack" in channels and not http:
        raise ConfigError(
            "--workers serves Slack over the HTTP Events API only: add --http PORT "
            "(Socket Mode is one connection, for one process)"
        )
    if "telegram" in channels and not webhook:
        raise ConfigError(
            "--workers serves Telegram by webhook only: add --webhook URL "
            "(long polling is one consumer, for one process)"
        )


def bind(channel: str, host: str, port: int) -> Listener:
    """A listening TCP socket the workers will share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    sock.setblocking(False)  # tornado (Telegram's webhook in PTB) and aiohttp expect it
    return Listener(channel, host, int(sock.getsockname()[1]), sock)


class Supervisor:
    """Forks ``count`` workers running ``serve()``, replaces the ones that die."""

    def __init__(self, count: int, serve: Callable[[int], int]) -> None:
        self.count = count
        self.serve = serve
        self.workers: dict[int, tuple[int, float]] = {}  # pid → (slot, started)
        self.stopping = 0  # the signal that stops us, once one came
        self.backoff = 1.0

    def run(self) -> int:
        """Until SIGTERM/SIGINT; returns the exit code (0, or 130 for Ctrl-C)."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for slot in range(self.count):
                self._fork(slot)
            print(
                f"frontdesk: {self.count} workers (pids {', '.join(map(str, self.workers))})",
                file=sys.stderr,
                flush=True,
            )
            while self.workers:
                try:
                    pid, status = os.wait()
                except ChildProcessError:
                    break
                slot, started = self.workers.pop(pid, (-1, 0.0))
                if slot < 0 or self.stopping:
                    continue
                code = os.waitstatus_to_exitcode(status)
                log.error("worker %d (pid %d) died with %s; starting another", slot, pid, code)
                if time.monotonic() - started < QUICK_DEATH:
                    time.sleep(self.backoff)  # signals still interrupt: _stop sets stopping
                    self.backoff = min(MAX_BACKOFF, self.backoff * 2)
                else:
                    self.backoff = 1.0
                if not self.stopping:
                    new = self._fork(slot)
                    print(f"frontdesk: worker {pid} died ({code}); pid {new} replaces it",
                          file=sys.stderr, flush=True)  # fmt: skip
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 130 if self.stopping == signal.SIGINT else 0

    def _fork(self, slot: int) -> int:
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                code = self.serve(slot)
            except BaseException:
                log.exception("worker %d failed", slot)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.workers[pid] = (slot, time.monotonic())
        return pid

    def _stop(self, sig: int, frame: object) -> None:
        if not self.stopping:
            print("frontdesk: stopping the workers…", file=sys.stderr, flush=True)
        self.stopping = sig
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _dump_tasks() -> None:
    """``kill -USR1 <worker pid>``: what each of its tasks is waiting for, on stderr."""
    tasks = asyncio.all_tasks()
    print(f"--- worker {os.getpid()}: {len(tasks)} tasks", file=sys.stderr)
    for task in tasks:
        task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


def until_signalled(main: Callable[[], Coroutine[Any, Any, object]]) -> int:
    """In a worker: run the coroutine ``main()``; SIGTERM or SIGINT cancel it (a clean stop)."""

    async def guarded() -> None:
        task = asyncio.ensure_future(main())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        loop.add_signal_handler(signal.SIGUSR1, _dump_tasks)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(guarded())
    return 0
