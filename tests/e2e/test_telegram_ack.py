"""Behind the webhook, Telegram hears 200 only once the customer's message is kept.

Real python-telegram-bot and our webhook against the Telegram stand-in, a real
PostgreSQL (and Redis for two workers): the inbox row exists before the 200, a
database that is down answers 500 (Telegram delivers again) and sends nothing,
and an update delivered twice — to one worker or to two — is answered once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App, build_app
from bot.channels.telegram import serve_telegram
from bot.config import default_content_dir, load_settings
from tests.e2e.telegram_api import FakeTelegram
from tests.servers import Postgres, Redis, free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_proxy")]

SECRET = "test-webhook-secret_1"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


Worker = tuple[App, str]  # the app and its webhook URL


@asynccontextmanager
async def webhook_worker(
    tg: FakeTelegram, database_url: str, redis_url: str = ""
) -> AsyncIterator[Worker]:
    """One frontdesk worker answering the stand-in by its own webhook URL."""
    settings = load_settings(
        environ={},
        content_dir=default_content_dir(),
        database_url=database_url,
        redis_url=redis_url,
        telegram_api_base_url=tg.base_url,
        telegram_bot_token=tg.token,
        telegram_webhook_secret=SECRET,
    )
    app = await build_app(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    set_before = len(tg.called("setWebhook"))
    task = asyncio.create_task(
        serve_telegram(app, settings, webhook_url=url, host="127.0.0.1", port=port)
    )
    try:
        await tg.wait_for("setWebhook", set_before + 1)
        yield app, url
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await app.close()


async def inbox(url: str) -> list[tuple[str, str]]:
    """The inbox as (event, status), oldest first."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT event, status FROM inbox ORDER BY id"))
            return [(r.event, r.status) for r in rows]
    finally:
        await engine.dispose()


async def redeliver(tg: FakeTelegram, update: dict[str, Any], url: str) -> int:
    """Deliver as Telegram does: again, a little later, until the answer is 200."""
    for _ in range(50):
        status = await tg.post_webhook(update, url=url)
        if status == 200:
            return status
        await asyncio.sleep(0.1)
    return status


def answers(app: App) -> set[str]:
    return {faq.answer["en"] for faq in app.content.faq.values()}


async def test_telegram_hears_200_only_once_the_message_is_in_the_inbox(
    tg: FakeTelegram, postgres_url: str
) -> None:
    async with webhook_worker(tg, postgres_url) as (app, url):
        mina = tg.user("Mina")
        update = {"update_id": 501, "message": tg.message(mina, "How long does delivery take?")}
        locker = create_async_engine(postgres_url)
        try:
            async with locker.connect() as conn:
                # nothing can be written to the inbox for now …
                await conn.execute(sa.text("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE"))
                posted = asyncio.create_task(tg.post_webhook(update, url=url))
                await asyncio.sleep(0.5)
                assert not posted.done()  # … so Telegram has no answer yet
                await conn.rollback()
            assert await posted == 200
        finally:
            await locker.dispose()
        [reply] = await tg.replies(mina)
        assert reply["text"] in answers(app)
        await asyncio.sleep(0.3)
        assert len(tg.sent(mina)) == 1
        assert await inbox(postgres_url) == [("telegram:501", "done")]


async def test_the_200_does_not_wait_for_the_turn(tg: FakeTelegram, postgres_url: str) -> None:
    async with webhook_worker(tg, postgres_url) as (app, url):
        mina = tg.user("Mina")
        update = {"update_id": 502, "message": tg.message(mina, "How long does delivery take?")}
        async with app.coord.hold(f"telegram:{mina['id']}"):  # the chat is busy meanwhile
            async with asyncio.timeout(3):
                assert await tg.post_webhook(update, url=url) == 200
            assert await inbox(postgres_url) == [("telegram:502", "pending")]
            await asyncio.sleep(0.3)
            assert tg.sent(mina) == []
        [reply] = await tg.replies(mina)
        assert reply["text"] in answers(app)
        await asyncio.sleep(0.3)
        assert len(tg.sent(mina)) == 1
        assert await inbox(postgres_url) == [("telegram:502", "done")]
        # an update no handler takes (a post in a channel the bot is in) is answered at once
        news = {"id": -1001, "type": "channel", "title": "News"}
        post = {"update_id": 503, "channel_post": tg.message(mina, "New books!", chat=news)}
        async with asyncio.timeout(3):
            assert await tg.post_webhook(post, url=url) == 200


async def test_a_database_that_is_down_answers_500_and_the_redelivery_is_answered_once(
    tg: FakeTelegram, postgres: Postgres, postgres_url: str
) -> None:
    async with webhook_worker(tg, postgres_url) as (app, url):
        mina = tg.user("Mina")
        faq_id = next(iter(app.content.faq))
        question = {"update_id": 601, "message": tg.message(mina, "How long does delivery take?")}
        assert await tg.post_webhook(question, url=url) == 200
        [shown] = await tg.replies(mina)
        # a button press and a message while the database is down
        query = tg.callback_query(mina, shown, f"faq:{faq_id}")
        pressed = {"update_id": 602, "callback_query": query}
        text = {"update_id": 603, "message": tg.message(mina, "Can I return a book I bought?")}
        await asyncio.to_thread(postgres.stop)
        try:
            assert await tg.post_webhook(pressed, url=url) == 500
            assert await tg.post_webhook(text, url=url) == 500
        finally:
            await asyncio.to_thread(postgres.start)
        await asyncio.sleep(0.3)
        assert len(tg.sent(mina)) == 1  # nothing new
        # Telegram delivers both again, and again
        for update in (pressed, text, pressed, text):
            assert await tg.post_webhook(update, url=url) == 200
        answer, reply = await tg.replies(mina, 2)
        assert answer["text"] == app.content.faq[faq_id].answer["en"]
        assert reply["text"] in answers(app)
        await asyncio.sleep(0.5)
        assert len(tg.sent(mina)) == 3
        kept = await inbox(postgres_url)
        assert kept == [(f"telegram:{n}", "done") for n in (601, 602, 603)]


async def test_an_update_delivered_twice_to_one_worker_or_to_two_is_answered_once(
    tg: FakeTelegram, postgres_url: str, redis_url: str
) -> None:
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(webhook_worker(tg, postgres_url, redis_url))
        two = await stack.enter_async_context(webhook_worker(tg, postgres_url, redis_url))
        people = [tg.user(name) for name in ("Mina", "Jo", "Ren")]
        updates = [
            {"update_id": 700 + n, "message": tg.message(person, "How long does delivery take?")}
            for n, person in enumerate(people)
        ]
        for update in updates:
            urls = [one[1], two[1], one[1]]  # at once: to both workers, and twice to one
            statuses = await asyncio.gather(*(redeliver(tg, update, u) for u in urls))
            # the first to take it answers 200; the others (not kept yet) 500, then 200
            assert statuses[0] == statuses[1] == statuses[2] == 200
        for update in updates:  # and once more, later
            assert await tg.post_webhook(update, url=two[1]) == 200
        for person in people:
            await tg.replies(person)
        await asyncio.sleep(0.5)
        for person in people:
            assert len(tg.sent(person)) == 1
        kept = await inbox(postgres_url)
        assert sorted(kept) == [(f"telegram:{700 + n}", "done") for n in range(3)]


async def test_an_update_taken_by_a_worker_that_died_before_keeping_it_is_served_later(
    tg: FakeTelegram, postgres_url: str, redis_url: str, redis_server: Redis
) -> None:
    async with webhook_worker(tg, postgres_url, redis_url) as (app, url):
        mina = tg.user("Mina")
        update = {"update_id": 801, "message": tg.message(mina, "How long does delivery take?")}
        # what a worker killed between taking the update and keeping it leaves: its claim
        redis_server.command("SET", "frontdesk:event:telegram:801", "claimed", "PX", "1000")
        assert await tg.post_webhook(update, url=url) == 500  # not 200: nothing is kept
        await asyncio.sleep(0.3)
        assert tg.sent(mina) == []
        await asyncio.sleep(1.0)  # the dead worker's claim lapses
        assert await tg.post_webhook(update, url=url) == 200
        [reply] = await tg.replies(mina)
        assert reply["text"] in answers(app)
        assert await inbox(postgres_url) == [("telegram:801", "done")]
