"""The content folder admins edit: loading, validation and scaffolding."""

from bot.content.loader import load_content
from bot.content.model import (
    BUILTIN_INTENTS,
    Content,
    FaqEntry,
    IntentExample,
    OfferItem,
    Template,
    Where,
)

__all__ = [
    "BUILTIN_INTENTS",
    "Content",
    "FaqEntry",
    "IntentExample",
    "OfferItem",
    "Template",
    "Where",
    "load_content",
]
