"""The inbox and the outbox, on the store's metadata; created by migration 0005."""

from __future__ import annotations

import sqlalchemy as sa

from bot.store.tables import metadata

#: Customer messages as they arrive, before the turn runs: ``pending`` → ``done``
#: (or ``failed`` after too many tries). ``event`` is the platform's id, unique,
#: so a re-delivery is recognised by any worker.
inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event", sa.String(200), nullable=False, unique=True),
    sa.Column("conv_key", sa.String(300), nullable=False, index=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("tries", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done_at", sa.DateTime(timezone=True)),
)

#: Platform messages to send, in ``id`` order per conversation: ``queued`` →
#: ``sent``, or ``dead`` (the dead letters) after the last try.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conv_key", sa.String(300), nullable=False, index=True),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("message", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("tries", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)
