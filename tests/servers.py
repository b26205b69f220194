"""Real PostgreSQL and Redis servers on loopback, for the tests and the bench.

Each server runs from its own temporary folder on a free port and is stopped (and
its folder removed) when the context manager exits::

    with running_postgres() as pg:
        url = pg.create_database("t_1")   # postgresql+asyncpg://…/t_1
        pg.restart()                      # a fast shutdown and start, same port
    with running_redis() as redis:
        redis.url                         # redis://127.0.0.1:<port>/0

PostgreSQL refuses to run as root. When we are root, ``initdb`` and ``postgres``
run as the user named by ``FRONTDESK_PG_USER``, else ``postgres`` if that user
exists, else ``nobody``; their folder is created outside root's private pytest
folders and handed to that user. A missing binary raises :class:`ServerUnavailable`
(the test fixtures turn it into a skip, or a failure under
``FRONTDESK_REQUIRE_SERVERS=1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Set to 1 (CI does) to fail instead of skipping when a server cannot start.
REQUIRE = "FRONTDESK_REQUIRE_SERVERS"
SUPERUSER = "frontdesk"
STARTUP_SECONDS = 30.0
#: Proxy settings, upper and lower case alike: slack_sdk and aiohttp would send requests for
#: the stand-ins on 127.0.0.1 through a proxy (they ignore NO_PROXY).
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class ServerUnavailable(RuntimeError):
    """A server's binaries are missing or it would not start; the message says why."""


def required() -> bool:
    """Whether missing servers are a failure (CI) rather than a skip."""
    return os.environ.get(REQUIRE, "") not in ("", "0")


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(ready: Any, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    process.wait()
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise ServerUnavailable(f"{what} did not start:\n{tail}")


def _stop(process: subprocess.Popen[bytes] | None, sig: int) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- PostgreSQL -------------------------------------------------------------------------


def postgres_bin(name: str) -> Path:
    """A PostgreSQL program from PATH, else from the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / name).exists():
            return Path(folder) / name
    raise ServerUnavailable(f"PostgreSQL's {name!r} is not installed (apt-get install postgresql)")


def _pg_account() -> pwd.struct_passwd | None:
    """The unprivileged account PostgreSQL runs as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    names = [os.environ.get("FRONTDESK_PG_USER", ""), "postgres", "nobody"]
    for name in filter(None, names):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServerUnavailable("running as root and no unprivileged user (postgres, nobody) exists")


@dataclass
class Postgres:
    """One PostgreSQL cluster in a temporary folder; superuser ``frontdesk``, trust auth."""

    root: Path
    port: int
    account: pwd.struct_passwd | None
    process: subprocess.Popen[bytes] | None = None
    _names: int = field(default=0, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one database of this cluster."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        if self.account is not None:
            kwargs.update(
                user=self.account.pw_uid, group=self.account.pw_gid, extra_groups=[], umask=0o077
            )
        env = {**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        return subprocess.Popen(args, env=env, cwd=self.root, **kwargs)

    def init(self) -> None:
        """``initdb`` with fast, test-only settings."""
        args = [str(postgres_bin("initdb")), "-D", str(self.data), "-U", SUPERUSER]
        args += ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
        done = self._popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = done.communicate(timeout=120)
        if done.returncode:
            raise ServerUnavailable(f"initdb failed:\n{out.decode(errors='replace')[-2000:]}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        args = [str(postgres_bin("postgres")), "-D", str(self.data), "-p", str(self.port)]
        for setting in (
            "listen_addresses=127.0.0.1",
            f"unix_socket_directories={self.root}",
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
            "max_connections=200",
            "shared_buffers=64MB",
        ):
            args += ["-c", setting]
        with self.log.open("ab") as log:
            self.process = self._popen(args, stdout=log, stderr=subprocess.STDOUT)
        _wait(self._ready, self.process, "postgres", self.log)

    def _ready(self) -> bool:
        """postmaster.pid's last line says "ready" once connections are accepted."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"

    def stop(self) -> None:
        """A fast shutdown: open sessions are cut, their transactions rolled back."""
        _stop(self.process, signal.SIGINT)
        self.process = None

    def restart(self) -> None:
        """What ``pg_ctl restart -m fast`` does: stop fast, start again on the same port."""
        self.stop()
        self.start()

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; returns its URL. Callable from sync or async code."""
        if name is None:
            self._names += 1
            name = f"t_{self._names}"
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain database name: {name!r}")
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_schema(self, name: str | None = None) -> str:
        """A new, empty namespace, much faster than a database: the role ``name`` owns the
        schema ``name``, which PostgreSQL's default search path (``"$user", public``) puts
        first. Returns the URL that logs in as that role to the ``postgres`` database."""
        if name is None:
            self._names += 1
            name = f"t_{self._names}"
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain role name: {name!r}")
        self._admin(f'CREATE ROLE "{name}" LOGIN; CREATE SCHEMA "{name}" AUTHORIZATION "{name}"')
        return f"postgresql+asyncpg://{name}@127.0.0.1:{self.port}/postgres"

    def _admin(self, sql: str) -> None:
        """Run one statement on the ``postgres`` database in a private event loop."""
        errors: list[BaseException] = []

        async def run() -> None:
            import asyncpg  # the driver the store uses

            conn = await asyncpg.connect(
                host="127.0.0.1", port=self.port, user=SUPERUSER, database="postgres"
            )
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        def thread() -> None:
            try:
                asyncio.run(run())
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=thread)
        worker.start()
        worker.join()
        if errors:
            raise errors[0]


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A fresh PostgreSQL cluster on a free loopback port, removed afterwards."""
    account = _pg_account()
    postgres_bin("postgres")
    root = Path(tempfile.mkdtemp(prefix="frontdesk-pg-"))
    try:
        if account is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        server = Postgres(root=root, port=free_port(), account=account)
        server.init()
        for attempt in range(3):
            try:
                server.start()
                break
            except ServerUnavailable:  # most likely the port was taken meanwhile
                if attempt == 2:
                    raise
                server.port = free_port()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- Redis -----------------------------------------------------------------------------


@dataclass
class Redis:
    """One redis-server without persistence."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerUnavailable("redis-server is not installed (apt-get install redis-server)")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.root), "--daemonize", "no"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        _wait(lambda: self.command("PING") == "+PONG", self.process, "redis-server", self.log)

    def command(self, *words: str) -> str:
        """Send one inline command; the first line of the answer (``""`` if unreachable)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall((" ".join(words) + "\r\n").encode())
                return sock.recv(4096).split(b"\r\n", 1)[0].decode()
        except OSError:
            return ""

    def flush(self) -> None:
        """Forget every key (a clean slate for the next test)."""
        if self.command("FLUSHALL") != "+OK":
            raise ServerUnavailable("redis-server did not answer FLUSHALL")

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def running_redis() -> Iterator[Redis]:
    """A redis-server on a free loopback port, stopped afterwards."""
    root = Path(tempfile.mkdtemp(prefix="frontdesk-redis-"))
    try:
        server = Redis(root=root, port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
