import asyncio

from bot.locks import KeyedLocks


async def test_turns_of_one_key_run_one_at_a_time_in_order() -> None:
    locks, log = KeyedLocks(), []

    async def turn(key: str, n: int) -> None:
        async with locks.hold(key):
            log.append(f"{key}{n}+")
            await asyncio.sleep(0.01)
            log.append(f"{key}{n}-")

    await asyncio.gather(turn("a", 1), turn("a", 2), turn("b", 1))
    a = [e for e in log if e.startswith("a")]
    assert a == ["a1+", "a1-", "a2+", "a2-"]
    assert log.index("b1+") < log.index("a1-")  # other keys are not held up
    assert len(locks) == 0
