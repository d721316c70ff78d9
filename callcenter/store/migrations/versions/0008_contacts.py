"""the question log: contacts (registered questions), their change history, referrals

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("caller", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contacts_caller_created", "contacts", ["caller", "created_at"])
    op.create_index("ix_contacts_call", "contacts", ["call_id"])
    op.create_index("ix_contacts_created", "contacts", ["created_at"])
    op.create_table(
        "contact_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_changes_contact", "contact_changes", ["contact_id"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=False),
        sa.Column("to_counter", sa.String(length=64), nullable=True),
        sa.Column("to_partner", sa.String(length=200), nullable=True),
        sa.Column("request", sa.Text(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_referrals_counter_status", "referrals", ["to_counter", "status"])
    op.create_index("ix_referrals_contact", "referrals", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_referrals_contact", "referrals")
    op.drop_index("ix_referrals_counter_status", "referrals")
    op.drop_table("referrals")
    op.drop_index("ix_contact_changes_contact", "contact_changes")
    op.drop_table("contact_changes")
    op.drop_index("ix_contacts_created", "contacts")
    op.drop_index("ix_contacts_call", "contacts")
    op.drop_index("ix_contacts_caller_created", "contacts")
    op.drop_table("contacts")
