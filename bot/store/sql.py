"""The SQLAlchemy store: SQLite by default, PostgreSQL through the same code.

The statements a customer turn runs are built once, at import, with ``bindparam``
placeholders, and run with their values as parameters: SQLAlchemy then reuses the
compiled form without building a statement and its cache key per call — a third of
the cost of ``insert().values(...)`` built per call (``bench/store.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import StoreError
from bot.models import State
from bot.store import tables as t
from bot.store.dialect import engine_options, upsert
from bot.store.records import Conversation, Customer, Message
from bot.store.transaction import execute, transaction

__all__ = ["SqlStore", "execute", "open_store", "transaction"]

MIGRATIONS = Path(__file__).with_name("migrations")
#: Seconds :meth:`SqlStore.open` waits for a database that is not up yet.
OPEN_PATIENCE = 5.0
#: Longest customer name or handle kept (the columns' size).
NAME_CHARS = 256
#: Key of the PostgreSQL advisory lock that lets one worker migrate at a time.
MIGRATION_LOCK = 0x66726F6E  # "fron"
#: More writes for the transaction that records a turn.
Also = Callable[[AsyncConnection], Awaitable[None]]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL: readers don't block the writer, and a commit is not an fsync each time."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _upgrade(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":  # workers starting together migrate in turn
        connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


class SqlStore:
    """Customers, conversations, messages and feedback in one SQL database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def open(cls, url: str, *, patience: float = OPEN_PATIENCE) -> SqlStore:
        """Connect, create the SQLite folder if needed, and migrate to the newest schema.

        A database that is not up yet is waited for ``patience`` seconds.
        """
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **engine_options(parsed))
        if parsed.get_backend_name() == "sqlite":
            sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)

        async def migrate(conn: AsyncConnection) -> None:
            await conn.run_sync(_upgrade)

        try:
            await transaction(engine, migrate, patience=patience)
        except (StoreError, SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            raise StoreError(
                f"cannot open the database {parsed.render_as_string(hide_password=True)}: {exc}"
            ) from exc
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine, for feature repositories sharing this database."""
        return self._engine

    async def close(self) -> None:
        """Release connections."""
        await self._engine.dispose()

    async def _run(self, stmt: Any, params: Any = None) -> sa.CursorResult[Any]:
        return await execute(self._engine, stmt, params)

    # customers ------------------------------------------------------------

    async def customer(
        self, platform: str, user_id: str, *, name: str | None = None, handle: str | None = None
    ) -> Customer:
        """The customer for this platform user, created on first sight; name kept fresh."""

        async def work(conn: AsyncConnection) -> Customer:
            return await _upsert_customer(conn, platform, user_id, name, handle)

        return await transaction(self._engine, work)

    async def arrive(
        self,
        key: str,
        platform: str,
        user_id: str,
        *,
        name: str | None = None,
        handle: str | None = None,
    ) -> tuple[Customer, Conversation | None]:
        """One transaction at the start of a turn: the customer (with their count of
        conversations so far in ``earlier_conversations``) and the open conversation."""

        async def work(conn: AsyncConnection) -> tuple[Customer, Any]:
            customer = await _upsert_customer(conn, platform, user_id, name, handle)
            count = (await conn.execute(_COUNT, {"b_customer": customer.id})).scalar_one()
            customer.earlier_conversations = int(count)
            return customer, (await conn.execute(_CURRENT, {"b_key": key})).first()

        customer, row = await transaction(self._engine, work)
        return customer, None if row is None else self._to_conversation(row)

    async def count_conversations(self, customer_id: int) -> int:
        """How many conversations this customer has had."""
        result = await self._run(_COUNT, {"b_customer": customer_id})
        return int(result.scalar_one())

    async def customer_by_id(self, customer_id: int) -> Customer | None:
        """The customer with this id, if any (never creates one)."""
        row = (
            await self._run(sa.select(t.customers).where(t.customers.c.id == customer_id))
        ).first()
        return None if row is None else self._to_customer(row)

    async def last_feedback(self, customer_id: int, *, besides: int | None = None) -> int | None:
        """The newest feedback score over the customer's conversations (``besides`` one)."""
        stmt = (
            sa.select(t.feedback.c.score)
            .join(t.conversations, t.conversations.c.id == t.feedback.c.conversation_id)
            .where(t.conversations.c.customer_id == customer_id)
            .order_by(t.feedback.c.id.desc())
            .limit(1)
        )
        if besides is not None:
            stmt = stmt.where(t.feedback.c.conversation_id != besides)
        row = (await self._run(stmt)).first()
        return None if row is None else int(row.score)

    def _to_customer(self, row: Any) -> Customer:
        return _to_customer(row)

    # conversations ----------------------------------------------------------

    async def current_conversation(self, key: str) -> Conversation | None:
        """The newest conversation on this key that has not ended."""
        row = (await self._run(_CURRENT, {"b_key": key})).first()
        return None if row is None else self._to_conversation(row)

    async def start_conversation(
        self, key: str, platform: str, customer_id: int, *, language: str | None = None
    ) -> Conversation:
        """Open a new conversation."""
        now = datetime.now(UTC)
        values = {
            "key": key,
            "platform": platform,
            "customer_id": customer_id,
            "status": State.ACTIVE.value,
            "language": language,
            "state": {},
            "started_at": now,
            "updated_at": now,
        }
        tries = 0

        async def work(conn: AsyncConnection) -> Any:
            nonlocal tries
            tries += 1
            if tries > 1:  # the previous try may have committed before the connection went
                found = (
                    await conn.execute(
                        sa.select(t.conversations.c.id).where(
                            t.conversations.c.key == key, t.conversations.c.started_at == now
                        )
                    )
                ).scalar()
                if found is not None:
                    return found
            result = await conn.execute(t.conversations.insert().values(**values))
            return result.inserted_primary_key[0] if result.inserted_primary_key else None

        new_id = await transaction(self._engine, work)
        if new_id is None:
            raise StoreError("the database returned no id for a new conversation")
        return Conversation(
            id=int(new_id),
            key=key,
            platform=platform,
            customer_id=customer_id,
            status=State.ACTIVE,
            language=language,
            state={},
            started_at=now,
            updated_at=now,
        )

    async def save_conversation(self, conv: Conversation) -> None:
        """Write back status, language and state."""
        _touch(conv)
        await self._run(_SAVE, _saved(conv))

    async def conversation(self, conversation_id: int) -> Conversation | None:
        """One conversation by id."""
        result = await self._run(
            sa.select(t.conversations).where(t.conversations.c.id == conversation_id)
        )
        row = result.first()
        return None if row is None else self._to_conversation(row)

    def _to_conversation(self, row: Any) -> Conversation:
        return Conversation(
            id=row.id,
            key=row.key,
            platform=row.platform,
            customer_id=row.customer_id,
            status=State(row.status),
            language=row.language,
            state=dict(row.state or {}),
            started_at=_utc(row.started_at) or datetime.now(UTC),
            updated_at=_utc(row.updated_at) or datetime.now(UTC),
            ended_at=_utc(row.ended_at),
        )

    # messages and feedback -------------------------------------------------

    async def record_turn(
        self,
        conv: Conversation,
        records: list[Message],
        *,
        feedback: int | None = None,
        customer: tuple[int, str] | None = None,
        also: Also | None = None,
    ) -> None:
        """One transaction at the end of a turn: messages, a rating, the customer's
        language (``(customer_id, language)``), the conversation's state, and what
        ``also`` writes on the same connection (the inbox and outbox of a turn)."""
        _touch(conv)
        rows = [_row(m) for m in records]
        tries = 0

        async def work(conn: AsyncConnection) -> None:
            nonlocal tries
            tries += 1
            if tries > 1 and rows and await _recorded(conn, rows[0]):
                return  # the previous try committed before the connection went
            if rows:
                await conn.execute(_ADD_MESSAGES, rows)
            if feedback is not None:
                await conn.execute(
                    t.feedback.insert().values(
                        conversation_id=conv.id, score=feedback, created_at=conv.updated_at
                    )
                )
            if customer is not None:
                await conn.execute(
                    t.customers.update()
                    .where(t.customers.c.id == customer[0])
                    .values(language=customer[1])
                )
            await conn.execute(_SAVE, _saved(conv))
            if also is not None:
                await also(conn)

        await transaction(self._engine, work)

    async def add_messages(self, records: list[Message]) -> None:
        """Record messages (one transaction)."""
        if not records:
            return
        rows = [_row(m) for m in records]
        await execute(self._engine, _ADD_MESSAGES, rows, idempotent=False)

    async def messages(self, conversation_id: int) -> list[Message]:
        """A conversation's messages, oldest first."""
        result = await self._run(
            sa.select(t.messages)
            .where(t.messages.c.conversation_id == conversation_id)
            .order_by(t.messages.c.id)
        )
        out = []
        for row in result:
            data = dict(row._mapping)
            data["created_at"] = _utc(data["created_at"])
            out.append(Message(**data))
        return out

    async def add_feedback(self, conversation_id: int, score: int) -> None:
        """Record a 1–5 rating."""
        await execute(
            self._engine,
            t.feedback.insert().values(
                conversation_id=conversation_id, score=score, created_at=datetime.now(UTC)
            ),
            idempotent=False,
        )

    async def feedback(self, conversation_id: int) -> list[int]:
        """Ratings given in a conversation."""
        result = await self._run(
            sa.select(t.feedback.c.score)
            .where(t.feedback.c.conversation_id == conversation_id)
            .order_by(t.feedback.c.id)
        )
        return [int(s) for s in result.scalars()]


async def _upsert_customer(
    conn: AsyncConnection, platform: str, user_id: str, name: str | None, handle: str | None
) -> Customer:
    """Create or refresh the customer in one statement (workers may race on a new one)."""
    now = datetime.now(UTC)
    values = {
        "platform": platform,
        "user_id": user_id,
        "name": (name or None) and name[:NAME_CHARS],
        "handle": (handle or None) and handle[:NAME_CHARS],
        "created_at": now,
        "last_seen_at": now,
    }
    row = (await conn.execute(_upsert_customer_stmt(conn.dialect.name), values)).one()
    return _to_customer(row)


@functools.cache
def _upsert_customer_stmt(dialect: str) -> Any:
    stmt = upsert(dialect, t.customers, keys=("platform", "user_id"), update=_refresh)
    return stmt.returning(*t.customers.c)


def _row(message: Message) -> dict[str, Any]:
    """A message's columns but its id (``asdict`` would deep-copy every value)."""
    return {f.name: getattr(message, f.name) for f in fields(message) if f.name != "id"}


def _refresh(new: Any) -> dict[str, Any]:
    """A known customer's row: seen now, name and handle kept when none came."""
    c = t.customers.c
    return {
        "last_seen_at": new.last_seen_at,
        "name": sa.func.coalesce(new.name, c.name),
        "handle": sa.func.coalesce(new.handle, c.handle),
    }


def _to_customer(row: Any) -> Customer:
    return Customer(
        id=row.id,
        platform=row.platform,
        user_id=row.user_id,
        name=row.name,
        handle=row.handle,
        language=row.language,
        created_at=_utc(row.created_at) or datetime.now(UTC),
        last_seen_at=_utc(row.last_seen_at) or datetime.now(UTC),
    )


async def _recorded(conn: AsyncConnection, first: dict[str, Any]) -> bool:
    """Whether a turn's first message (its inbound one) is already in the table."""
    m = t.messages.c
    stmt = sa.select(m.id).where(
        m.conversation_id == first["conversation_id"],
        m.direction == first["direction"],
        m.created_at == first["created_at"],
        m.text == first["text"],
    )
    return (await conn.execute(stmt.limit(1))).first() is not None


def _touch(conv: Conversation) -> None:
    """Stamp the conversation as updated now, and ended now if it just ended."""
    conv.updated_at = datetime.now(UTC)
    if conv.status is State.ENDED and conv.ended_at is None:
        conv.ended_at = conv.updated_at


#: The open conversation on ``b_key``.
_CURRENT = (
    sa.select(t.conversations)
    .where(t.conversations.c.key == sa.bindparam("b_key"))
    .where(t.conversations.c.status != State.ENDED.value)
    .order_by(t.conversations.c.id.desc())
    .limit(1)
)
#: How many conversations customer ``b_customer`` has had.
_COUNT = sa.select(sa.func.count()).where(
    t.conversations.c.customer_id == sa.bindparam("b_customer")
)
_ADD_MESSAGES = t.messages.insert()
_SAVED = ("status", "language", "state", "updated_at", "ended_at")
#: Write back a conversation: :func:`_saved` gives the parameters.
_SAVE = (
    t.conversations.update()
    .where(t.conversations.c.id == sa.bindparam("b_id"))
    .values({name: sa.bindparam(f"b_{name}") for name in _SAVED})
)


def _saved(conv: Conversation) -> dict[str, Any]:
    return {
        "b_id": conv.id,
        "b_status": conv.status.value,
        "b_language": conv.language,
        "b_state": conv.state,
        "b_updated_at": conv.updated_at,
        "b_ended_at": conv.ended_at,
    }


async def open_store(url: str, *, patience: float = OPEN_PATIENCE) -> SqlStore:
    """The store for ``url`` (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``)."""
    return await SqlStore.open(url, patience=patience)
