"""SQLite calls made in the event loop's thread, not handed to a helper thread.

``aiosqlite`` runs every call — a cursor, a statement, a fetch, a commit — in one
thread per connection and wakes the event loop for each result: about sixty
thread hand-offs per customer turn, a good part of a worker's CPU. SQLite itself
answers these calls in microseconds (WAL, ``synchronous=NORMAL``: no ``fsync`` per
commit), so here they run in place, through aiosqlite's own API, and SQLAlchemy
sees no difference.

What this relies on: no transaction waits for anything but its own statements
between its first write and its commit (true of every transaction in
:mod:`bot.store`, :mod:`bot.coord.turns` and the feature repositories), so within
one process a writer never finds the database locked by another connection of
the same process. Another process writing at the same moment makes this one wait
in SQLite's busy handler, as before, but without serving other requests meanwhile
— one reason several workers use PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run at once, in the caller's thread.

    The helper thread still opens and closes the connection (aiosqlite's start-up
    and shutdown go through it).
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def connect(database: str, **kwargs: Any) -> InlineConnection:
    """``aiosqlite.connect`` with calls made inline (pass as ``async_creator_fn``)."""
    kwargs["check_same_thread"] = False  # opened by the helper thread, used by the loop's

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = InlineConnection(connector, 64)
    connection._thread.daemon = True
    return connection
