"""The composition root: settings → content, NLU, store → engine."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from bot.config import Settings
from bot.content import Content, load_content
from bot.coord import Coordinator, LocalCoordinator, open_coordinator
from bot.coord.turns import Turns
from bot.engine import Engine, Stage
from bot.guard import Guard
from bot.handoff import Desk
from bot.handoff import load_settings as load_handoff
from bot.nlu import NLU, Example, create_embedded
from bot.offers.stage import OfferStage, offer_stage
from bot.policy import FAQ_PREFIX, Thresholds
from bot.store import Store, open_store


def training_examples(content: Content) -> list[Example]:
    """Intent examples plus every way of asking every FAQ entry, as one label set."""
    examples = [Example(e.text, e.intent) for e in content.examples]
    for entry in content.faq.values():
        for questions in entry.questions.values():
            examples += [Example(q, f"{FAQ_PREFIX}{entry.id}") for q in questions]
    return examples


#: Fitted models by a fingerprint of their training data: content that did not
#: change (a reload, a second app in one process) is not trained again.
_FITTED: dict[str, NLU] = {}
_FITTED_MAX = 4


async def train(content: Content) -> NLU:
    """Fit the embedded NLU on the content, off the event loop (cached by content)."""
    examples = training_examples(content)
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.label}\x00{e.text}\x01".encode())
    key = digest.hexdigest()
    if key not in _FITTED:
        nlu = create_embedded()
        await asyncio.to_thread(nlu.fit, examples)
        while len(_FITTED) >= _FITTED_MAX:
            del _FITTED[next(iter(_FITTED))]
        _FITTED[key] = nlu
    return _FITTED[key]


async def _ready(nlu: NLU) -> NLU:
    return nlu


@dataclass(slots=True)
class App:
    """A running frontdesk: its engine and what must be closed."""

    settings: Settings
    content: Content
    engine: Engine
    store: Store
    #: Inbox, turns and outbox: nothing lost or doubled when a worker dies.
    turns: Turns
    desk: Desk | None = None
    #: Per-conversation locks and once-only platform events (Redis with many workers).
    coord: Coordinator = field(default_factory=LocalCoordinator)

    async def close(self) -> None:
        """Release the store and the coordinator."""
        await self.coord.close()
        await self.store.close()


async def build_app(settings: Settings, *, nlu: NLU | None = None) -> App:
    """Load content, train (unless a fitted ``nlu`` is given), open the store.

    Raises ``ContentError``, ``StoreError`` or ``ConfigError`` (Redis unreachable).
    """
    content = load_content(settings.content_dir)
    coord = await open_coordinator(settings.redis_url)
    try:
        fitted, store = await asyncio.gather(
            train(content) if nlu is None else _ready(nlu), open_store(settings.database_url)
        )
    except BaseException:
        await coord.close()
        raise
    guard = Guard.open(content.root, store)
    cooldown = timedelta(days=settings.offer_cooldown_days)
    offers: OfferStage = offer_stage(content, store, cooldown=cooldown)
    desk = Desk(
        content=content, store=store, settings=load_handoff(content.root), describer=guard,
        offers=offers,
    )  # fmt: skip
    # The guard reads every turn, with an agent too (threats are flagged); then an open
    # ticket takes the message (relay, no bot answer); offers go by the guard's mood;
    # the ticket stage is last, so it sees every Handoff the policy or the guard decided.
    stages: list[Stage] = [guard, desk.relay, offers, desk.tickets]
    engine = Engine(
        content=content,
        nlu=fitted,
        store=store,
        thresholds=Thresholds(
            answer=settings.answer_threshold,
            margin=settings.answer_margin,
            clarify=settings.clarify_threshold,
        ),
        idle=timedelta(minutes=settings.idle_minutes),
        max_chars=settings.max_chars,
        stages=stages,
    )
    turns = Turns(engine, store.engine, coord, attempts=settings.send_attempts)
    return App(
        settings=settings,
        content=content,
        engine=engine,
        store=store,
        turns=turns,
        desk=desk,
        coord=coord,
    )
