"""Customer types from history, after the guide's table.

=======================  =====================================================
type                     who
=======================  =====================================================
active_hater             flagged (abuse or threats) at least ``hater_flags`` times
extreme_critic           frustrated in ``critic_frustrated`` conversations or more,
                         and no more often satisfied than dissatisfied
satisfied_now_annoyed    satisfied before, frustrated now
loyal_enthusiast         ``loyal_conversations`` or more, ``loyal_satisfied`` of them
                         satisfied, never frustrated
=======================  =====================================================

A satisfied conversation is rated ``good_rating`` or more, or ended in thanks
without frustration; a dissatisfied one is rated ``bad_rating`` or less. The
numbers are content (``thresholds.yml``, ``customer``); the labels and the
recommended approach shown to agents are in ``customer_types.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.guard.settings import CustomerRules


@dataclass(frozen=True, slots=True)
class History:
    """A customer's earlier conversations, counted."""

    conversations: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    frustrated: int = 0
    flags: int = 0


def classify(history: History, rules: CustomerRules, *, frustrated_now: bool = False) -> str:
    """The customer's type, or "" when none fits."""
    if history.flags >= rules.hater_flags:
        return "active_hater"
    frustrated = history.frustrated + frustrated_now
    if frustrated >= rules.critic_frustrated and history.satisfied <= history.dissatisfied:
        return "extreme_critic"
    if frustrated_now and history.satisfied > 0:
        return "satisfied_now_annoyed"
    if (
        history.conversations >= rules.loyal_conversations
        and history.satisfied >= rules.loyal_satisfied
        and frustrated == 0
    ):
        return "loyal_enthusiast"
    return ""
