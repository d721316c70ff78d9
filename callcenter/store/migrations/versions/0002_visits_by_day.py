"""queue visits by day over all queues; per-queue questions ask the visits, not the calls

A call can visit two queues (a timeout to the lighthouse): per-queue figures count visits, so
``ix_calls_queue_started`` (the call's last queue) answered no question and only cost writes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_visits") as batch_op:
        batch_op.create_index("ix_visits_joined", ["joined_at"], unique=False)
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_index("ix_calls_queue_started")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.create_index("ix_calls_queue_started", ["final_queue", "started_at"], unique=False)
    with op.batch_alter_table("queue_visits") as batch_op:
        batch_op.drop_index("ix_visits_joined")
