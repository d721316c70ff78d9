"""the consent register of neighbourhood teams, and each call's own social worker

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_callers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("caller", sa.String(length=64), nullable=False, unique=True),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.Column("site", sa.String(length=64), nullable=True),
    )
    op.create_index("ix_known_callers_expires", "known_callers", ["expires_at"])
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("worker_answered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("worker_answered_at")
        batch.drop_column("worker")
    op.drop_index("ix_known_callers_expires", table_name="known_callers")
    op.drop_table("known_callers")
