"""Customer types after the guide's table."""

import pytest

from bot.guard.customer import History, classify
from bot.guard.settings import CustomerRules

RULES = CustomerRules(
    good_rating=4,
    bad_rating=2,
    loyal_conversations=3,
    loyal_satisfied=2,
    critic_frustrated=2,
    hater_flags=1,
)


@pytest.mark.parametrize(
    ("history", "now", "expected"),
    [
        (History(), False, ""),
        (History(conversations=5, satisfied=4, flags=1), False, "active_hater"),
        (History(conversations=3, frustrated=2, dissatisfied=2), False, "extreme_critic"),
        (History(conversations=1, frustrated=1), True, "extreme_critic"),
        (History(conversations=2, satisfied=2), True, "satisfied_now_annoyed"),
        (History(conversations=4, satisfied=3), False, "loyal_enthusiast"),
        (History(conversations=4, satisfied=3, frustrated=1), False, ""),
        (History(conversations=2, satisfied=2), False, ""),
    ],
)
def test_classify(history: History, now: bool, expected: str) -> None:
    assert classify(history, RULES, frustrated_now=now) == expected
