"""The load bench's bookkeeping: conversations handed out, and the exactly-once verdict."""

from __future__ import annotations

from bench.load_traffic import SCRIPTS, Customers, Ledger


def test_a_conversation_never_has_two_messages_in_flight() -> None:
    customers = Customers(("slack",), think=1.0)
    first = customers.next(0.0)
    second = customers.next(0.1)  # the first customer has not been answered yet
    assert second.conversation != first.conversation
    customers.answered(first.conversation, 0.2)
    assert customers.next(0.5).conversation not in (first.conversation, second.conversation)
    again = customers.next(1.3)  # thought for a second after reading the answer
    assert (again.conversation, again.step) == (first.conversation, 1)
    assert again.text == SCRIPTS[first.script][1]


def test_a_finished_conversation_is_not_continued() -> None:
    customers = Customers(("telegram",), think=0.0)
    turn = customers.next(0.0)
    for step in range(1, len(SCRIPTS[turn.script])):
        customers.answered(turn.conversation, float(step))
        turn = customers.next(float(step))
        assert turn.step == step
    customers.answered(turn.conversation, 99.0)
    assert customers.next(100.0).conversation != turn.conversation
    assert customers.opened == 2


def test_channels_and_scripts_are_spread_over_new_conversations() -> None:
    customers = Customers(("telegram", "slack"))
    kinds = {(t.channel, t.script) for t in (customers.next(0.0) for _ in range(12))}
    assert len(kinds) == 2 * len(SCRIPTS)


def test_the_verdict_tells_answered_once_from_lost_and_doubled() -> None:
    customers = Customers(("slack",))
    once, lost, doubled, two_parts = (customers.next(0.0) for _ in range(4))
    ledger = Ledger({two_parts.key: 2})
    for turn in (once, lost, doubled, two_parts):
        ledger.sent(turn, 1.0)
    assert ledger.seen(once.conversation, 1.010) is not None
    assert ledger.seen(doubled.conversation, 1.020) is not None
    assert ledger.seen(doubled.conversation, 1.030) is None  # the same turn handled twice
    assert ledger.seen(two_parts.conversation, 1.040) is None  # an answer, an offer to come
    assert ledger.seen(two_parts.conversation, 1.041) is not None
    ledger.seen(999, 1.05)  # a conversation nobody wrote in
    assert ledger.pending() == 1

    verdict = ledger.verdict(window=(0.0, 2.0))

    assert (verdict.sent, verdict.exactly_once, verdict.unanswered, verdict.doubled) == (4, 2, 1, 1)
    assert verdict.stray == 1
    assert not verdict.ok
    assert verdict.check() == "✗ 2/4: 1 unanswered, 1 doubled, 1 stray"
    assert verdict.p50_ms is not None and round(verdict.p50_ms) == 20
    assert verdict.p99_ms is not None and round(verdict.p99_ms) == 40


def test_latency_counts_only_the_measured_window() -> None:
    customers, ledger = Customers(("slack",)), Ledger()
    early, late = customers.next(0.0), customers.next(0.0)
    ledger.sent(early, 0.5)
    ledger.sent(late, 1.5)
    ledger.seen(early.conversation, 0.9)
    ledger.seen(late.conversation, 1.505)

    verdict = ledger.verdict(window=(1.0, 2.0))

    assert verdict.ok and verdict.check() == "✓ 2/2"
    assert verdict.p99_ms is not None and round(verdict.p99_ms) == 5
    assert verdict.answered_per_s == 1.0
