"""a region's municipality with each call and queue visit (the number the caller dialled)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("site", sa.String(length=64), nullable=True))
    with op.batch_alter_table("queue_visits") as batch:
        batch.add_column(sa.Column("site", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue_visits") as batch:
        batch.drop_column("site")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("site")
