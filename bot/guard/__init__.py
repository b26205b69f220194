"""The guard: frustration, abuse and threats, handled as good staff would.

Every customer turn is read for frustration (a level that builds up and decays),
abuse aimed at the bot or staff (disguises undone) and legal or physical
threats, with word lists and thresholds that admins edit in
``handoff/guard/`` of the content folder. :class:`Guard` is the engine stage;
:class:`GuardRepository` keeps flags and customer types for agents.
"""

from bot.guard.content import GuardContent, load_guard, read_guard
from bot.guard.customer import History, classify
from bot.guard.mood import Act, Memory, Verdict, step
from bot.guard.repository import GuardFlag, GuardRepository
from bot.guard.signals import Reader, Reading
from bot.guard.stage import Guard
from bot.guard.validate import validate_guard

__all__ = [
    "Act",
    "Guard",
    "GuardContent",
    "GuardFlag",
    "GuardRepository",
    "History",
    "Memory",
    "Reader",
    "Reading",
    "Verdict",
    "classify",
    "load_guard",
    "read_guard",
    "step",
    "validate_guard",
]
