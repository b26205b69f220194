"""Transactions that outlive a database restart.

Every read and write of the store and of the feature repositories runs through
:func:`transaction`. When the connection to the database is lost (PostgreSQL
restarted or failed over, the network dropped), the transaction is retried with
a growing pause until the database is back or :data:`PATIENCE` seconds have passed;
then :class:`~bot.errors.StoreError` is raised. A turn therefore waits for the
database instead of losing the customer's message.

A retry never writes twice: a transaction that failed before its commit was rolled
back by the database. Only a connection lost *during* the commit leaves the outcome
unknown; a write that is not ``idempotent`` then raises rather than guess (callers
that can check whether their commit landed, like ``record_turn``, do so and retry).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a transaction keeps retrying while the database is unreachable.
PATIENCE = 30.0
#: First and longest pause between two tries, in seconds.
FIRST_PAUSE, LONGEST_PAUSE = 0.05, 1.0
#: SQLSTATEs that mean "connection lost / server going away / not up yet".
_GONE = ("57P01", "57P02", "57P03")


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` says the database went away (worth a retry), not that the SQL failed."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    for err in (exc, getattr(exc, "orig", None)):
        state = str(getattr(err, "sqlstate", None) or getattr(err, "pgcode", None) or "")
        if state.startswith("08") or state in _GONE:
            return True
    return isinstance(exc, OSError)  # refused or reset while the server is down


async def transaction(
    engine: AsyncEngine,
    work: Callable[[AsyncConnection], Awaitable[T]],
    *,
    idempotent: bool = True,
    patience: float | None = None,
) -> T:
    """Run ``work`` in one transaction, retried across lost connections (see the module).

    Database errors become :class:`StoreError`; so does a lost commit of a write that
    is not ``idempotent``. ``patience`` defaults to :data:`PATIENCE`.
    """
    deadline = time.monotonic() + (PATIENCE if patience is None else patience)
    pause = FIRST_PAUSE
    while True:
        committing = False
        try:
            async with engine.connect() as conn, conn.begin():
                result = await work(conn)
                committing = True
            return result
        except Exception as exc:
            if not lost_connection(exc):
                if isinstance(exc, SQLAlchemyError):
                    raise StoreError(str(exc)) from exc
                raise
            if committing and not idempotent:
                raise StoreError(f"the connection was lost while committing: {exc}") from exc
            if time.monotonic() + pause > deadline:
                raise StoreError(f"the database is unreachable: {exc}") from exc
            log.warning("database connection lost (%s); retrying in %.2fs", exc, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


async def execute(
    engine: AsyncEngine, stmt: Any, params: Any = None, *, idempotent: bool = True
) -> sa.CursorResult[Any]:
    """Run one statement in its own transaction (see :func:`transaction`).

    Shared by the feature repositories (guard, offers, handoff) that live in the
    store's database. Pass ``idempotent=False`` for an INSERT. ``params`` are the
    statement's bound values: a statement built once with ``bindparam`` and run with
    ``params`` costs a fraction of one built per call (see :mod:`bot.store.sql`).
    """

    async def run(conn: AsyncConnection) -> sa.CursorResult[Any]:
        result: sa.CursorResult[Any] = await conn.execute(stmt, params)
        return result

    if idempotent:  # a lost autocommit would be retried: only where that is harmless
        engine = single_statements(engine)
    return await transaction(engine, run, idempotent=idempotent)


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """Where to run a statement that is its own transaction.

    On PostgreSQL, ``engine`` in autocommit mode (sharing its pool): one statement is
    atomic alone, and each saves a ``BEGIN`` and a ``COMMIT`` round trip — 2–5 % of a
    turn's machine CPU under load (``bench/load.py``, docs/benchmarks.md). Elsewhere
    ``engine`` itself: SQLite has no round trips to save and pays for switching modes
    (+0.12 ms a statement, ``bench/store.py``).
    """
    if engine.dialect.name != "postgresql":
        return engine
    found = _AUTOCOMMIT.get(engine)
    if found is None:
        found = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


_AUTOCOMMIT: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()
