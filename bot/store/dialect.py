"""What differs between SQLite and PostgreSQL: engine options and the upsert."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.errors import StoreError

#: Connections each process keeps open to PostgreSQL, and how many more it may open
#: under a burst. Four workers use at most 4 × 20 of PostgreSQL's default 100.
POOL_SIZE, MAX_OVERFLOW = 10, 10


def engine_options(url: sa.URL) -> dict[str, Any]:
    """Options for ``create_async_engine``: a bounded pool for a server database.

    Every use of a connection is a transaction that ends in a commit or a rollback
    (:mod:`bot.store.transaction`), so the pool's own rollback when a connection comes
    back is skipped (a round trip each time). Nor is a connection pinged before use:
    one cut by a server restart fails its first statement, which
    :func:`~bot.store.transaction.transaction` sees as a lost connection and retries
    on a fresh one — the ping would cost a round trip per transaction.
    """
    if url.get_backend_name() == "sqlite":
        from bot.store import inline

        return {
            "pool_reset_on_return": None,
            "connect_args": {"async_creator_fn": inline.connect},
        }
    return {
        "pool_reset_on_return": None,
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
        "pool_timeout": 30,
        "pool_recycle": 1800,  # under idle-connection timeouts of proxies and poolers
    }


def upsert(
    dialect: str,
    table: sa.Table,
    *,
    keys: Sequence[str],
    update: Callable[[Any], Mapping[str, Any]] | Sequence[str],
) -> Any:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` — one atomic statement, so racing
    workers neither fail on the unique key nor lose a write. Run it with the row as
    parameters: ``conn.execute(upsert(...), row)``.

    ``update`` names the columns the new row overwrites, or maps the proposed row
    (``excluded``) to the values to set (a function defined once, not per call: the
    statement is built once per ``update`` and reused).
    """
    spec = update if callable(update) else tuple(update)
    return _on_conflict(dialect, table, tuple(keys), spec)


@functools.lru_cache(maxsize=64)
def _on_conflict(
    dialect: str,
    table: sa.Table,
    keys: tuple[str, ...],
    update: Callable[[Any], Mapping[str, Any]] | tuple[str, ...],
) -> Any:
    """The upsert without its values (building ``excluded`` costs more than the rest)."""
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise StoreError(f"unsupported database {dialect!r} (use SQLite or PostgreSQL)")
    new = stmt.excluded
    sets = update(new) if callable(update) else {name: new[name] for name in update}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(sets))
