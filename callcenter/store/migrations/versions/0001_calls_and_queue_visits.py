"""calls and queue visits

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("caller", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digits", sa.String(length=8), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("counter", sa.String(length=64), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=True),
        sa.Column("target_queue", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("next_open", sa.DateTime(timezone=True), nullable=True),
        sa.Column("route_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redirected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failsafe", sa.Boolean(), nullable=False),
        sa.Column("final_queue", sa.String(length=80), nullable=True),
        sa.Column("answered_by", sa.String(length=128), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_reason", sa.String(length=200), nullable=True),
        sa.Column("legs", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_caller_started", ["caller", "started_at"], unique=False)
        batch_op.create_index("ix_calls_open", ["outcome", "started_at"], unique=False)
        batch_op.create_index("ix_calls_queue_started", ["final_queue", "started_at"], unique=False)
        batch_op.create_index("ix_calls_started_at", ["started_at"], unique=False)

    op.create_table(
        "queue_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("agents_rung", sa.Integer(), nullable=False),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("ended_by", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.call_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_call", ["call_id", "seq"], unique=True)
        batch_op.create_index("ix_visits_queue_joined", ["queue", "joined_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_queue_joined")
        batch_op.drop_index("ix_visits_call")

    op.drop_table("queue_visits")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_started_at")
        batch_op.drop_index("ix_calls_queue_started")
        batch_op.drop_index("ix_calls_open")
        batch_op.drop_index("ix_calls_caller_started")

    op.drop_table("calls")
