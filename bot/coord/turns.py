"""Customer turns that survive a crash: inbox → turn → outbox → platform.

1. :meth:`Turns.accept` keeps a customer's message in the inbox before the
   platform is told it arrived. The platform's event id is unique there, so a
   re-delivery — to this worker or another — is recognised and dropped.
2. :meth:`Turns.serve` takes the conversation's lock (:mod:`bot.coord`) and runs
   its waiting messages in arrival order. The turn's record, the inbox row marked
   done and the replies queued in the outbox are **one transaction**: a worker
   killed before it commits leaves the message waiting (the turn is redone once,
   by whichever worker comes next); after it, the turn is never redone.
3. The replies are sent in ``id`` order, each retried with backoff that honours
   the platform's ``Retry-After``; one that fails ``attempts`` times becomes a
   dead letter (status ``dead``, logged as an error) and the next one goes on.
4. :meth:`Turns.recover`, every few seconds in every worker, serves what a dead
   worker left behind: waiting messages and unsent replies older than ``grace``.

A reply sent just before its worker was killed, and not yet marked sent, is sent
again by the recovery: the platforms offer no idempotency key for messages, so
this one-request window is the only place a customer could read a reply twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.coord import Coordinator
from bot.coord.tables import inbox, outbox
from bot.errors import StoreError
from bot.language import detect
from bot.models import Action, ConversationKey, Inbound, Reply
from bot.store.sql import execute
from bot.store.transaction import single_statements

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

#: A message whose turn failed this many times is given up (the customer gets an apology);
#: a turn that fails is tried again at once (the engine itself never raises for a
#: customer's input: this is the database or a bug).
MAX_TRIES = 3
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


class Courier(Protocol):
    """One platform's side of the turns: enrich what came in, render and send what goes out."""

    async def prepare(self, inbound: Inbound) -> Inbound:
        """The message as the engine should see it (e.g. with the person's name)."""
        ...

    def render(self, key: str, route: Mapping[str, Any], action: Action) -> list[dict[str, Any]]:
        """An action → the platform messages (JSON) that show it; none for desk-only actions."""
        ...

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one rendered message; raises the platform's error."""
        ...

    def retryable(self, exc: Exception) -> bool: ...

    def retry_after(self, exc: Exception) -> float | None: ...


def encode(inbound: Inbound) -> dict[str, Any]:
    """An :class:`Inbound` as JSON for the inbox."""
    key = inbound.key
    return {
        "key": [key.platform, key.chat, key.thread],
        "user": inbound.user,
        "text": inbound.text,
        "button": inbound.button,
        "name": inbound.name,
        "handle": inbound.handle,
        "at": inbound.at.isoformat(),
        "message_id": inbound.message_id,
        "kind": inbound.kind,
    }


def decode(data: Mapping[str, Any]) -> Inbound:
    """The inverse of :func:`encode`."""
    platform, chat, thread = data["key"]
    return Inbound(
        key=ConversationKey(platform, chat, thread),
        user=data["user"],
        text=data["text"],
        button=data["button"],
        name=data["name"],
        handle=data["handle"],
        at=datetime.fromisoformat(data["at"]),
        message_id=data["message_id"],
        kind=data["kind"],
    )


#: The statements of every turn, built once (see :mod:`bot.store.sql`).
_KEEP = inbox.insert()
#: Take conversation ``b_key``'s waiting messages, counting the try.
_TAKE = (
    inbox.update()
    .where(inbox.c.conv_key == sa.bindparam("b_key"), inbox.c.status == "pending")
    .values(tries=inbox.c.tries + 1)
    .returning(inbox.c.id, inbox.c.payload, inbox.c.tries)
)
_DONE = (
    inbox.update()
    .where(inbox.c.id == sa.bindparam("b_id"), inbox.c.status == "pending")
    .values(status="done", done_at=sa.bindparam("b_at"))
)
_QUEUE = outbox.insert()
#: Conversation ``b_key``'s queued messages, oldest first.
_QUEUED = (
    sa.select(outbox.c.id, outbox.c.platform, outbox.c.message, outbox.c.tries)
    .where(outbox.c.conv_key == sa.bindparam("b_key"), outbox.c.status == "queued")
    .order_by(outbox.c.id)
)
#: How one queued message ended: ``sent`` or ``dead``.
_SETTLE = (
    outbox.update()
    .where(outbox.c.id == sa.bindparam("b_id"))
    .values(
        status=sa.bindparam("b_status"),
        tries=sa.bindparam("b_tries"),
        error=sa.bindparam("b_error"),
        sent_at=sa.bindparam("b_sent_at"),
    )
)


class Turns:
    """The inbox, the turns and the outbox of one worker (one per process)."""

    def __init__(
        self,
        engine: Engine,
        db: AsyncEngine,
        coord: Coordinator,
        *,
        attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        grace: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.engine, self.db, self.coord = engine, db, coord
        self.attempts, self.base_delay, self.max_delay = attempts, base_delay, max_delay
        self.grace = timedelta(seconds=grace)
        self.sleep = sleep
        self.couriers: dict[str, Courier] = {}
        #: ``turn``, ``duplicate``, ``sent``, ``dead``, ``failed``: what happened so far.
        self.stats: Counter[str] = Counter()

    # in -----------------------------------------------------------------------------

    async def accept(
        self, event: str, inbound: Inbound, route: Mapping[str, Any] | None = None
    ) -> bool:
        """Keep a message before it is acknowledged; False for a re-delivery.

        ``route`` is what the platform needs to answer beyond the conversation key
        (Telegram: the topic and the message to quote). Raises :class:`StoreError`
        when the database is down: the platform is then not acknowledged, and
        delivers again.
        """
        payload = {"inbound": encode(inbound), "route": dict(route or {})}
        row = {
            "event": event[:200],
            "conv_key": str(inbound.key),
            "payload": payload,
            "status": "pending",
            "tries": 0,
            "created_at": datetime.now(UTC),
        }
        try:  # one INSERT, atomic alone: no BEGIN/COMMIT on PostgreSQL
            async with single_statements(self.db).begin() as conn:
                await conn.execute(_KEEP, row)
        except IntegrityError:
            log.info("event %s delivered again; already kept", event)
            self.stats["duplicate"] += 1
            return False
        except (SQLAlchemyError, OSError) as exc:  # OSError: the server is not there at all
            raise StoreError(str(exc)) from exc
        return True

    async def serve(
        self, key: str, *, before_send: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Run the conversation's waiting messages in arrival order, then send the replies
        (after ``before_send``: Telegram's "typing…", if any, has arrived by then)."""
        if key.split(":", 1)[0] not in self.couriers:
            return  # a worker serving that platform will take it
        async with self.coord.hold(key):
            # take the waiting messages, counting the try (one statement)
            taken = await execute(self.db, _TAKE, {"b_key": key})
            queued: list[Any] | None = None
            for row in sorted(taken.all(), key=lambda r: int(r.id)):
                queued = await self._turn(key, row.id, row.payload, row.tries)
            if before_send is not None:
                await before_send()
            await self._flush(key, queued)

    async def _turn(
        self, key: str, row_id: int, payload: Mapping[str, Any], tries: int
    ) -> list[Any] | None:
        """Serve one message; ``tries`` counts this try (an earlier one died mid-turn).

        Returns the conversation's queued messages as the turn's transaction read
        them, if it committed (the flush then needs no query of its own).
        """
        inbound = decode(payload["inbound"])
        route: Mapping[str, Any] = payload.get("route") or {}
        courier = self.couriers[inbound.key.platform]
        if tries <= MAX_TRIES:
            prepared = await courier.prepare(inbound)
            while (queued := await self._try(key, row_id, tries, prepared, route, courier)) is None:
                if tries >= MAX_TRIES:
                    break
                await self.sleep(0.1 * 2**tries)
                tries += 1
                await execute(
                    self.db, inbox.update().where(inbox.c.id == row_id).values(tries=tries)
                )
            else:
                return queued
        await self._give_up(key, row_id, route, inbound, courier)
        return None

    async def _try(
        self,
        key: str,
        row_id: int,
        tries: int,
        inbound: Inbound,
        route: Mapping[str, Any],
        courier: Courier,
    ) -> list[Any] | None:
        """One try at a turn; ``None`` if it was not recorded, else the queued messages."""
        queued: list[Any] | None = None

        async def journal(conn: AsyncConnection, actions: list[Action]) -> None:
            done = await conn.execute(_DONE, {"b_id": row_id, "b_at": datetime.now(UTC)})
            if done.rowcount != 1:  # pragma: no cover - only if the lock was lost
                raise StoreError(f"message {row_id} of {key} was served meanwhile")
            await self._queue(conn, key, inbound.key.platform, route, actions, courier)
            nonlocal queued
            queued = list((await conn.execute(_QUEUED, {"b_key": key})).all())

        self.stats["turn"] += 1
        try:
            await self.engine.handle(inbound, journal=journal)
        except Exception:
            log.exception("the turn of %s failed (try %d of %d)", key, tries, MAX_TRIES)
            return None
        if queued is None:  # recorded by an earlier try whose commit seemed lost
            queued = list((await execute(self.db, _QUEUED, {"b_key": key})).all())
        return queued

    async def _give_up(
        self, key: str, row_id: int, route: Mapping[str, Any], inbound: Inbound, courier: Courier
    ) -> None:
        log.error("giving up message %s of %s after %d tries; apologising", row_id, key, MAX_TRIES)
        self.stats["failed"] += 1
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    inbox.update().where(inbox.c.id == row_id).values(status="failed")
                )
                sorry: list[Action] = [Reply(text=self._sorry(inbound))]
                await self._queue(conn, key, inbound.key.platform, route, sorry, courier)
        except SQLAlchemyError:
            log.exception("no apology for %s: the database is unreachable", key)

    def _sorry(self, inbound: Inbound) -> str:
        try:
            return self.engine.renderer.render("error", detect(inbound.text)) or SORRY
        except Exception:
            log.exception("could not render the error template")
            return SORRY

    # out ----------------------------------------------------------------------------

    async def send(
        self, key: ConversationKey, actions: list[Action], route: Mapping[str, Any] | None = None
    ) -> None:
        """Queue actions for a customer outside a turn (an agent's message) and send
        them in order with the conversation's replies."""
        courier = self.couriers.get(key.platform)
        if courier is None:
            log.warning("no channel sends to %s", key)
            return
        try:
            async with self.db.begin() as conn:
                await self._queue(conn, str(key), key.platform, route or {}, actions, courier)
        except SQLAlchemyError as exc:
            raise StoreError(str(exc)) from exc
        async with self.coord.hold(str(key)):
            await self._flush(str(key))

    async def _queue(
        self,
        conn: AsyncConnection,
        key: str,
        platform: str,
        route: Mapping[str, Any],
        actions: list[Action],
        courier: Courier,
    ) -> None:
        now = datetime.now(UTC)
        rows = []
        for action in actions:
            for message in courier.render(key, route, action):
                rows.append(
                    {
                        "conv_key": key,
                        "platform": platform,
                        "message": message,
                        "status": "queued",
                        "tries": 0,
                        "created_at": now,
                    }
                )
                # the customer's message is quoted once, by the first reply
                route = {k: v for k, v in route.items() if k != "reply_to"}
        if rows:
            await conn.execute(_QUEUE, rows)

    async def _flush(self, key: str, queued: list[Any] | None = None) -> None:
        """Send the conversation's queued messages, oldest first (hold its lock);
        ``queued`` when the caller has just read them in its own transaction."""
        if queued is None:
            queued = list((await execute(self.db, _QUEUED, {"b_key": key})).all())
        for row in queued:
            courier = self.couriers.get(row.platform)
            if courier is None:
                continue
            tries, error = await self._deliver(courier, key, row.message)
            settled = {"b_id": row.id, "b_tries": row.tries + tries, "b_error": error or None}
            if error:
                self.stats["dead"] += 1
                log.error(
                    "a reply to %s could not be delivered after %d tries (dead letter %d): %s",
                    key, tries, row.id, error,
                )  # fmt: skip
                settled |= {"b_status": "dead", "b_sent_at": None}
            else:
                self.stats["sent"] += 1
                settled |= {"b_status": "sent", "b_sent_at": datetime.now(UTC)}
            await execute(self.db, _SETTLE, settled)

    async def _deliver(
        self, courier: Courier, key: str, message: Mapping[str, Any]
    ) -> tuple[int, str]:
        """Try to send; the number of tries and the last error ("" when sent)."""
        for attempt in range(1, self.attempts + 1):
            try:
                await courier.send(message)
                return attempt, ""
            except Exception as exc:
                if attempt == self.attempts or not courier.retryable(exc):
                    return attempt, f"{type(exc).__name__}: {exc}"[:2000]
                asked = courier.retry_after(exc)
                delay = asked if asked is not None else self.base_delay * 2 ** (attempt - 1)
                delay = min(self.max_delay, delay)
                if asked is None:
                    delay += random.uniform(0, 0.1)
                log.warning(
                    "a reply to %s failed (%s); retry %d in %.2fs", key, exc, attempt, delay
                )
                await self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # recovery -----------------------------------------------------------------------

    async def recover(self) -> int:
        """Serve what was left behind; returns how many conversations were looked at."""
        cutoff = datetime.now(UTC) - self.grace
        waiting = sa.select(inbox.c.conv_key).where(
            inbox.c.status == "pending", inbox.c.created_at < cutoff
        )
        unsent = sa.select(outbox.c.conv_key).where(
            outbox.c.status == "queued", outbox.c.created_at < cutoff
        )
        keys = {r.conv_key for r in await execute(self.db, sa.union(waiting, unsent))}
        mine = sorted(k for k in keys if k.split(":", 1)[0] in self.couriers)
        for key in mine:
            await self.serve(key)
        return len(mine)

    async def run_recovery(self, every: float = 2.0) -> None:
        """:meth:`recover` every ``every`` seconds, until cancelled."""
        while True:
            try:
                found = await self.recover()
                if found:
                    log.warning("recovered %d conversation(s) left behind", found)
            except Exception:
                log.exception("the recovery of left-behind turns failed")
            await asyncio.sleep(every)

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest replies that could not be delivered, for operators."""
        rows = await execute(
            self.db,
            sa.select(outbox)
            .where(outbox.c.status == "dead")
            .order_by(outbox.c.id.desc())
            .limit(limit),
        )
        return [dict(r._mapping) for r in rows]
