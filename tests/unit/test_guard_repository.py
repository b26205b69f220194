"""The guard's records in the store's database (migration 0002)."""

from collections.abc import AsyncIterator

import pytest

from bot.guard.customer import History
from bot.guard.repository import ConversationMood, GuardRepository, hostile
from bot.guard.settings import CustomerRules
from bot.store import SqlStore, open_store

RULES = CustomerRules(4, 2, 3, 2, 2, 1)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    store = await open_store(database_url)
    yield store
    await store.close()


async def test_flags_are_kept_with_reason_and_messages(store: SqlStore) -> None:
    repo = GuardRepository(store.engine)
    customer = await store.customer("test", "u1")
    conv = await store.start_conversation("test:u1", "test", customer.id)
    assert await repo.flags(customer.id) == []
    await repo.add_flag(customer.id, conv.id, kind="abuse", reason="r", messages=["a", "b"])
    [flag] = await repo.flags(customer.id)
    assert (flag.kind, flag.reason, flag.messages) == ("abuse", "r", ("a", "b"))
    assert flag.created_at.tzinfo is not None


async def test_history_counts_earlier_conversations(store: SqlStore) -> None:
    repo = GuardRepository(store.engine)
    customer = await store.customer("test", "u1")
    convs = [await store.start_conversation(f"test:u1:{n}", "test", customer.id) for n in range(4)]
    await repo.save_mood(convs[0].id, customer.id, ConversationMood(peak=0.9))
    await repo.save_mood(convs[1].id, customer.id, ConversationMood(peak=0.1, thanked=True))
    await repo.save_mood(convs[1].id, customer.id, ConversationMood(peak=0.2, thanked=True))
    await store.add_feedback(convs[2].id, 5)
    await store.add_feedback(convs[0].id, 1)
    await repo.add_flag(
        customer.id, convs[0].id, kind="threat", reason="threat: legal", messages=[]
    )
    history = await repo.history(customer.id, excluding=convs[3].id, rules=RULES, frustrated_at=0.5)
    assert history == History(conversations=3, satisfied=2, dissatisfied=1, frustrated=1, flags=0)
    await repo.add_flag(customer.id, convs[0].id, kind="abuse", reason="abuse", messages=[])
    history = await repo.history(customer.id, excluding=convs[3].id, rules=RULES, frustrated_at=0.5)
    assert history.flags == 1


async def test_customer_type_is_kept(store: SqlStore) -> None:
    repo = GuardRepository(store.engine)
    customer = await store.customer("test", "u1")
    assert await repo.customer_type(customer.id) == ""
    await repo.set_type(customer.id, "loyal_enthusiast")
    await repo.set_type(customer.id, "active_hater")
    assert await repo.customer_type(customer.id) == "active_hater"


def test_hostile_flags() -> None:
    assert hostile("abuse", "anything")
    assert hostile("threat", "threat: physical")
    assert not hostile("threat", "threat: legal")
