"""Throwaway servers for ``bench/load.py``: PostgreSQL, Redis and frontdesk workers.

Each runs as a child process on 127.0.0.1 with its files in a temporary
folder and is stopped (SIGTERM, then SIGKILL) when its ``with`` block ends.
PostgreSQL refuses to run as root; as root the cluster belongs to ``nobody``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, *, within: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something accepts connections on ``port``."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {within:.0f} s")


def stop(process: subprocess.Popen[bytes], *, grace: float = 10) -> None:
    """SIGTERM the process (group), SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _as_owner(folder: Path) -> list[str]:
    """Command prefix that runs as the unprivileged owner of ``folder`` when we are root."""
    if os.geteuid() != 0:
        return []
    os.chown(folder, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
    return ["runuser", "-u", "nobody", "--"]


@contextlib.contextmanager
def postgres(tmp: Path) -> Iterator[str]:
    """A fresh PostgreSQL cluster; yields its SQLAlchemy URL (asyncpg)."""
    tmp.chmod(0o755)  # the cluster's owner must reach its folder
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir=tmp))
    prefix = _as_owner(folder)
    data, port = folder / "data", free_port()
    subprocess.run(
        [*prefix, "initdb", "-D", str(data), "-U", "frontdesk", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    subprocess.run(
        [
            *prefix,
            "pg_ctl",
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*prefix, "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "frontdesk", "bench"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+asyncpg://frontdesk@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(
            [*prefix, "pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True
        )


@contextlib.contextmanager
def redis(tmp: Path) -> Iterator[str]:
    """A Redis without persistence; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_port(port, within=10, process=process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


def supports_workers() -> bool:
    """Whether ``frontdesk run`` has ``--workers`` (several processes behind one port)."""
    out = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    return "--workers" in out.stdout


@contextlib.contextmanager
def workers(
    count: int,
    *,
    env: Mapping[str, str],
    slack_port: int,
    telegram_port: int,
    log: Path,
    program: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """``frontdesk run`` serving Slack Events on ``slack_port`` and the Telegram webhook.

    One process for ``count == 1``; ``--workers count`` otherwise. Output goes
    to ``log``; the caller waits until it is ready (the stand-ins it calls at
    start-up run in the caller's event loop). ``program`` is another ``frontdesk``
    executable (an installed one), run from the log's folder so that this
    checkout's package is not the one imported; by default this checkout's.
    """
    prefix = [sys.executable, "-m", "bot"] if program is None else [str(program)]
    command: Sequence[str] = [
        *prefix,
        "run",
        "--http",
        str(slack_port),
        "--webhook",
        f"http://127.0.0.1:{telegram_port}/telegram",
        "--port",
        str(telegram_port),
    ]
    if count > 1:
        command = [*command, "--workers", str(count)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT if program is None else log.parent,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


def cpu_seconds(group: int) -> float:
    """User + system CPU seconds used so far by the live processes of process group ``group``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:
                total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_cpu_seconds() -> float:
    """CPU seconds every core of the machine has been busy so far (``/proc/stat``): the
    servers, the database, Redis, the bench itself and anything else running."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
