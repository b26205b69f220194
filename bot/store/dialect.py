"""What differs between SQLite and PostgreSQL: engine options and the upsert."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.errors import StoreError

#: Connections each process keeps open to PostgreSQL, and how many more it may open
#: under a burst. Four workers use at most 4 × 20 of PostgreSQL's default 100.
POOL_SIZE, MAX_OVERFLOW = 10, 10


def engine_options(url: sa.URL) -> dict[str, Any]:
    """Options for ``create_async_engine``: a checked, bounded pool for a server database."""
    if url.get_backend_name() == "sqlite":
        return {}
    return {
        "pool_pre_ping": True,  # a connection cut by a server restart is replaced, not used
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
        "pool_timeout": 30,
        "pool_recycle": 1800,  # under idle-connection timeouts of proxies and poolers
    }


def upsert(
    dialect: str,
    table: sa.Table,
    values: Mapping[str, Any],
    *,
    keys: Sequence[str],
    update: Callable[[Any], Mapping[str, Any]] | Sequence[str],
) -> Any:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` — one atomic statement, so racing
    workers neither fail on the unique key nor lose a write.

    ``update`` names the columns the new row overwrites, or maps the proposed row
    (``excluded``) to the values to set.
    """
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values)
    else:
        raise StoreError(f"unsupported database {dialect!r} (use SQLite or PostgreSQL)")
    new = stmt.excluded
    sets = update(new) if callable(update) else {name: new[name] for name in update}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(sets))
