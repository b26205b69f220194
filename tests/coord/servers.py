"""A real redis-server and PostgreSQL on loopback for the coordination tests.

Minimal on purpose: the shared fixtures (``tests/servers.py`` on the store's
branch) use the same names, ``redis_url`` and ``postgres_url``, so that one can
replace the other.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(process: subprocess.Popen[bytes], port: int, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _listening(port):
            return
        if process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"{what} did not start")


@contextmanager
def running_redis() -> Iterator[str]:
    """``redis-server`` without persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(process, port, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _pg(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found


@contextmanager
def running_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL cluster (trust auth, no fsync); yields its server URL
    without a database name. As root it runs as the ``postgres`` user."""
    root = Path(tempfile.mkdtemp(prefix="fd-pg-", dir="/tmp"))
    account = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
    user = {"user": account.pw_uid, "group": account.pw_gid} if account else {}
    data, port = root / "data", free_port()
    subprocess.run(
        [_pg("initdb"), "-D", str(data), "-U", "frontdesk", "--auth=trust", "--no-sync"],
        check=True,
        stdout=subprocess.DEVNULL,
        **user,  # type: ignore[arg-type]
    )
    args = [_pg("postgres"), "-D", str(data), "-p", str(port), "-c", "fsync=off"]
    args += ["-c", f"unix_socket_directories={root}", "-c", "listen_addresses=127.0.0.1"]
    args += ["-c", "synchronous_commit=off", "-c", "max_connections=200"]
    process = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **user,  # type: ignore[arg-type]
    )
    try:
        _wait(process, port, "postgres")
        yield f"postgresql+asyncpg://frontdesk@127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """A new empty database on ``server``; its URL."""
    port = server.rsplit(":", 1)[1]
    subprocess.run(
        [_pg("psql"), "-h", "127.0.0.1", "-p", port, "-U", "frontdesk", "-d", "postgres",
         "-q", "-c", f'CREATE DATABASE "{name}"'],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return f"{server}/{name}"
