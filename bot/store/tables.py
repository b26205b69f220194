"""The database schema (SQLAlchemy Core); changes go through an Alembic migration."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("name", sa.String(256)),
    sa.Column("handle", sa.String(256)),
    sa.Column("language", sa.String(8)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("platform", "user_id", name="uq_customers_platform_user"),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(300), nullable=False, index=True),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("language", sa.String(8)),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), nullable=False, index=True
    ),
    sa.Column("direction", sa.String(8), nullable=False),  # in | out
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("language", sa.String(8)),
    sa.Column("intent", sa.String(128)),
    sa.Column("confidence", sa.Float),
    sa.Column("faq_id", sa.String(128)),
    sa.Column("latency_ms", sa.Float),
    sa.Column("platform_message_id", sa.String(128)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), nullable=False, index=True
    ),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
