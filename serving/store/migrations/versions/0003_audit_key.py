"""The audit key (issue 21): every record and the head carry an HMAC under a key the database never holds.

Records written before this revision keep their hash (layout 1: the API key id was not recorded yet) and are
sealed here with the current audit key, after their chain has been checked: they were only hash-chained until
now, so sealing adds the key's protection from this moment on, and a chain already broken is left unsealed,
where ``verify`` keeps showing the break.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from serving.auditkey import head_message, keyring, record_message

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("key_id", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("layout", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("signer", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("signer", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=False, server_default=""))
    _seal(op.get_bind())


def _seal(connection: sa.Connection) -> None:
    """Sign the records already there, in order, as long as each links to the one before."""
    log = sa.table("audit_log", sa.column("seq"), sa.column("prev_hash"), sa.column("hash"),
                   sa.column("signer"), sa.column("mac"))  # fmt: skip
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"), sa.column("anchor_seq"),
                    sa.column("anchor_hash"), sa.column("signer"), sa.column("mac"))  # fmt: skip
    found = connection.execute(sa.select(head.c.seq, head.c.hash, head.c.anchor_seq, head.c.anchor_hash)).first()
    if found is None:
        return
    ring = keyring()
    previous = found.anchor_hash
    for row in connection.execute(sa.select(log.c.seq, log.c.prev_hash, log.c.hash).order_by(log.c.seq)).all():
        if row.prev_hash != previous:
            return  # broken: leave the rest (and the head) unsealed, so that verify still shows where
        signer, mac = ring.sign(record_message(row.hash))
        connection.execute(sa.update(log).where(log.c.seq == row.seq).values(signer=signer, mac=mac))
        previous = row.hash
    if previous == found.hash:
        signer, mac = ring.sign(head_message(found.seq, found.hash, found.anchor_seq, found.anchor_hash))
        connection.execute(sa.update(head).values(signer=signer, mac=mac))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("mac")
        batch.drop_column("signer")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("mac")
        batch.drop_column("signer")
        batch.drop_column("layout")
        batch.drop_column("key_id")
