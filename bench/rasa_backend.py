"""``bench/nlu.py --backend rasa``: the same task through a real Rasa 3.6 server.

The task's training examples become an NLU-only Rasa project (Rasa's default
pipeline, ``--epochs`` for DIET and the ResponseSelector); ``rasa train nlu``
trains it, ``rasa run --enable-api`` serves it on a free port, and every query
goes through :class:`bot.nlu.rasa.RasaNLU` (HTTP ``/model/parse``), one at a
time, as the bot would send them. Memory is the Rasa server process's.
The worker is pinned to one core and its children inherit that, so Rasa trains
and parses on one core too, like the embedded NLU.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.nlu import Result, Task, choose_threshold, parse_all, top1_right
from bot.nlu import Example, Scored
from bot.nlu.rasa import RasaNLU
from bot.rasa.project import write_nlu_project
from bot.rasa.server import RasaServer, train
from bot.rasa.venv import RasaError, is_ready


class _NoFallback:
    """A benchmark measures Rasa alone: a failed parse stops it."""

    def fit(self, examples: Sequence[Example]) -> None:
        pass

    async def parse(self, text: str, *, k: int = 5) -> list[Scored]:
        raise RasaError("the Rasa server stopped answering during the benchmark")


class _Renamed:
    """Rasa reads ``a/b`` as a retrieval intent: such labels (xSID's) travel as ``a__b``."""

    def __init__(self, nlu: RasaNLU, back: dict[str, str]) -> None:
        self.nlu, self.back = nlu, back

    def fit(self, examples: Sequence[Example]) -> None:
        pass

    async def parse(self, text: str, *, k: int = 5) -> list[Scored]:
        ranked = await self.nlu.parse(text, k=k)
        return [Scored(self.back.get(s.label, s.label), s.score) for s in ranked]


def _safe(label: str) -> str:
    return label if label.startswith("faq:") else label.replace("/", "__")


def default_venv() -> Path:
    return Path(os.environ.get("FRONTDESK_RASA_VENV") or ".rasa/venv")


def run(task: Task, *, venv: Path, epochs: int) -> Result:
    """Train, serve and query Rasa on ``task``; the figures of :class:`bench.nlu.Result`."""
    if not is_ready(venv):
        raise RasaError(f"no Rasa 3.6 in {venv}: set FRONTDESK_RASA_VENV or --rasa-venv")
    with tempfile.TemporaryDirectory(prefix="bench-rasa-") as tmp:
        return asyncio.run(_run(task, Path(tmp), venv, epochs))


async def _run(task: Task, project: Path, venv: Path, epochs: int) -> Result:
    back = {_safe(e.label): e.label for e in task.train}
    write_nlu_project([Example(e.text, _safe(e.label)) for e in task.train], project, epochs=epochs)
    start = time.perf_counter()
    await train(venv, project, nlu_only=True, log=project / "train.log")
    train_s = time.perf_counter() - start
    server = RasaServer(venv, project, port=_free_port(), log=project / "rasa.log")
    start = time.perf_counter()
    await server.start()
    load_s = time.perf_counter() - start
    client = RasaNLU(server.url, fallback=_NoFallback(), timeout=30.0)
    nlu = _Renamed(client, back)
    try:
        threshold = in_at_t = recall = None
        if task.val:
            val_ranked, _, _ = await parse_all(nlu, task.val, f"{task.name} val (rasa)")
            threshold = choose_threshold(task.val, val_ranked)
        await parse_all(nlu, task.test[:50], "warm-up")
        ranked, latency, _ = await parse_all(nlu, task.test, f"{task.name} test (rasa)")
        rss, peak = _memory_mb(server.pid)
    finally:
        await client.close()
        await server.stop()
    ins = np.array([g is not None for _, g in task.test])
    accuracy = float(top1_right(task.test, ranked)[ins].mean())
    if threshold is not None:
        in_at_t = float(top1_right(task.test, ranked, threshold)[ins].mean())
        tops = np.array([r[0].score if r else 0.0 for r in ranked])
        recall = float((tops[~ins] < threshold).mean())
    ms = np.array(latency) * 1000
    return Result(
        f"{task.name} · rasa", len(task.train), len(task.test), accuracy, train_s, float("nan"),
        load_s, float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), float("nan"), rss,
        float("nan"), peak,
        threshold, in_at_t, recall,
    )  # fmt: skip


def _memory_mb(pid: int | None) -> tuple[float, float]:
    """VmRSS and VmHWM (peak) of the server process."""
    if pid is None:
        return float("nan"), float("nan")
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
