"""The guard: flags, per-conversation moods, customer types.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guard_flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("messages", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_guard_flags_customer_id", "guard_flags", ["customer_id"])
    op.create_table(
        "guard_moods",
        sa.Column(
            "conversation_id", sa.Integer, sa.ForeignKey("conversations.id"), primary_key=True
        ),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("peak", sa.Float, nullable=False),
        sa.Column("strikes", sa.Integer, nullable=False),
        sa.Column("threats", sa.Integer, nullable=False),
        sa.Column("thanked", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_guard_moods_customer_id", "guard_moods", ["customer_id"])
    op.create_table(
        "guard_customers",
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("guard_customers")
    op.drop_table("guard_moods")
    op.drop_index("ix_guard_flags_customer_id", "guard_flags")
    op.drop_table("guard_flags")
