"""The mood over a conversation and the guard's decisions."""

import pytest

from bot.config import default_content_dir
from bot.guard.content import load_guard
from bot.guard.mood import Act, Memory, frustrated, is_repeat, relieve, similarity, step, unhold
from bot.guard.settings import GuardSettings
from bot.guard.signals import Reading


@pytest.fixture(scope="module")
def settings() -> GuardSettings:
    return load_guard(default_content_dir()).settings


def test_a_single_mild_message_does_nothing(settings: GuardSettings) -> None:
    memory = Memory()
    assert step(memory, Reading(added=0.1), settings).act is Act.NONE
    assert 0 < memory.level < settings.frustration.offer


def test_a_rising_run_is_offered_a_person_then_handed_off(settings: GuardSettings) -> None:
    memory = Memory()
    acts = [step(memory, Reading(added=0.3), settings).act for _ in range(3)]
    assert acts == [Act.NONE, Act.OFFER, Act.HANDOFF]
    assert memory.handed_off and memory.offered >= settings.frustration.offer


def test_accepting_the_offer_hands_off(settings: GuardSettings) -> None:
    memory = Memory(level=0.6, offered=0.6)
    verdict = step(memory, Reading(accept=True), settings)
    assert (verdict.act, verdict.why) == (Act.HANDOFF, "accepted")


def test_calm_turns_decay_the_level(settings: GuardSettings) -> None:
    memory = Memory(level=0.4)
    step(memory, Reading(), settings)
    assert memory.level == pytest.approx(0.4 * settings.frustration.calm)
    relieve(memory, settings)
    assert memory.level == pytest.approx(
        0.4 * settings.frustration.calm * settings.frustration.relief
    )


def test_bot_failures_add_frustration(settings: GuardSettings) -> None:
    memory = Memory()
    step(memory, Reading(), settings, failures=2)
    assert memory.level == pytest.approx(2 * settings.frustration.weights.failure)


def test_failures_alone_hold_the_offer_until_the_bot_fails_again(
    settings: GuardSettings,
) -> None:
    memory = Memory(level=0.4)
    verdict = step(memory, Reading(), settings, failures=3)  # a calm message
    assert (verdict.act, verdict.held) == (Act.OFFER, True)
    assert memory.offered == 0  # nothing offered yet: the bot tries to answer first
    assert unhold(memory, verdict, "faq").act is Act.NONE and memory.offered == 0  # answered
    assert unhold(memory, verdict, "clarify").act is Act.OFFER  # it failed again
    assert memory.offered == memory.level


def test_failures_alone_hold_a_handoff_too(settings: GuardSettings) -> None:
    memory = Memory(level=0.8, offered=0.6)
    verdict = step(memory, Reading(), settings, failures=3)
    assert (verdict.act, verdict.held) == (Act.HANDOFF, True) and not memory.handed_off


def test_a_message_with_frustration_of_its_own_is_not_held(settings: GuardSettings) -> None:
    memory = Memory(level=0.4)
    verdict = step(memory, Reading(added=0.2), settings, failures=1)
    assert (verdict.act, verdict.held) == (Act.OFFER, False) and memory.offered


def test_upset_and_asking_for_a_person_hands_off_without_an_offer(
    settings: GuardSettings,
) -> None:
    memory = Memory(level=0.3)
    verdict = step(memory, Reading(added=0.5, person=True), settings)
    assert (verdict.act, verdict.why) == (Act.HANDOFF, "asked") and memory.handed_off


def test_abuse_twice_ends(settings: GuardSettings) -> None:
    memory = Memory()
    assert step(memory, Reading(abuse=True), settings).act is Act.STOP
    assert step(memory, Reading(abuse=True), settings).act is Act.END
    assert memory.strikes == 2


def test_a_threat_comes_first(settings: GuardSettings) -> None:
    verdict = step(Memory(), Reading(abuse=True, threat="physical"), settings)
    assert (verdict.act, verdict.why) == (Act.THREAT, "physical")


def test_repeats(settings: GuardSettings) -> None:
    memory = Memory()
    assert not is_repeat(memory, "when will I get my refund", settings)
    assert is_repeat(memory, "When will I get my refund??", settings)
    assert not is_repeat(memory, "ok", settings)
    assert similarity("abc", "abc") == 1.0
    assert similarity("abcdef", "uvwxyz") == 0.0


def test_memory_survives_json_and_odd_data() -> None:
    memory = Memory(level=0.5, strikes=1, abusive=["x"])
    assert Memory.from_state(memory.to_state()) == memory
    assert Memory.from_state({"level": 0.2, "unknown": 1}).level == 0.2
    assert Memory.from_state("nonsense") == Memory()


def test_upset_below_the_offer(settings: GuardSettings) -> None:
    assert frustrated(Memory(level=settings.frustration.upset), settings)
    assert not frustrated(Memory(level=0.0), settings)
