"""duty and closures: desk-phone PINs, the rota, handovers, dated closures, interval snapshots

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("pin_hash", sa.String(length=200), nullable=True))
    op.create_table(
        "rota_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rota_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=True),
        sa.Column("ends", sa.String(length=5), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rota_exceptions_day", "rota_exceptions", ["day"])
    op.create_table(
        "duty_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("given_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("ended_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_duty_handovers_open", "duty_handovers", ["ended_at"])
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deleted_by", sa.String(length=80), nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_closures_open", "closures", ["deleted_at", "ends_at"])
    op.create_table(
        "interval_snapshots",
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("answered_within_sl", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("abandoned_short", sa.Integer(), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("callback", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        sa.Column("talk_seconds", sa.Integer(), nullable=False),
        sa.Column("agents_logged_in", sa.Integer(), nullable=True),
        sa.Column("agents_available", sa.Integer(), nullable=True),
        sa.Column("waiting", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("queue", "starts_at"),
    )


def downgrade() -> None:
    op.drop_table("interval_snapshots")
    op.drop_index("ix_closures_open", "closures")
    op.drop_table("closures")
    op.drop_index("ix_duty_handovers_open", "duty_handovers")
    op.drop_table("duty_handovers")
    op.drop_index("ix_rota_exceptions_day", "rota_exceptions")
    op.drop_table("rota_exceptions")
    op.drop_table("rota_shifts")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("pin_hash")
