"""Four eyes on access and on labels: pending grants of analysts' access, confirmations of feedback, and an index.

``user_grants`` holds an admin's request for a new analyst or wider regions until a second person approves it;
``feedback_reviews`` holds the second user's confirmation an outcome needs before it is exported as a label; the
index on ``feedback (user_id, created_at)`` serves the per-user feedback limit.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "user_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_user_grants_name"), "user_grants", ["name"], unique=False)
    op.create_index(op.f("ix_user_grants_state"), "user_grants", ["state"], unique=False)
    op.create_table(
        "feedback_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("case_reference", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_feedback_reviews_feedback_id"), "feedback_reviews", ["feedback_id"], unique=False)
    op.create_index("ux_feedback_reviews_feedback_user", "feedback_reviews", ["feedback_id", "user_id"], unique=True)
    op.create_index("ix_feedback_user_created", "feedback", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_feedback_user_created", table_name="feedback")
    op.drop_index("ux_feedback_reviews_feedback_user", table_name="feedback_reviews")
    op.drop_index(op.f("ix_feedback_reviews_feedback_id"), table_name="feedback_reviews")
    op.drop_table("feedback_reviews")
    op.drop_index(op.f("ix_user_grants_state"), table_name="user_grants")
    op.drop_index(op.f("ix_user_grants_name"), table_name="user_grants")
    op.drop_table("user_grants")
