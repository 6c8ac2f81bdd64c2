"""Following companies: watches, alerts, a company index on signals and each batch's previous batch.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("previous_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("change", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_signals_company", "signals", ["company_id", "batch_id"], unique=False)
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("case_reference", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewals", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_watches_user_id"), "watches", ["user_id"], unique=False)
    op.create_index(op.f("ix_watches_company_id"), "watches", ["company_id"], unique=False)
    op.create_index(op.f("ix_watches_expires_at"), "watches", ["expires_at"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("previous_batch_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["watch_id"], ["watches.id"]),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_alerts_watch_id"), "alerts", ["watch_id"], unique=False)
    op.create_index(op.f("ix_alerts_batch_id"), "alerts", ["batch_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_alerts_batch_id"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_watch_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index(op.f("ix_watches_expires_at"), table_name="watches")
    op.drop_index(op.f("ix_watches_company_id"), table_name="watches")
    op.drop_index(op.f("ix_watches_user_id"), table_name="watches")
    op.drop_table("watches")
    op.drop_index("ix_signals_company", table_name="signals")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("pruned_at")
        batch.drop_column("change")
        batch.drop_column("previous_id")
