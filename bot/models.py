"""The platform-free message model: what comes in, what goes out.

Channel adapters translate platform updates into :class:`Inbound` and render
the :data:`Action` list the engine returns. Nothing here knows a platform.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

Lang = Literal["en", "ko", "ja"]
LANGS: tuple[Lang, ...] = ("en", "ko", "ja")


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Identifies one conversation: platform + chat (+ thread)."""

    platform: str
    chat: str
    thread: str = ""

    def __str__(self) -> str:
        return ":".join(p for p in (self.platform, self.chat, self.thread) if p)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One customer message or button press, as any channel delivers it."""

    key: ConversationKey
    user: str
    text: str = ""
    button: str | None = None
    name: str | None = None
    handle: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    message_id: str | None = None
    kind: str = "text"  # text | button | sticker | photo | file | voice | edit | …


@dataclass(frozen=True, slots=True)
class Button:
    """A choice shown under a reply; ``payload`` comes back in ``Inbound.button``."""

    label: str
    payload: str


class State(enum.StrEnum):
    """Where a conversation is."""

    ACTIVE = "active"
    WITH_AGENT = "with_agent"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Reply:
    """Text to the customer, optionally with buttons."""

    text: str
    buttons: tuple[Button, ...] = ()
    type: Literal["reply"] = "reply"


@dataclass(frozen=True, slots=True)
class Handoff:
    """The conversation should go to a person."""

    reason: str
    summary: str = ""
    ticket: str = ""
    priority: str = "normal"
    type: Literal["handoff"] = "handoff"


@dataclass(frozen=True, slots=True)
class End:
    """The conversation is over."""

    reason: str = ""
    type: Literal["end"] = "end"


@dataclass(frozen=True, slots=True)
class Flag:
    """The customer is marked (abuse, threat) for whoever handles them next."""

    kind: str
    reason: str = ""
    type: Literal["flag"] = "flag"


@dataclass(frozen=True, slots=True)
class Offer:
    """An upsell or cross-sell was shown."""

    offer_id: str
    kind: str
    text: str
    buttons: tuple[Button, ...] = ()
    type: Literal["offer"] = "offer"


@dataclass(frozen=True, slots=True)
class Relay:
    """A message to be passed to the agent handling the ticket."""

    ticket: str
    text: str
    type: Literal["relay"] = "relay"


Action = Reply | Handoff | End | Flag | Offer | Relay
