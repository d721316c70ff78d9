"""queued callbacks' stand-ins in the queues, their own line in the reports (for Asterisk
they are visits; for Vuurtoren no calls)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_stand_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callback_stand_ins_joined", "callback_stand_ins", ["joined_at"])


def downgrade() -> None:
    op.drop_index("ix_callback_stand_ins_joined", "callback_stand_ins")
    op.drop_table("callback_stand_ins")
