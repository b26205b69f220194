"""Train a Rasa model and run ``rasa run --enable-api`` as a child process.

Both run the venv's ``rasa`` command in the project folder, with telemetry off
(no network here). :class:`RasaServer` waits until the model is loaded and has
answered one parse, and stops the process group cleanly (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from bot.rasa.venv import RasaError, rasa_bin

MODEL_NAME = "frontdesk"
DEFAULT_PORT = 5005
#: Rasa imports TensorFlow and loads the model: a minute on a busy 2-core machine.
START_TIMEOUT = 240.0
STOP_TIMEOUT = 20.0


def rasa_env() -> dict[str, str]:
    """The environment of Rasa's processes: no telemetry, quiet TensorFlow."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    return env


def model_path(project: Path) -> Path:
    """Where :func:`train` leaves the model of ``project``."""
    return project / "models" / f"{MODEL_NAME}.tar.gz"


async def train(
    venv: Path, project: Path, *, nlu_only: bool = False, log: Path | None = None
) -> Path:
    """``rasa train`` (or ``rasa train nlu``) in ``project``; returns the model file.

    Output goes to ``log`` when given, else to this terminal. Raises :class:`RasaError`.
    """
    what = ["train", "nlu", "--nlu", "data/nlu.yml"] if nlu_only else ["train", "--data", "data"]
    cmd = [
        str(rasa_bin(venv)), *what, "--config", "config.yml", "--out", "models",
        "--fixed-model-name", MODEL_NAME,
    ]  # fmt: skip
    if not nlu_only:
        cmd += ["--domain", "domain.yml"]
    with _output(log) as out:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=project,
            env=rasa_env(),
            stdout=out,
            stderr=out,
            stdin=asyncio.subprocess.DEVNULL,
        )
        code = await proc.wait()
    model = model_path(project)
    if code != 0 or not model.exists():
        raise RasaError(f"`rasa {' '.join(what[:2])}` failed (exit {code}){_tail(log)}")
    return model


class RasaServer:
    """``rasa run --enable-api`` on one model, bound to ``host:port``."""

    def __init__(
        self,
        venv: Path,
        project: Path,
        *,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        log: Path | None = None,
        start_timeout: float = START_TIMEOUT,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.venv, self.project, self.port, self.host, self.log = venv, project, port, host, log
        self.start_timeout, self.stop_timeout = start_timeout, stop_timeout
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (its RSS is the model's memory)."""
        return self._proc.pid if self._proc and self._proc.returncode is None else None

    async def start(self) -> None:
        """Start the server and wait until its model answers; raises :class:`RasaError`."""
        model = model_path(self.project)
        if not model.exists():
            raise RasaError(f"no trained model at {model}: run `frontdesk rasa train` first")
        if await _healthy(self.url):
            raise RasaError(f"something already answers at {self.url}: choose another --port")
        cmd = [
            str(rasa_bin(self.venv)), "run", "--enable-api", "--model", str(model),
            "--interface", self.host, "--port", str(self.port),
            "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
        ]  # fmt: skip
        with _output(self.log) as out:
            self._proc = await asyncio.create_subprocess_exec(
                *cmd, cwd=self.project, env=rasa_env(), stdout=out, stderr=out,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + self.start_timeout
        while not await _healthy(self.url, parse=True):
            if self._proc.returncode is not None:
                raise RasaError(f"rasa run exited with {self._proc.returncode}{_tail(self.log)}")
            if time.monotonic() > deadline:
                await self.stop()
                raise RasaError(
                    f"rasa run did not answer within {self.start_timeout:.0f} s{_tail(self.log)}"
                )
            await asyncio.sleep(1.0)

    async def wait(self) -> int:
        """Until the server exits (``frontdesk rasa serve`` in the foreground)."""
        if self._proc is None:
            return 0
        return await self._proc.wait()

    async def stop(self) -> None:
        """SIGTERM to the server's process group; SIGKILL if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                await asyncio.wait_for(proc.wait(), self.stop_timeout)
                return
            except TimeoutError:
                continue

    async def __aenter__(self) -> RasaServer:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def _healthy(url: str, *, parse: bool = False) -> bool:
    """A model is loaded at ``url`` (and, with ``parse``, has parsed a warm-up text)."""
    timeout = aiohttp.ClientTimeout(total=60 if parse else 2)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{url}/status") as resp:
                if resp.status != 200 or not (await resp.json()).get("model_file"):
                    return False
            if parse:
                async with session.post(f"{url}/model/parse", json={"text": "hello"}) as resp:
                    return resp.status == 200
            return True
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return False


@contextlib.contextmanager
def _output(log: Path | None) -> Any:
    if log is None:
        yield None
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as fh:
        yield fh


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"; the end of {log}:\n" + "\n".join(text)


__all__ = ["DEFAULT_PORT", "RasaServer", "model_path", "train"]
