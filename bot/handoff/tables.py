"""The handoff tables, on the store's metadata; created by migration 0004."""

from __future__ import annotations

import sqlalchemy as sa

from bot.store.tables import metadata

#: One row per handoff: the customer's conversation, its state at the desk, the note.
tickets = sa.Table(
    "handoff_tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("conv_key", sa.String(300), nullable=False, index=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("customer_user", sa.String(128), nullable=False),
    sa.Column("reason", sa.String(128), nullable=False),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("agent", sa.String(128)),
    sa.Column("agent_name", sa.String(256)),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("follow_up", sa.Boolean, nullable=False),
    sa.Column("promised_at", sa.DateTime(timezone=True)),
    sa.Column("desk_refs", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
)
