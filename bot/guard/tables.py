"""The guard's tables, on the store's metadata; created by migration 0002."""

from __future__ import annotations

import sqlalchemy as sa

from bot.store.tables import metadata

#: Customers flagged for abuse or threats, with the reason and the messages.
guard_flags = sa.Table(
    "guard_flags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # abuse | threat
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("messages", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

#: One row per conversation the guard has seen: how it went, for customer types.
guard_moods = sa.Table(
    "guard_moods",
    metadata,
    sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("peak", sa.Float, nullable=False),
    sa.Column("strikes", sa.Integer, nullable=False),
    sa.Column("threats", sa.Integer, nullable=False),
    sa.Column("thanked", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

#: The customer type, kept on the customer for agents.
guard_customers = sa.Table(
    "guard_customers",
    metadata,
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
