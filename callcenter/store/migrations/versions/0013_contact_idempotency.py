"""a registration's idempotency key: the same form or API request sent twice is one
registration

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ux_contacts_author_key", "contacts", ["author", "idempotency_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_contacts_author_key", "contacts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("idempotency_key")
