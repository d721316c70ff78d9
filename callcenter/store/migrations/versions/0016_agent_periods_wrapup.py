"""agents' pauses and after-call work, the wrap-up codes of calls, referrals by phone

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_periods_started", "agent_periods", ["started_at"])
    op.create_table(
        "wrapup_codes",
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("login", sa.String(length=80), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id", "queue", "login"),
    )
    op.create_index("ix_wrapup_codes_chosen", "wrapup_codes", ["chosen_at"])
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(
            sa.Column("by_phone", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("by_phone")
    op.drop_table("wrapup_codes")
    op.drop_table("agent_periods")
