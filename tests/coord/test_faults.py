"""Faults survived, with the real libraries: slack-bolt/slack_sdk against the Slack
stand-in, a real PostgreSQL and a real Redis shared by several workers.

- the same event delivered to three workers is answered once;
- a worker killed with SIGKILL in the middle of a load loses nothing and redoes no
  turn (``frontdesk run --workers 3``, real processes), behind Slack's Events API
  and behind Telegram's webhook; the only reply a customer may read twice is one
  the killed worker was sending at that instant (neither platform has an
  idempotency key for messages: docs/scale.md);
- a storm of 429s: every reply is delivered, in order.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App, build_app
from bot.channels.slack import EVENTS_PATH, SlackChannel
from tests.e2e.slack_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Call,
    FakeSlack,
    dm,
    event_body,
    event_request,
    sign,
)
from tests.e2e.slack_bot import slack_settings
from tests.servers import PROXY_VARS, free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_proxy")]

QUESTIONS = (
    "How long does delivery take?",
    "Can I return a book I bought?",
    "Do you ship internationally?",
    "How do I reset my password?",
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@dataclass
class Worker:
    app: App
    channel: SlackChannel

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.channel.http_port}{EVENTS_PATH}"


Start = Callable[..., Any]


@pytest.fixture
async def workers(fake: FakeSlack, postgres_url: str, redis_url: str) -> AsyncIterator[Start]:
    """Workers in this process, each with its own store pool, Redis connection and port."""
    started: list[Worker] = []

    async def start(count: int, **overrides: Any) -> list[Worker]:
        for _ in range(count):
            settings = slack_settings(fake, postgres_url, redis_url=redis_url, **overrides)
            app = await build_app(settings)
            channel = SlackChannel.from_settings(
                app.engine, settings, coord=app.coord, turns=app.turns
            )
            await channel.start(http_port=0)
            started.append(Worker(app, channel))
        return started

    yield start
    for worker in started:
        await worker.channel.stop()
        await worker.app.close()


async def _deliver(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any], *, retry: int = 0
) -> int:
    data, headers = event_request(body, retry=retry)
    headers |= sign(data)
    async with http.post(url, data=data, headers=headers) as response:
        await response.read()
        return response.status


def _to(fake: FakeSlack, channel: str) -> list[Call]:
    return [p for p in fake.posts if p.args.get("channel") == channel]


#: Replies the killed worker may have been sending at the instant it died (one per
#: conversation it was flushing): delivered, not yet marked sent, so sent again.
IN_FLIGHT = 3


def _resent(replies: list[list[str]], recorded: list[int]) -> int:
    """How many replies were delivered twice, each right after itself (what a kill
    between the platform's answer and the "sent" mark causes); fails on anything else:
    a reply missing, an extra one that is not such a repeat, or more than
    :data:`IN_FLIGHT` of them."""
    resent = 0
    for n, (texts, out) in enumerate(zip(replies, recorded, strict=True)):
        repeats = sum(a == b for a, b in itertools.pairwise(texts))
        assert len(texts) == out or (len(texts) == out + 1 and repeats >= 1), (n, out, texts)
        resent += len(texts) - out
    assert resent <= IN_FLIGHT, resent
    return resent


async def _recorded(url: str) -> dict[str, Counter[str]]:
    """Per conversation key: how many messages came in and went out, as recorded."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT c.key, m.direction, count(*) FROM messages m "
                    "JOIN conversations c ON c.id = m.conversation_id GROUP BY c.key, m.direction"
                )
            )
            out: dict[str, Counter[str]] = {}
            for key, direction, count in rows:
                out.setdefault(key, Counter())[direction] = int(count)
            return out
    finally:
        await engine.dispose()


async def _left(url: str) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            waiting = await conn.execute(
                sa.text("SELECT id, conv_key, status, tries FROM inbox WHERE status != 'done'")
            )
            unsent = await conn.execute(
                sa.text("SELECT id, conv_key, status, tries FROM outbox WHERE status != 'sent'")
            )
            return f"inbox: {waiting.all()}\noutbox: {unsent.all()}\n"
    finally:
        await engine.dispose()


async def _settled(url: str, *, within: float) -> None:
    """Wait until no message waits in the inbox and no reply in the outbox."""
    engine = create_async_engine(url)
    try:
        async with asyncio.timeout(within):
            while True:
                async with engine.connect() as conn:
                    waiting = (
                        await conn.execute(
                            sa.text(
                                "SELECT (SELECT count(*) FROM inbox WHERE status = 'pending')"
                                " + (SELECT count(*) FROM outbox WHERE status = 'queued')"
                            )
                        )
                    ).scalar_one()
                if not waiting:
                    return
                await asyncio.sleep(0.2)
    finally:
        await engine.dispose()


async def test_the_same_event_delivered_to_three_workers_is_answered_once(
    workers: Start, fake: FakeSlack, postgres_url: str
) -> None:
    three = await workers(3)
    async with aiohttp.ClientSession() as http:
        for n in range(5):
            body = event_body(dm(QUESTIONS[n % 4], user=f"U{n}", channel=f"D{n}"))
            statuses = await asyncio.gather(
                *(_deliver(http, w.url, body, retry=i) for i, w in enumerate(three))
            )
            assert statuses == [200, 200, 200]
    await fake.wait_for("chat.postMessage", 5, within=20)
    for worker in three:
        await worker.channel.drain()
    await _settled(postgres_url, within=10)
    recorded = await _recorded(postgres_url)
    for n in range(5):
        assert recorded[f"slack:D{n}"]["in"] == 1
        assert len(_to(fake, f"D{n}")) == recorded[f"slack:D{n}"]["out"] >= 1
    assert sum(w.channel.stats["duplicate"] for w in three) == 10
    assert sum(w.channel.stats["turn"] for w in three) == 5


async def test_a_storm_of_429s_delivers_every_reply_in_order(
    workers: Start, fake: FakeSlack, postgres_url: str
) -> None:
    [worker] = await workers(1, send_attempts=12)
    fake.fail_next("chat.postMessage", status=429, retry_after=0.2, times=10)
    async with aiohttp.ClientSession() as http:
        for question in QUESTIONS:  # faster than the replies can go out
            assert await _deliver(http, worker.url, event_body(dm(question))) == 200
    await _settled(postgres_url, within=30)
    await worker.channel.drain()
    limited = [c for c in fake.called("chat.postMessage", ok=False) if c.status == 429]
    assert len(limited) == 10
    gaps = [b.at - a.at for a, b in itertools.pairwise(limited)]
    assert min(gaps) >= 0.19  # Retry-After honoured
    # every reply went out once, in the order the turns ran (the questions' order)
    conv = await worker.app.store.current_conversation("slack:D0MINA")
    assert conv is not None
    messages = await worker.app.store.messages(conv.id)
    assert [m.text for m in messages if m.direction == "in"] == list(QUESTIONS)
    replies = [m.text for m in messages if m.direction == "out"]
    assert [p.args["text"] for p in _to(fake, "D0MINA")] == replies
    assert await worker.app.turns.dead_letters() == []


# --- real processes ------------------------------------------------------------------------


async def _read_until(stream: asyncio.StreamReader, pattern: str, seen: list[str]) -> re.Match[str]:
    while True:
        line = (await stream.readline()).decode(errors="replace")
        if not line:
            raise AssertionError("the supervisor ended:\n" + "".join(seen))
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found


def _clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without our settings or proxies, plus ``settings``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FRONTDESK_", "SLACK_", "TELEGRAM_"))
    }
    for var in PROXY_VARS:
        env.pop(var, None)
        env.pop(var.lower(), None)
    return env | settings


async def _three_workers_up(
    proc: asyncio.subprocess.Process, ready: str, seen: list[str]
) -> tuple[list[int], asyncio.Task[None]]:
    """Wait until the supervisor's three workers say ``ready``: their pids, and a task
    reading the rest of the supervisor's stderr into ``seen``."""
    assert proc.stderr is not None
    stderr = proc.stderr
    async with asyncio.timeout(180):  # the supervisor trains the model once
        found = await _read_until(stderr, r"3 workers \(pids ([\d, ]+)\)", seen)
        for _ in range(3):
            await _read_until(stderr, ready, seen)

    async def keep_reading() -> None:
        while line := await stderr.readline():
            seen.append(line.decode(errors="replace"))

    return [int(p) for p in found.group(1).split(", ")], asyncio.create_task(keep_reading())


async def test_a_worker_killed_mid_load_loses_nothing_and_redoes_no_turn(
    fake: FakeSlack, postgres_url: str, redis_url: str
) -> None:
    port = free_port()
    env = _clean_env(
        FRONTDESK_DATABASE_URL=postgres_url,
        FRONTDESK_REDIS_URL=redis_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_BASE_URL=fake.base_url,
    )
    args = ["-m", "bot", "run", "slack", "--http", str(port), "--workers", "3"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, stderr=asyncio.subprocess.PIPE
    )
    seen: list[str] = []
    try:
        pids, reader = await _three_workers_up(proc, r"Slack: Events API", seen)
        url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        customers, rounds = 12, 4
        sent = 0
        killed = asyncio.Event()

        async def customer(n: int, http: aiohttp.ClientSession) -> None:
            nonlocal sent
            for r in range(rounds):
                body = event_body(dm(QUESTIONS[(n + r) % 4], user=f"U{n}", channel=f"D{n}"))
                for attempt in range(20):  # as Slack does: the same event again, until a 200
                    try:
                        if await _deliver(http, url, body, retry=attempt) == 200:
                            break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.3)
                else:
                    raise AssertionError(f"no worker took the event of U{n}")
                sent += 1
                if sent == customers * rounds // 3 and not killed.is_set():
                    killed.set()
                    os.kill(pids[0], signal.SIGKILL)  # in the middle of the load
                await asyncio.sleep(0.05)

        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(customer(n, http) for n in range(customers)))
        assert killed.is_set()
        try:
            await _settled(postgres_url, within=60)
        except TimeoutError:
            for pid in pids[1:] + [
                int(p) for p in re.findall(r"pid (\d+) replaces", "".join(seen))
            ]:
                os.kill(pid, signal.SIGUSR1)
            await asyncio.sleep(1)
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(reader, 30)
            raise AssertionError(await _left(postgres_url) + "".join(seen)) from None
        await asyncio.sleep(0.5)
        recorded = await _recorded(postgres_url)
        for n in range(customers):
            assert recorded[f"slack:D{n}"]["in"] == rounds, n  # every turn, exactly once
        _resent(
            [[str(p.args.get("text")) for p in _to(fake, f"D{n}")] for n in range(customers)],
            [recorded[f"slack:D{n}"]["out"] for n in range(customers)],
        )
        await _reported(seen, f"worker {pids[0]} died (-9)")
    finally:
        code = await _stop(proc)
    _clean_exit(code, seen)


async def _stop(proc: asyncio.subprocess.Process) -> int:
    """SIGTERM the supervisor (unless it is gone already); its exit code."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(30):
        return await proc.wait()


def _clean_exit(code: int, seen: list[str]) -> None:
    """The supervisor stopped cleanly: exit code 0 and no traceback in its log."""
    log = "".join(seen)
    assert code == 0, log
    assert "Traceback" not in log, log


async def _reported(seen: list[str], text: str, within: float = 10.0) -> None:
    """Wait for the supervisor to log ``text`` (its stderr is read as it comes)."""
    for _ in range(int(within * 10)):
        if any(text in line for line in seen):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the supervisor never said {text!r}:\n{''.join(seen)}")


async def test_a_telegram_webhook_worker_killed_mid_load_loses_nothing_and_redoes_no_turn(
    postgres_url: str, redis_url: str
) -> None:
    from tests.e2e.telegram_api import FakeTelegram

    port = free_port()
    webhook = f"http://127.0.0.1:{port}/telegram"
    async with FakeTelegram() as tg:
        env = _clean_env(
            FRONTDESK_DATABASE_URL=postgres_url,
            FRONTDESK_REDIS_URL=redis_url,
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_WEBHOOK_SECRET="fault-test-secret",
            TELEGRAM_API_BASE_URL=tg.base_url,
        )
        args = ["-m", "bot", "run", "telegram", "--webhook", webhook, "--port", str(port)]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *args, "--workers", "3", env=env, stderr=asyncio.subprocess.PIPE
        )
        seen: list[str] = []
        try:
            pids, reader = await _three_workers_up(
                proc, r"Telegram: @\S+ answering by webhook", seen
            )
            people = [tg.user(f"Customer{n}") for n in range(12)]
            rounds = 4
            sent = 0
            killed = asyncio.Event()
            update_ids = itertools.count(5000)

            async def customer(n: int) -> None:
                nonlocal sent
                for r in range(rounds):
                    text = QUESTIONS[(n + r) % 4]
                    update = {"update_id": next(update_ids), "message": tg.message(people[n], text)}
                    # as Telegram does: the same update again, until a 200 (an update the
                    # killed worker took but had not kept is refused until its claim lapses)
                    for _ in range(200):
                        try:
                            if await tg.post_webhook(update) == 200:
                                break
                        except aiohttp.ClientError:
                            pass
                        await asyncio.sleep(0.3)
                    else:
                        raise AssertionError(f"no worker took the update of customer {n}")
                    sent += 1
                    if sent == len(people) * rounds // 3 and not killed.is_set():
                        killed.set()
                        os.kill(pids[0], signal.SIGKILL)  # in the middle of the load
                    await asyncio.sleep(0.05)

            await asyncio.gather(*(customer(n) for n in range(len(people))))
            assert killed.is_set()
            try:
                await _settled(postgres_url, within=60)
            except TimeoutError:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(reader, 30)
                raise AssertionError(await _left(postgres_url) + "".join(seen)) from None
            await asyncio.sleep(0.5)
            recorded = await _recorded(postgres_url)
            for n, person in enumerate(people):
                assert recorded[f"telegram:{person['id']}"]["in"] == rounds, n  # exactly once
            _resent(
                [[str(m["text"]) for m in tg.sent(person)] for person in people],
                [recorded[f"telegram:{person['id']}"]["out"] for person in people],
            )
            await _reported(seen, f"worker {pids[0]} died (-9)")
        finally:
            code = await _stop(proc)
        _clean_exit(code, seen)
