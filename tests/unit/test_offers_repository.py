"""Offer events in the store's database (migration 0003)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.offers.repository import Event, OfferRepository, OfferStats
from bot.offers.selection import Tally
from bot.store.sql import SqlStore

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    store = await SqlStore.open(database_url)
    yield store
    await store.close()


async def _ids(store: SqlStore) -> tuple[int, int]:
    customer = await store.customer("test", "u1")
    conv = await store.start_conversation("test:u1", "test", customer.id)
    return customer.id, conv.id


async def test_events_are_counted_per_offer_and_language(store: SqlStore) -> None:
    repo = OfferRepository(store.engine)
    customer, conv = await _ids(store)

    async def event(event: Event, offer: str, lang: str) -> None:
        await repo.record(
            event, offer_id=offer, kind="upsell", language=lang,
            customer_id=customer, conversation_id=conv, at=T0,
        )  # fmt: skip

    for args in [
        (Event.SHOWN, "express", "en"),
        (Event.ACCEPTED, "express", "en"),
        (Event.SHOWN, "express", "ko"),
        (Event.DECLINED, "express", "ko"),
        (Event.SHOWN, "wrap", "ja"),
    ]:
        await event(*args)
    assert await repo.report() == [
        OfferStats("express", "en", shown=1, accepted=1, declined=0),
        OfferStats("express", "ko", shown=1, accepted=0, declined=1),
        OfferStats("wrap", "ja", shown=1, accepted=0, declined=0),
    ]
    assert await repo.tallies(["express", "wrap", "never"]) == {
        "express": Tally(shown=2, accepted=1, declined=1),
        "wrap": Tally(shown=1),
    }
    assert await repo.report(since=T0 + timedelta(seconds=1)) == []


async def test_declines_within_a_window_and_open_showings(store: SqlStore) -> None:
    repo = OfferRepository(store.engine)
    customer, conv = await _ids(store)

    async def event(event: Event) -> None:
        await repo.record(
            event, offer_id="express", kind="upsell", language="ko",
            customer_id=customer, conversation_id=conv, at=T0,
        )  # fmt: skip

    await event(Event.SHOWN)
    assert await repo.awaiting_answer(customer, "express") == (conv, "ko")
    assert await repo.awaiting_answer(customer, "wrap") is None
    await event(Event.DECLINED)
    assert await repo.awaiting_answer(customer, "express") is None
    assert await repo.declined_since(customer, T0 - timedelta(days=30)) == {"express"}
    assert await repo.declined_since(customer, T0 + timedelta(minutes=1)) == set()
    assert await repo.declined_since(customer + 1, T0 - timedelta(days=30)) == set()


async def test_times_in_other_zones_compare_in_utc(store: SqlStore) -> None:
    repo = OfferRepository(store.engine)
    customer, conv = await _ids(store)
    seoul = T0.astimezone(ZoneInfo("Asia/Seoul"))
    await repo.record(
        Event.DECLINED, offer_id="x", kind="upsell", language="ko",
        customer_id=customer, conversation_id=conv, at=seoul,
    )  # fmt: skip
    assert await repo.declined_since(customer, T0 - timedelta(seconds=1)) == {"x"}
    assert await repo.declined_since(customer, T0 + timedelta(seconds=1)) == set()


async def test_the_migration_branches_from_0001_and_reopening_is_a_no_op(
    database_url: str,
) -> None:
    for _ in range(2):
        store = await SqlStore.open(database_url)
        async with store.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
            heads = (await conn.execute(sa.text("select version_num from alembic_version"))).all()
        await store.close()
        assert "offer_events" in tables
        assert "0003" in {h[0] for h in heads}
