"""The working set of one turn: who, where, what was understood, what to say."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.models import Action, Button, Inbound, Reply
from bot.responses import Renderer
from bot.store.records import Conversation, Customer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(slots=True)
class Understanding:
    """What the NLU made of a message."""

    intent: str | None = None
    confidence: float | None = None
    faq_id: str | None = None


@dataclass(slots=True)
class Mood:
    """How the customer seems this turn, as the guard reads it."""

    #: Accumulated frustration, 0 (calm) to 1 (boiling), decaying when things go well.
    frustration: float = 0.0
    frustrated: bool = False
    abuse: bool = False
    threat: bool = False

    @property
    def upset(self) -> bool:
        """Not the moment to sell anything."""
        return self.frustrated or self.abuse or self.threat


@dataclass(slots=True)
class Turn:
    """One customer turn in progress; the policy appends to ``actions``."""

    inbound: Inbound
    customer: Customer
    conv: Conversation
    lang: str
    text: str
    renderer: Renderer
    new_conversation: bool = False
    understood: Understanding = field(default_factory=Understanding)
    mood: Mood = field(default_factory=Mood)
    actions: list[Action] = field(default_factory=list)
    #: Set by a stage that has fully handled the turn (e.g. relayed it to an agent).
    done: bool = False
    #: Writes of the stages made in the transaction that records the turn, so a turn
    #: redone after a crash does not make them twice.
    writes: list[Callable[[AsyncConnection], Awaitable[None]]] = field(default_factory=list)

    @property
    def state(self) -> dict[str, Any]:
        """The conversation's working memory (saved with the conversation)."""
        return self.conv.state

    @property
    def name(self) -> str | None:
        """The customer's name as they go by, if known."""
        return self.inbound.name or self.customer.name

    def render(self, template: str, **values: str | None) -> str:
        """A template in the customer's language, their name filled in."""
        values.setdefault("name", self.name)
        values.setdefault("company", self.renderer.render("company_name", self.lang))
        return self.renderer.render(template, self.lang, **values)

    def say(self, template: str, *, buttons: tuple[Button, ...] = (), **values: str | None) -> None:
        """Append a reply rendered from ``template``."""
        text = self.render(template, **values)
        if text:
            self.actions.append(Reply(text=text, buttons=buttons))

    def say_text(self, text: str, *, buttons: tuple[Button, ...] = ()) -> None:
        """Append a reply with literal text (an FAQ answer)."""
        self.actions.append(Reply(text=text, buttons=buttons))
