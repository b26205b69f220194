"""The composition root: settings → content, NLU, store → engine."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings, default_content_dir
from bot.content import Content, load_content
from bot.content.validate import check as check_content
from bot.content.watch import Fingerprint, fingerprint
from bot.coord import Coordinator, LocalCoordinator, open_coordinator
from bot.coord.turns import Turns
from bot.engine import Engine, Stage
from bot.errors import ConfigError, ContentError, Problem
from bot.guard import Guard, GuardContent, GuardRepository, load_guard
from bot.handoff import Desk
from bot.handoff import load_settings as load_handoff
from bot.handoff.settings import HandoffSettings
from bot.nlu import NLU, Example, create_embedded
from bot.offers.stage import OfferStage, offer_stage
from bot.policy import FAQ_PREFIX, Thresholds
from bot.ratelimit import Limit, rate_stage
from bot.store import Store, open_store

#: Reloads log here (the CLI shows its INFO lines: admins want to see them).
rlog = logging.getLogger("bot.reload")


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


NLU_BACKENDS = ("embedded", "rasa")


def nlu_for(settings: Settings, fitted: NLU) -> NLU:
    """The NLU the settings ask for; Rasa keeps the fitted embedded NLU as its fallback.

    A reload that re-trains should pass its new fitted NLU through here too.
    """
    if settings.nlu == "rasa":
        from bot.nlu.rasa import RasaNLU

        return RasaNLU(settings.rasa_url, fallback=fitted)
    return fitted


#: Fits an NLU on content (``train``; a fixed model in tests).
Fit = Callable[[Content], Awaitable[NLU]]
#: Attempts at reading a folder that keeps changing while it is read.
READ_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Loaded:
    """A content folder read (and checked) off the event loop; not in use yet."""

    content: Content
    guard: GuardContent
    handoff: HandoffSettings
    #: The files as they were when read (see :mod:`bot.content.watch`).
    fingerprint: Fingerprint
    warnings: tuple[Problem, ...] = ()


def read_content(root: Path, *, check: bool = False) -> Loaded:
    """Everything the bot reads from ``root``; blocking (call it in a thread).

    With ``check``, ``frontdesk validate``'s errors refuse the folder too (a
    reload); without, only what cannot be loaded does (the start, as before).
    A folder that changes while it is read is read again, so the parts come
    from one version of the files. Raises ``ContentError``.
    """
    for attempt in range(1, READ_ATTEMPTS + 1):
        before = fingerprint(root)
        try:
            loaded = _read(root, before, check=check)
        except ContentError:
            if attempt < READ_ATTEMPTS and fingerprint(root) != before:
                continue  # caught half-way through an edit: read the result
            raise
        if fingerprint(root) == before:
            break
    return loaded


def _read(root: Path, seen: Fingerprint, *, check: bool) -> Loaded:
    content = load_content(root)
    problems = check_content(content.root, content) if check else []
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ContentError(errors)
    guard = load_guard(content.root, fallback=default_content_dir())
    handoff = load_handoff(content.root)
    return Loaded(content, guard, handoff, seen, tuple(problems))


@dataclass(frozen=True, slots=True)
class Reload:
    """What a reload did: swapped in (``ok``) or refused, with the problems found."""

    ok: bool
    #: When it began reading the folder (a ``frontdesk reload`` waits for a later one).
    started_at: datetime
    seconds: float
    #: The errors that refused the folder; the warnings of one taken.
    problems: tuple[Problem, ...] = ()
    #: Whether the intents or FAQ questions changed (the NLU was trained again).
    retrained: bool = False

    def describe(self) -> str:
        """One line for the log and for ``frontdesk reload``."""
        if not self.ok:
            n = len(self.problems)
            return f"refused ({n} error{'' if n == 1 else 's'}); still on the previous content"
        model = "the language model retrained" if self.retrained else "same language model"
        warned = f"; {len(self.problems)} warning(s)" if self.problems else ""
        return f"reloaded in {self.seconds:.1f} s ({model}{warned})"


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
    fit: Fit = train
    #: The content files the running version was read from.
    fingerprint: Fingerprint = ()
    #: The per-customer rate limit (kept across reloads: its buckets are live state).
    rate: Stage | None = None
    #: Per-conversation locks and once-only platform events (Redis with many workers).
    coord: Coordinator = field(default_factory=LocalCoordinator)
    _reloading: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def close(self) -> None:
        """Release the coordinator, the store (and the NLU's connections, if it has any)."""
        close = getattr(self.engine.nlu, "close", None)
        if close is not None:
            await close()
        await self.coord.close()
        await self.store.close()

    async def reload(self) -> Reload:
        """Read, validate and train the content folder again, then swap it in at once.

        The reading and training run in worker threads while the event loop
        keeps serving; the swap is one step between turns (a turn in progress
        finishes on the content it started with). Invalid content is refused:
        the bot keeps the last good version, logs each problem with file and
        line, and tells the agents' desk. One reload at a time; never raises.
        """
        async with self._reloading:
            at, started = datetime.now(UTC), time.perf_counter()
            try:
                loaded = await asyncio.to_thread(read_content, self.content.root, check=True)
                nlu = await self.fit(loaded.content)
            except ContentError as exc:
                refused = Reload(False, at, time.perf_counter() - started, tuple(exc.problems))
                await self._refuse(refused)
                return refused
            except Exception as exc:  # a reload never takes the running bot down
                rlog.exception("content reload failed")
                problem = Problem(str(self.content.root), 0, f"reload failed: {exc!r}")
                refused = Reload(False, at, time.perf_counter() - started, (problem,))
                await self._refuse(refused)
                return refused
            retrained = nlu is not getattr(self.engine.nlu, "fallback", self.engine.nlu)
            self._swap(loaded, nlu)
            done = Reload(True, at, time.perf_counter() - started, loaded.warnings, retrained)
            rlog.info("content %s: %s", self.content.root, done.describe())
            return done

    def _swap(self, loaded: Loaded, nlu: NLU) -> None:
        """Every holder of content at once, with no ``await`` in between."""
        guard, offers = _guard(loaded, self.store), _offers(loaded, self.store, self.settings)
        if self.desk is not None:
            self.desk.use(
                content=loaded.content, settings=loaded.handoff, describer=guard, offers=offers
            )
            stages = _stages(guard, self.desk, offers, self.rate)
        else:
            stages = [guard, *([self.rate] if self.rate else []), offers]
        self.engine.use(content=loaded.content, nlu=nlu_for(self.settings, nlu), stages=stages)
        self.content, self.fingerprint = loaded.content, loaded.fingerprint

    async def _refuse(self, result: Reload) -> None:
        root = self.content.root
        rlog.error("content %s: reload %s", root, result.describe())
        for problem in result.problems:
            rlog.error("  %s", problem)
        if self.desk is not None:
            shown = [f"  {p}" for p in result.problems[:NOTICE_PROBLEMS]]
            if len(result.problems) > NOTICE_PROBLEMS:
                shown.append(f"  … and {len(result.problems) - NOTICE_PROBLEMS} more")
            head = f"⚠ content reload refused ({root}): the bot keeps the previous version"
            await self.desk.notify("\n".join([head, *shown]))


#: Problems listed in the desk's notice of a refused reload (the log has them all).
NOTICE_PROBLEMS = 5


def _guard(loaded: Loaded, store: Store) -> Guard:
    return Guard(loaded.guard, GuardRepository(store.engine))


def _offers(loaded: Loaded, store: Store, settings: Settings) -> OfferStage:
    cooldown = timedelta(days=settings.offer_cooldown_days)
    return offer_stage(loaded.content, store, cooldown=cooldown)


def _stages(guard: Guard, desk: Desk, offers: OfferStage, rate: Stage | None) -> list[Stage]:
    # The guard reads every turn, with an agent too (threats are flagged); then an open
    # ticket takes the message (relay, no bot answer); offers go by the guard's mood;
    # the ticket stage is last, so it sees every Handoff the policy or the guard decided.
    # Past the relay, a customer over their rate limit is held (stored, not answered).
    return [guard, desk.relay, *([rate] if rate else []), offers, desk.tickets]


async def build_app(settings: Settings, *, nlu: NLU | None = None) -> App:
    """Load content, train (unless a fitted ``nlu`` is given), open the store.

    Raises ``ContentError``, ``StoreError`` or ``ConfigError`` (Redis unreachable).
    """
    if settings.nlu not in NLU_BACKENDS:
        raise ConfigError(
            f"FRONTDESK_NLU is malformed: {settings.nlu!r} is not one of {NLU_BACKENDS}"
        )
    loaded = read_content(settings.content_dir)
    fit: Fit = train if nlu is None else (lambda content: _ready(nlu))
    coord = await open_coordinator(settings.redis_url)
    try:
        fitted, store = await asyncio.gather(fit(loaded.content), open_store(settings.database_url))
    except BaseException:
        await coord.close()
        raise
    guard, offers = _guard(loaded, store), _offers(loaded, store, settings)
    desk = Desk(
        content=loaded.content, store=store, settings=loaded.handoff, describer=guard,
        offers=offers, coord=coord,
    )  # fmt: skip
    rate = rate_stage(Limit(settings.rate_messages, settings.rate_window, settings.rate_burst))
    engine = Engine(
        content=loaded.content,
        nlu=nlu_for(settings, fitted),
        store=store,
        thresholds=Thresholds(
            answer=settings.answer_threshold,
            margin=settings.answer_margin,
            clarify=settings.clarify_threshold,
        ),
        idle=timedelta(minutes=settings.idle_minutes),
        max_chars=settings.max_chars,
        stages=_stages(guard, desk, offers, rate),
    )
    return App(
        settings=settings,
        content=loaded.content,
        engine=engine,
        store=store,
        turns=Turns(engine, store.engine, coord, attempts=settings.send_attempts),
        desk=desk,
        coord=coord,
        fit=fit,
        fingerprint=loaded.fingerprint,
        rate=rate,
    )
