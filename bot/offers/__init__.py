"""Upsell and cross-sell at the right moment, from the catalog in ``responses/offers.yml``.

:class:`bot.offers.stage.OfferStage` runs after the policy (an engine
``Stage``): it shows at most one fitting offer per conversation once the
customer's need was met, takes the answer (buttons or words), and records
every offer shown, accepted and declined per offer and language in
:class:`OfferRepository`. The rules are in :mod:`bot.offers.rules`; how offers
are found and picked in :mod:`bot.offers.relevance` and
:mod:`bot.offers.selection`; docs/offers.md explains it all for admins.

The stage lives in its own module (``from bot.offers.stage import offer_stage``)
so that the catalog helpers here import without the engine and its NLU.
"""

from bot.offers.choice import Choice
from bot.offers.repository import Event, OfferRepository, OfferStats
from bot.offers.rules import COOLDOWN

#: The templates the offer stage says (responses/offer_replies.yml).
TEMPLATES = (
    "offer_button_more",
    "offer_button_no",
    "offer_accepted",
    "offer_accepted_no_link",
    "offer_declined",
)

__all__ = ["COOLDOWN", "TEMPLATES", "Choice", "Event", "OfferRepository", "OfferStats"]
