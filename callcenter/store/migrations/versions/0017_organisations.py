"""a user's organisation, and the organisation of the agent who answered a queue visit (a
joint reception's figures per partner)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("organisation", sa.String(length=128), nullable=True))
    with op.batch_alter_table("queue_visits") as batch:
        batch.add_column(sa.Column("organisation", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue_visits") as batch:
        batch.drop_column("organisation")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("organisation")
