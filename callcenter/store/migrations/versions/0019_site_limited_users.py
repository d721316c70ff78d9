"""the municipalities a user is limited to (a region), and each registration's municipality

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("sites", sa.String(length=400), nullable=False, server_default="")
        )
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("site", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("site")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sites")
