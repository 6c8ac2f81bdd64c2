"""Logged shortlists: each shortlist records the policy it was drawn under, each item its inclusion probability.

Without these an outcome cannot be weighed by how likely its company was to be looked at, and the learning loop
can only ever confirm what the model already ranks high (docs/learning-loop.md). Shortlists made before this
revision were all deterministic top-k lists, so their rows get policy ``top_k``, π = 1 and "not explored": that is
what they were, not a guess.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("shortlists") as batch:
        batch.add_column(sa.Column("policy", sa.String(length=16), nullable=False, server_default="top_k"))
        batch.add_column(sa.Column("epsilon", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("pool", sa.Integer(), nullable=False, server_default="4"))
        batch.add_column(sa.Column("draw_seed", sa.String(length=32), nullable=True))
    with op.batch_alter_table("shortlist_items") as batch:
        batch.add_column(sa.Column("inclusion_probability", sa.Float(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("explored", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("shortlist_items") as batch:
        batch.drop_column("explored")
        batch.drop_column("inclusion_probability")
    with op.batch_alter_table("shortlists") as batch:
        batch.drop_column("draw_seed")
        batch.drop_column("pool")
        batch.drop_column("epsilon")
        batch.drop_column("policy")
