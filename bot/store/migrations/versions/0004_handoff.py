"""Handoff tickets: one per handoff, with its desk state and summary note.

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("conv_key", sa.String(300), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("customer_user", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(128), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        # queued | claimed | returned | resolved
        sa.Column("status", sa.String(16), nullable=False),
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
    op.create_index("ix_handoff_tickets_conv_key", "handoff_tickets", ["conv_key"])
    op.create_index("ix_handoff_tickets_status", "handoff_tickets", ["status"])


def downgrade() -> None:
    op.drop_table("handoff_tickets")
