"""The coordinator: one turn at a time per conversation, each platform event once —
in one process, and across processes through a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.coord import Coordinator, LocalCoordinator, open_coordinator
from bot.coord.redis import RedisCoordinator
from bot.errors import ConfigError
from tests.servers import free_port

Workers = Callable[..., Any]


@pytest.fixture
async def redis_workers(redis_url: str) -> AsyncIterator[Workers]:
    """Coordinators of separate "workers" sharing one Redis."""
    made: list[RedisCoordinator] = []

    async def make(**options: float) -> RedisCoordinator:
        coord = await RedisCoordinator.connect(redis_url, **options)
        made.append(coord)
        return coord

    yield make
    for coord in made:
        await coord.close()


async def _overlaps(coords: list[Coordinator], key: str, turns: int = 6) -> tuple[int, list[int]]:
    """Run ``turns`` turns of one conversation spread over ``coords``; the most that ran
    at once, and the order they ran in."""
    running, most, order = 0, 0, []

    async def turn(n: int) -> None:
        nonlocal running, most
        async with coords[n % len(coords)].hold(key):
            running += 1
            most = max(most, running)
            order.append(n)
            await asyncio.sleep(0.02)
            running -= 1

    await asyncio.gather(*(turn(n) for n in range(turns)))
    return most, order


async def test_one_process_serialises_a_conversation_in_arrival_order() -> None:
    most, order = await _overlaps([LocalCoordinator()], "slack:D1")
    assert most == 1
    assert order == sorted(order)


async def test_one_process_takes_an_event_once_and_forgets_the_oldest() -> None:
    coord = LocalCoordinator(size=2)
    assert await coord.claim("slack:Ev1")
    assert not await coord.claim("slack:Ev1")
    await coord.settle("slack:Ev1")
    assert not await coord.claim("slack:Ev1")
    assert await coord.claim("slack:Ev2") and await coord.claim("slack:Ev3")
    assert await coord.claim("slack:Ev1")  # pushed out by two newer ones


async def test_an_unsettled_claim_lapses_so_a_redelivery_is_served() -> None:
    coord = LocalCoordinator(claim_seconds=0.05)
    assert await coord.claim("telegram:7")
    await asyncio.sleep(0.08)
    assert await coord.claim("telegram:7")


@pytest.mark.slow
async def test_workers_sharing_redis_run_one_turn_of_a_conversation_at_a_time(
    redis_workers: Workers,
) -> None:
    coords = [await redis_workers() for _ in range(3)]
    most, order = await _overlaps(coords, "slack:D1", turns=9)
    assert most == 1
    assert sorted(order) == list(range(9))


@pytest.mark.slow
async def test_other_conversations_do_not_wait(redis_workers: Workers) -> None:
    a, b = await redis_workers(), await redis_workers()
    async with a.hold("slack:D1"):
        async with asyncio.timeout(1):
            async with b.hold("slack:D2"):
                pass


@pytest.mark.slow
async def test_an_event_delivered_to_three_workers_is_taken_by_one(redis_workers: Workers) -> None:
    coords = [await redis_workers() for _ in range(3)]
    won = await asyncio.gather(*(c.claim("slack:Ev42") for c in coords))
    assert sorted(won) == [False, False, True]
    await coords[0].settle("slack:Ev42")
    assert not await coords[1].claim("slack:Ev42")


@pytest.mark.slow
async def test_a_claim_of_a_worker_that_died_lapses(redis_workers: Workers) -> None:
    dead = await redis_workers(claim_seconds=0.1)
    alive = await redis_workers(claim_seconds=0.1)
    assert await dead.claim("telegram:9")  # …and never settles
    assert not await alive.claim("telegram:9")
    await asyncio.sleep(0.2)
    assert await alive.claim("telegram:9")


@pytest.mark.slow
async def test_the_lock_of_a_worker_that_died_lapses_after_its_lease(
    redis_workers: Workers,
) -> None:
    survivor = await redis_workers(lease=0.3)
    # what a worker killed mid-turn leaves behind: its lock, never released nor renewed
    await survivor.client.set("frontdesk:lock:slack:D1", b"token-of-the-dead", px=300)
    started = asyncio.get_running_loop().time()
    async with asyncio.timeout(3), survivor.hold("slack:D1"):
        waited = asyncio.get_running_loop().time() - started
    assert 0.15 < waited < 1.0


@pytest.mark.slow
async def test_a_long_turn_keeps_its_lock(redis_workers: Workers) -> None:
    a, b = await redis_workers(lease=0.2), await redis_workers(lease=0.2)
    entered = asyncio.Event()

    async def other() -> None:
        async with b.hold("slack:D1"):
            entered.set()

    async with a.hold("slack:D1"):
        task = asyncio.create_task(other())
        await asyncio.sleep(0.6)  # three leases: renewed meanwhile
        assert not entered.is_set()
    await asyncio.wait_for(task, 2)


async def test_an_unreachable_redis_is_a_clear_error_at_start() -> None:
    with pytest.raises(ConfigError, match=r"cannot reach Redis at redis://127\.0\.0\.1"):
        await open_coordinator(f"redis://127.0.0.1:{free_port()}/0")


async def test_no_url_means_one_process() -> None:
    assert isinstance(await open_coordinator(""), LocalCoordinator)


async def test_a_released_claim_is_served_again_but_a_settled_event_is_not() -> None:
    coord = LocalCoordinator()
    assert await coord.claim("telegram:7")
    assert not await coord.settled("telegram:7")  # taken, not served (yet)
    await coord.release("telegram:7")  # nothing was kept: the re-delivery must be served
    assert await coord.claim("telegram:7")
    await coord.settle("telegram:7")
    await coord.release("telegram:7")
    assert await coord.settled("telegram:7")
    assert not await coord.claim("telegram:7")


@pytest.mark.slow
async def test_workers_sharing_redis_release_claims_but_never_settled_events(
    redis_workers: Workers,
) -> None:
    one, other = await redis_workers(), await redis_workers()
    assert await one.claim("telegram:8")
    assert not await other.settled("telegram:8")
    await one.release("telegram:8")
    assert await other.claim("telegram:8")
    await other.settle("telegram:8")
    await one.release("telegram:8")
    assert await one.settled("telegram:8")
    assert not await one.claim("telegram:8")
