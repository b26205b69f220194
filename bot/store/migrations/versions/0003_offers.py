"""Offer events: every offer shown, accepted or declined, per offer and language.

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offer_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("offer_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),  # shown | accepted | declined
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_offer_events_customer_offer", "offer_events", ["customer_id", "offer_id"])
    op.create_index("ix_offer_events_offer_id", "offer_events", ["offer_id"])


def downgrade() -> None:
    op.drop_table("offer_events")
