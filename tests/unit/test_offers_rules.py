"""When an offer may follow a turn: each rule on its own."""

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.models import ConversationKey, Handoff, Inbound, State
from bot.offers.rules import Memory, note_trouble, why_not
from bot.responses import Renderer
from bot.store.records import Conversation, Customer
from bot.turn import Turn

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _turn(intent: str | None = "thanks", **changes: Any) -> Turn:
    key = ConversationKey("test", "u1")
    conv = Conversation(
        1, str(key), "test", 1, State.ACTIVE, "en", {"answered": ["faq-a"]}, NOW, NOW
    )
    turn = Turn(
        inbound=Inbound(key=key, user="u1", text="thanks"),
        customer=Customer(1, "test", "u1", "Mina", None, "en", NOW, NOW),
        conv=conv,
        lang="en",
        text="thanks",
        renderer=Renderer({}),
    )
    turn.understood.intent = intent
    for name, value in changes.items():
        setattr(turn, name, value)
    return turn


def _why(turn: Turn) -> str | None:
    memory = Memory(turn.state)
    note_trouble(turn, memory)
    return why_not(turn, memory)


def test_thanks_after_an_answer_may_be_followed_by_an_offer() -> None:
    assert _why(_turn("thanks")) is None
    assert _why(_turn("affirm")) is None


def test_not_on_first_contact() -> None:
    assert _why(_turn(new_conversation=True)) == "first contact"


@pytest.mark.parametrize("intent", ["greet", "goodbye", "complaint", "faq", "fallback", None])
def test_only_after_thanks_or_yes(intent: str | None) -> None:
    assert _why(_turn(intent)) is not None


def test_not_before_a_question_was_answered() -> None:
    turn = _turn()
    turn.state["answered"] = []
    assert _why(turn) == "no question answered yet"


def test_not_in_the_turn_that_answers() -> None:
    turn = _turn("affirm")
    turn.understood.faq_id = "faq-a"  # "yes" to a clarifying question: answered just now
    assert _why(turn) == "a question was answered just now"


@pytest.mark.parametrize("flag", ["frustrated", "abuse", "threat"])
def test_never_to_an_upset_customer(flag: str) -> None:
    turn = _turn()
    setattr(turn.mood, flag, True)
    assert _why(turn) == "customer is upset"


@pytest.mark.parametrize(
    ("flag", "later"),
    [("abuse", "earlier: abuse"), ("threat", "earlier: threat"), ("frustrated", None)],
)
def test_abuse_and_threats_rule_out_the_rest_of_the_conversation(
    flag: str, later: str | None
) -> None:
    turn = _turn()
    setattr(turn.mood, flag, True)
    _why(turn)
    calm = _turn()
    calm.conv.state = turn.state  # frustration: the guard's own level says when it eased
    assert _why(calm) == later


def test_never_after_a_complaint_in_the_conversation() -> None:
    complaint = _turn("complaint")
    _why(complaint)
    later = _turn()
    later.conv.state = complaint.state
    assert _why(later) == "earlier: complaint"


def test_never_during_a_handoff() -> None:
    turn = _turn()
    turn.actions.append(Handoff(reason="customer_request"))
    assert _why(turn) == "handoff"
    with_agent = _turn()
    with_agent.conv.status = State.WITH_AGENT
    assert _why(with_agent) == "conversation is with_agent"


def test_at_most_once_per_conversation() -> None:
    turn = _turn()
    Memory(turn.state).show("express")
    assert _why(turn) == "already offered in this conversation"


def _rated(score: int, *, after_rating: bool) -> str | None:
    turn = _turn("feedback")
    turn.state["feedback"] = score
    memory = Memory(turn.state)
    note_trouble(turn, memory)
    return why_not(turn, memory, after_rating=after_rating)


def test_a_good_rating_lets_the_waiting_offer_follow() -> None:
    assert _rated(5, after_rating=True) is None
    assert _rated(4, after_rating=True) is None
    assert _rated(5, after_rating=False) == "a rating, but no offer waits for it"


def test_a_low_rating_rules_offers_out() -> None:
    assert _rated(3, after_rating=True) == "earlier: low_rating"


def test_memory_is_plain_json_in_the_state() -> None:
    state: dict[str, Any] = {}
    memory = Memory(state)
    assert (memory.words, memory.shown, memory.pending, memory.awaiting_rating) == (
        frozenset(), None, None, False
    )  # fmt: skip
    memory.settle()
    assert state == {}  # nothing to remember, nothing written
    memory.remember(["paperback", "ebook"])
    memory.remember(["ebook"])
    memory.block("complaint")
    memory.show("hardcover")
    memory.settle()
    assert state == {
        "offers": {"words": ["ebook", "paperback"], "blocked": ["complaint"], "shown": "hardcover"}
    }
