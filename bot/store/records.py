"""Plain records the store hands out; no SQL types leak past the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.models import State


@dataclass(slots=True)
class Customer:
    """A person on one platform."""

    id: int
    platform: str
    user_id: str
    name: str | None
    handle: str | None
    language: str | None
    created_at: datetime
    last_seen_at: datetime
    #: Conversations this customer had before the current one.
    earlier_conversations: int = 0


@dataclass(slots=True)
class Conversation:
    """One conversation; ``state`` is the engine's JSON-able working memory."""

    id: int
    key: str
    platform: str
    customer_id: int
    status: State
    language: str | None
    state: dict[str, Any]
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None


@dataclass(slots=True)
class Message:
    """One message in either direction, as recorded."""

    conversation_id: int
    direction: str  # in | out
    text: str
    created_at: datetime
    kind: str = "text"
    language: str | None = None
    intent: str | None = None
    confidence: float | None = None
    faq_id: str | None = None
    latency_ms: float | None = None
    platform_message_id: str | None = None
    id: int | None = field(default=None)
