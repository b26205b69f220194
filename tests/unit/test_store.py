import asyncio
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import State
from bot.store import Message, open_store
from bot.store.sql import SqlStore
from tests.servers import free_port


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'fd.db'}"


async def test_history_survives_a_restart(database_url: str) -> None:
    store = await open_store(database_url)
    customer = await store.customer("telegram", "42", name="Mina")
    conv = await store.start_conversation("telegram:42", "telegram", customer.id, language="ko")
    conv.state["answered"] = ["shipping-time"]
    await store.save_conversation(conv)
    await store.add_messages(
        [
            Message(
                conv.id,
                "in",
                "배송 언제 와요?",
                conv.started_at,
                language="ko",
                intent="faq",
                confidence=0.9,
                faq_id="shipping-time",
            ),
            Message(conv.id, "out", "2~4일", conv.started_at, kind="reply", latency_ms=3.2),
        ]
    )
    await store.add_feedback(conv.id, 5)
    await store.close()

    again = await SqlStore.open(database_url)  # migrations run again: a no-op
    same = await again.customer("telegram", "42")
    assert same.id == customer.id and same.name == "Mina"
    current = await again.current_conversation("telegram:42")
    assert current is not None and current.state == {"answered": ["shipping-time"]}
    messages = await again.messages(conv.id)
    assert [(m.direction, m.faq_id) for m in messages] == [("in", "shipping-time"), ("out", None)]
    assert messages[0].created_at.tzinfo is not None
    assert await again.feedback(conv.id) == [5]
    assert await again.count_conversations(customer.id) == 1
    await again.close()


async def test_ended_conversation_is_not_current_and_names_update(database_url: str) -> None:
    store = await open_store(database_url)
    c = await store.customer("slack", "U1", name="Old")
    conv = await store.start_conversation("slack:D1", "slack", c.id)
    conv.status = State.ENDED
    await store.save_conversation(conv)
    assert await store.current_conversation("slack:D1") is None
    renamed = await store.customer("slack", "U1", name="New", handle="@new")
    assert (renamed.name, renamed.handle) == ("New", "@new")
    assert (await store.conversation(conv.id)).ended_at is not None  # type: ignore[union-attr]
    await store.close()


async def test_odd_text_is_stored_whole(database_url: str) -> None:
    store = await open_store(database_url)
    c = await store.customer("console", "u")
    conv = await store.start_conversation("console:u", "console", c.id)
    huge = "가" * 100_000 + "😀"
    await store.add_messages([Message(conv.id, "in", huge, conv.started_at)])
    assert (await store.messages(conv.id))[0].text == huge
    await store.close()


async def test_the_sqlite_folder_is_created(tmp_path: Path) -> None:
    store = await open_store(_sqlite(tmp_path))
    await store.close()
    assert (tmp_path / "sub" / "fd.db").is_file()


async def test_workers_racing_on_a_new_customer_make_one(database_url: str) -> None:
    first, second = await open_store(database_url), await open_store(database_url)
    arrivals = await asyncio.gather(
        *(
            store.arrive(f"slack:C{n}", "slack", "U1", name="Mina")
            for n in range(6)
            for store in (first, second)
        )
    )
    assert {customer.id for customer, _ in arrivals} == {arrivals[0][0].id}
    assert (await second.customer("slack", "U1")).name == "Mina"
    await first.close()
    await second.close()


async def test_a_name_longer_than_the_column_is_cut_and_a_blank_one_kept(
    database_url: str,
) -> None:
    store = await open_store(database_url)
    await store.customer("telegram", "7", name="가" * 1000, handle="@h")
    kept = await store.customer("telegram", "7", name="", handle=None)
    assert kept.name == "가" * 256 and kept.handle == "@h"
    await store.close()


async def test_an_unreachable_database_is_a_clear_error() -> None:
    url = f"postgresql+asyncpg://frontdesk@127.0.0.1:{free_port()}/frontdesk"
    with pytest.raises(StoreError, match="cannot open the database"):
        await open_store(url, patience=0.2)
