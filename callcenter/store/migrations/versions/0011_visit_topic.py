"""reports at a million calls: each queue visit carries its call's topic (a report's
per-topic queue figures read the visits alone, without joining every visit to its call), and
the calls' start-time index carries what reports group the calls by (read from the index
alone, not from the wide rows)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


ROUTE = ["started_at", "counter", "topic", "digits", "target", "reason", "outcome"]
ROUTE += ["failsafe", "final_queue"]


def upgrade() -> None:
    op.add_column("queue_visits", sa.Column("topic", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE queue_visits SET topic = "
        "(SELECT calls.topic FROM calls WHERE calls.call_id = queue_visits.call_id)"
    )
    op.create_index("ix_calls_started_route", "calls", ROUTE)
    op.drop_index("ix_calls_started_at", "calls")


def downgrade() -> None:
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.drop_index("ix_calls_started_route", "calls")
    with op.batch_alter_table("queue_visits") as batch:
        batch.drop_column("topic")
