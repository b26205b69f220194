"""Load: simulated customers through the Slack and Telegram stand-ins, against 1, 2, 4 workers.

    python -m bench.load [--content DIR] [--workers 1,2,4] [--rates 50,100,200,400]
                         [--duration 20] [--rasa-venv /work/rasa-venv]
                         [--frontdesk /srv/frontdesk/venv/bin/frontdesk]

For each worker count, ``frontdesk run`` serves the Slack Events API (HTTP)
and the Telegram webhook as separate processes, against the platform stand-ins
of ``tests/e2e/`` run here. Customers — half on Slack, half on Telegram, in
English, Korean and Japanese — hold short conversations (:mod:`bench.load_traffic`);
messages are sent open-loop at each target rate, one conversation never has
two in flight, and a customer writes again about a second after reading the
answer. Latency runs from the update leaving the stand-in (a signed Events API
POST, a webhook POST with the secret) to the reply's ``chat.postMessage`` /
``sendMessage`` arriving back at it. The exactly-once check counts the bot's
messages per customer message at the stand-ins against a serial calibration
pass of every script (``--redeliver`` also delivers a share of updates twice,
as platforms do on retries).

One worker uses SQLite (the default deployment); several use a throwaway
PostgreSQL and Redis (``FRONTDESK_DATABASE_URL``, ``FRONTDESK_REDIS_URL``),
which ``--store`` can also force. With ``--rasa-venv``, Rasa 3.6 serves the same
content through its REST channel (:mod:`bench.load_rasa`) and is driven the
same way in the same run. Higher rates for a system stop once it falls behind
(answers missing, p99 over a second, or under 90 % of the offered rate).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.load_servers import (
    ROOT,
    cpu_seconds,
    free_port,
    machine_cpu_seconds,
    postgres,
    redis,
    supports_workers,
    workers,
)
from bench.load_traffic import SCRIPTS, Customers, Ledger, Turn, Verdict

LANGUAGES = ("en", "ko", "ja")  # of SCRIPTS, in turn
SECRET = "bench-webhook-secret"
CHANNELS = ("telegram", "slack")
#: A system keeps up at a rate when every message is answered, p99 ≤ this and ≥ 90 % of the rate.
KEEPS_UP_P99_MS = 1000.0
log = logging.getLogger("bench.load")

Send = Callable[[Turn], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Row:
    system: str
    workers: int
    store: str
    rate: int
    verdict: Verdict
    #: CPU the serving processes used per customer message, in ms.
    cpu_ms: float | None = None
    #: CPU the whole machine used per customer message (servers, PostgreSQL, Redis, bench).
    machine_ms: float | None = None

    @property
    def keeps_up(self) -> bool:
        v = self.verdict
        return (
            v.unanswered == 0
            and v.p99_ms is not None
            and v.p99_ms <= KEEPS_UP_P99_MS
            and v.answered_per_s >= 0.9 * self.rate
        )


class Ids:
    """Conversation ids unique over the whole run (a returning customer would change the script)."""

    def __init__(self) -> None:
        self.next = 1

    def block(self, size: int = 1_000_000) -> int:
        first, self.next = self.next, self.next + size
        return first


# --- the open-loop driver ------------------------------------------------------------


async def drive(
    send: Send,
    ledger: Ledger,
    customers: Customers,
    *,
    rate: float,
    duration: float,
    patience: float,
    group: int | None = None,
) -> tuple[Verdict, float | None, float]:
    """Send ``rate`` messages per second for ``duration`` s; wait for the answers; judge.

    Also returns the CPU milliseconds per message used by process group ``group`` and by
    the whole machine.
    """
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    failures: Counter[str] = Counter()

    async def one(turn: Turn) -> None:
        try:
            await send(turn)
        except Exception as exc:  # counted: the message then goes unanswered
            failures[type(exc).__name__] += 1

    cpu_before = cpu_seconds(group) if group else 0.0
    machine_before = machine_cpu_seconds()
    start = time.perf_counter()
    for k in range(int(rate * duration)):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.perf_counter()
        turn = customers.next(now)
        ledger.sent(turn, now)
        task = loop.create_task(one(turn))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    end = time.perf_counter()
    await until(lambda: not ledger.pending(), within=patience, every=0.1)
    await asyncio.sleep(0.5)  # late duplicates would arrive now
    cpu_ms = (cpu_seconds(group) - cpu_before) * 1000 / len(ledger.messages) if group else None
    machine_ms = (machine_cpu_seconds() - machine_before) * 1000 / max(1, len(ledger.messages))
    for task in tasks:
        task.cancel()
    if failures:
        print(f"  sends that failed: {dict(failures)}", file=sys.stderr)
    return ledger.verdict(window=(start, end)), cpu_ms, machine_ms


async def until(condition: Callable[[], bool], *, within: float, every: float) -> bool:
    """Wait until ``condition()`` holds, checking ``every`` seconds, at most ``within`` s."""
    deadline = time.perf_counter() + within
    while True:
        if condition() or time.perf_counter() > deadline:
            return condition()
        await asyncio.sleep(every)


async def calibrate(
    send: Send, ledger: Ledger, customers: Customers, *, settle: float
) -> dict[tuple[str, int, int], int]:
    """Bot messages per (channel, script, step), one turn at a time; also warms the workers.

    After the first bot message, more may follow (an offer after an answer): the
    count is taken ``settle`` seconds later, or twice the first one's latency if longer.
    """
    expected: dict[tuple[str, int, int], int] = {}
    for _ in range(sum(map(len, SCRIPTS)) * len(customers.channels)):
        turn = customers.next(float("inf"))  # the same conversation until its script ends
        message = ledger.sent(turn, time.perf_counter())
        await send(turn)
        parts = message.parts
        if not await until(lambda: bool(parts), within=30, every=0.01):  # noqa: B023
            raise RuntimeError(f"no answer to {turn.text!r} on {turn.channel} in 30 s")
        await asyncio.sleep(max(settle, 2 * (parts[0] - message.sent)))
        expected[turn.key] = len(message.parts)
    return expected


# --- frontdesk behind the stand-ins --------------------------------------------------


class Platforms:
    """The Slack and Telegram stand-ins, with every bot message counted into the ledger."""

    def __init__(self, fake_slack: Any, fake_telegram: Any, http: aiohttp.ClientSession) -> None:
        self.slack, self.telegram, self.http = fake_slack, fake_telegram, http
        self.ledger = Ledger()
        self.customers: Customers | None = None
        self.slack_url = ""
        self.redeliver = 0.0
        self.random = random.Random(8)
        self._update_ids = itertools.count(1)
        fake_slack.answer("chat.postMessage", self._slack_post)
        fake_slack.answer("users.info", self._slack_user)
        fake_telegram.answer("sendMessage", self._telegram_send)

    def _seen(self, conversation: int) -> None:
        now = time.perf_counter()
        if self.ledger.seen(conversation, now) is not None and self.customers is not None:
            self.customers.answered(conversation, now)

    def _slack_post(self, call: Any) -> dict[str, Any]:
        channel = str(call.args.get("channel", ""))
        self._seen(int(channel[1:]))
        ts = f"{time.time():.6f}"
        return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts, "text": ""}}

    @staticmethod
    def _slack_user(call: Any) -> dict[str, Any]:
        user = str(call.args.get("user"))
        profile = {"display_name": f"Customer {user}", "real_name": f"Customer {user}"}
        return {"ok": True, "user": {"id": user, "name": user.lower(), "profile": profile}}

    def _telegram_send(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        self._seen(chat_id)
        return {
            "message_id": self.random.randrange(1, 2**31),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Customer"},
            "from": self.telegram.bot,
            "text": str(params.get("text", "")),
        }

    async def send(self, turn: Turn) -> None:
        again = self.random.random() < self.redeliver
        if turn.channel == "telegram":
            person = self.telegram.user(
                f"Customer {turn.conversation}",
                id=turn.conversation,
                language_code=LANGUAGES[turn.script % len(LANGUAGES)],
            )
            update = {
                "update_id": next(self._update_ids),
                "message": self.telegram.message(person, turn.text),
            }
            for _ in range(2 if again else 1):
                await self._post(self.telegram.webhook["url"], json.dumps(update), self._secret)
            return
        from tests.e2e.slack_api import dm, event_body, sign

        c = turn.conversation
        body = event_body(dm(turn.text, user=f"U{c}", channel=f"D{c}"))
        data = json.dumps(body)
        for retry in range(2 if again else 1):
            headers = sign(data)
            if retry:
                headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            await self._post(self.slack_url, data, headers)

    @property
    def _secret(self) -> dict[str, str]:
        from tests.e2e.telegram_api import SECRET_HEADER

        return {SECRET_HEADER: str(self.telegram.webhook.get("secret_token", ""))}

    async def _post(self, url: str, data: str, headers: dict[str, str]) -> None:
        """POST as the platform does; anything but 200 is a failed delivery."""
        headers = {"Content-Type": "application/json", **headers}
        async with self.http.post(url, data=data, headers=headers) as answer:
            await answer.read()
            if answer.status != 200:
                raise RuntimeError(f"{url} answered {answer.status}")


@contextlib.contextmanager
def quiet_proxies() -> Iterator[None]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        os.environ.pop(var, None)
        os.environ.pop(var.lower(), None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    yield


def _session() -> aiohttp.ClientSession:
    """Many connections, as many customers; a request unanswered in 30 s has failed."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=2000), timeout=aiohttp.ClientTimeout(total=30)
    )


async def until_ready(process: Any, port: int, log_file: Path, *, within: float = 180) -> None:
    """Wait until ``frontdesk run`` answers ``/healthz`` on the Slack port."""
    deadline = time.perf_counter() + within
    async with aiohttp.ClientSession() as http:
        while True:
            if process.poll() is not None:
                tail = (await asyncio.to_thread(log_file.read_text, errors="replace"))[-2000:]
                raise RuntimeError(f"frontdesk run exited with {process.returncode}:\n{tail}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            if time.perf_counter() > deadline:
                raise TimeoutError(f"frontdesk run not ready after {within:.0f} s (see {log_file})")
            await asyncio.sleep(0.2)


async def bench_frontdesk(
    count: int, store: str, args: argparse.Namespace, ids: Ids, tmp: Path
) -> list[Row]:
    from tests.e2e.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack
    from tests.e2e.telegram_api import FakeTelegram

    rows: list[Row] = []
    with contextlib.ExitStack() as servers:
        env = {
            "FRONTDESK_CONTENT": str(args.content),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
        }
        if store == "postgres":
            env["FRONTDESK_DATABASE_URL"] = servers.enter_context(postgres(tmp))
            env["FRONTDESK_REDIS_URL"] = servers.enter_context(redis(tmp))
        else:
            db = tmp / f"frontdesk-{count}.db"
            env["FRONTDESK_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
        async with (
            FakeSlack() as fake_slack,
            FakeTelegram() as fake_telegram,
            _session() as http,
        ):
            platforms = Platforms(fake_slack, fake_telegram, http)
            env |= {
                "SLACK_API_BASE_URL": fake_slack.base_url,
                "TELEGRAM_BOT_TOKEN": fake_telegram.token,
                "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
            }
            slack_port, telegram_port = free_port(), free_port()
            started = time.perf_counter()
            with workers(
                count,
                env=env,
                slack_port=slack_port,
                telegram_port=telegram_port,
                log=(args.logs or tmp) / f"workers-{count}.log",
                program=args.frontdesk,
            ) as process:
                await until_ready(process, slack_port, (args.logs or tmp) / f"workers-{count}.log")
                await fake_telegram.wait_until(
                    lambda: [fake_telegram.webhook] if fake_telegram.webhook else [],
                    within=60,
                    what="setWebhook",
                )
                print(
                    f"frontdesk × {count} ({store}): up in {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
                platforms.slack_url = f"http://127.0.0.1:{slack_port}/slack/events"
                platforms.customers = Customers(args.channels, first_id=ids.block())
                expected = await calibrate(
                    platforms.send, platforms.ledger, platforms.customers, settle=args.settle
                )
                platforms.redeliver = args.redeliver
                for rate in args.rates:
                    platforms.ledger = Ledger(expected)
                    platforms.customers = Customers(
                        args.channels, think=args.think, first_id=ids.block()
                    )
                    verdict, cpu_ms, machine_ms = await drive(
                        platforms.send,
                        platforms.ledger,
                        platforms.customers,
                        rate=rate,
                        duration=args.duration,
                        patience=args.timeout,
                        group=process.pid,
                    )
                    row = Row("frontdesk", count, store, rate, verdict, cpu_ms, machine_ms)
                    rows.append(row)
                    print(_line(row), file=sys.stderr)
                    if not row.keeps_up:
                        break
                    await asyncio.sleep(1)
    return rows


# --- Rasa ------------------------------------------------------------------------------


async def bench_rasa(args: argparse.Namespace, ids: Ids, tmp: Path) -> list[Row]:
    from bench import load_rasa

    venv: Path = args.rasa_venv
    project = load_rasa.write_project(args.content, tmp / "rasa")
    model = load_rasa.train(venv, project, args.cache, log=(args.logs or tmp) / "rasa-train.log")
    rows: list[Row] = []
    serving = load_rasa.serve(
        venv, project, model, free_port(), log=(args.logs or tmp) / "rasa-run.log"
    )
    with serving as (url, group):
        async with _session() as http:
            state: dict[str, Any] = {"ledger": Ledger(), "customers": None}

            async def send(turn: Turn) -> None:
                payload = {"sender": f"c{turn.conversation}", "message": turn.text}
                async with http.post(url, json=payload) as answer:
                    replies = await answer.json() if answer.status == 200 else []
                now = time.perf_counter()
                for _ in replies:
                    if state["ledger"].seen(turn.conversation, now) is not None:
                        state["customers"].answered(turn.conversation, now)

            state["customers"] = Customers(("rasa",), first_id=ids.block())
            expected = await calibrate(send, state["ledger"], state["customers"], settle=0)
            for rate in args.rates:
                state["ledger"] = Ledger(expected)
                state["customers"] = Customers(("rasa",), think=args.think, first_id=ids.block())
                verdict, cpu_ms, machine_ms = await drive(
                    send,
                    state["ledger"],
                    state["customers"],
                    rate=rate,
                    duration=args.duration,
                    patience=args.timeout,
                    group=group,
                )
                row = Row("Rasa 3.6 REST", 1, "in memory", rate, verdict, cpu_ms, machine_ms)
                rows.append(row)
                print(_line(row), file=sys.stderr)
                if not row.keeps_up:
                    break
                await asyncio.sleep(1)
    return rows


# --- the report -----------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _line(row: Row) -> str:
    v = row.verdict
    return (
        f"  {row.system} × {row.workers} at {row.rate}/s: {v.answered_per_s:.0f} turns/s, "
        f"p50 {_ms(v.p50_ms)} ms, p99 {_ms(v.p99_ms)} ms, CPU {_ms(row.cpu_ms)} ms/turn "
        f"({_ms(row.machine_ms)} machine), "
        f"{v.check()}"
    )


def table(rows: list[Row], args: argparse.Namespace) -> str:
    """The Markdown table of every run, and the comparison."""
    lines = [
        f"{args.duration:g} s per rate, think time {args.think:g} s, "
        f"redelivered {args.redeliver:.0%}",
        "",
        "| system | workers | store | offered /s | turns/s | p50 ms | p99 ms "
        "| CPU ms/turn | machine CPU ms/turn | exactly once |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        v = row.verdict
        mark = "" if row.keeps_up else " (falls behind)"
        lines.append(
            f"| {row.system} | {row.workers} | {row.store} | {row.rate} | "
            f"{v.answered_per_s:.0f}{mark} | {_ms(v.p50_ms)} | {_ms(v.p99_ms)} | "
            f"{_ms(row.cpu_ms)} | {_ms(row.machine_ms)} | {v.check()} |"
        )

    def best(system: str) -> float:
        kept = [r.verdict.answered_per_s for r in rows if r.system == system and r.keeps_up]
        return max(kept, default=0.0)

    ours, theirs = best("frontdesk"), best("Rasa 3.6 REST")
    lines.append("")
    lines.append(f"frontdesk sustained {ours:.0f} turns/s (highest rate kept up)")
    if any(r.system != "frontdesk" for r in rows):
        ratio = f"{ours / theirs:.1f}×" if theirs else "∞ ×"
        lines.append(f"Rasa 3.6 sustained {theirs:.0f} turns/s; frontdesk/Rasa = {ratio}")
    at_200 = [r for r in rows if r.system == "frontdesk" and r.rate == 200]
    for row in at_200:
        p99 = row.verdict.p99_ms
        verdict = "meets" if p99 is not None and p99 < 50 else "misses"
        lines.append(
            f"p99 at 200 turns/s with {row.workers} worker(s): {_ms(p99)} ms ({verdict} < 50 ms)"
        )
    return "\n".join(lines)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--content", type=Path, default=ROOT, help="content folder (default: repo)")
    parser.add_argument("--workers", type=_ints, default=[1, 2, 4], help="e.g. 1,2,4")
    parser.add_argument("--rates", type=_ints, default=[50, 100, 200, 400], help="turns/s to offer")
    parser.add_argument(
        "--channels",
        type=lambda text: [c for c in text.split(",") if c],
        default=list(CHANNELS),
        help="customers' platforms: telegram,slack (default both)",
    )
    parser.add_argument("--duration", type=float, default=20, help="seconds per rate")
    parser.add_argument("--think", type=float, default=1.0, help="a customer's pause, seconds")
    parser.add_argument("--timeout", type=float, default=10, help="wait for late answers, seconds")
    parser.add_argument("--settle", type=float, default=0.3, help="calibration: quiet after a turn")
    parser.add_argument(
        "--redeliver", type=float, default=0.0, help="share of updates delivered twice"
    )
    parser.add_argument(
        "--store",
        choices=("auto", "sqlite", "postgres"),
        default="auto",
        help="auto: SQLite for one worker, PostgreSQL + Redis for more",
    )
    parser.add_argument("--logs", type=Path, help="keep the servers' logs in this folder")
    parser.add_argument(
        "--frontdesk",
        type=Path,
        help="an installed frontdesk executable to run instead of this checkout",
    )
    parser.add_argument("--rasa-venv", type=Path, help="a virtualenv with rasa 3.6 to compare")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "frontdesk-bench",
        help="where the trained Rasa model is kept between runs",
    )
    return parser


async def _main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    ids = Ids()
    rows: list[Row] = []
    several = supports_workers()
    failed = False
    with tempfile.TemporaryDirectory(prefix="frontdesk-load-") as folder:
        tmp = Path(folder)
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
        for count in args.workers:
            store = args.store if args.store != "auto" else "sqlite" if count == 1 else "postgres"
            if count > 1 and not several:
                print(
                    f"skipping {count} workers: `frontdesk run` has no --workers", file=sys.stderr
                )
                continue
            try:
                rows += await bench_frontdesk(count, store, args, ids, tmp)
            except (RuntimeError, TimeoutError, aiohttp.ClientError) as exc:
                print(f"frontdesk × {count} failed: {exc!r}", file=sys.stderr)
                failed = True
        if args.rasa_venv:
            rows += await bench_rasa(args, ids, tmp)
    print(table(rows, args))
    return 0 if not failed and all(r.verdict.ok for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.content = args.content.resolve()
    with quiet_proxies():
        return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
