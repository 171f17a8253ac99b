"""A salt per case: the key of the case's commitments in the ledger (its facts, a
reviewer's words), kept in the case row and never logged.

Cases made before get a random salt each. Their ledger entries written before keep
the plain hashes they had; every entry from now on is keyed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:30:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("salt", sa.LargeBinary(length=16), nullable=True))
    conn = op.get_bind()
    ids = conn.execute(sa.text("SELECT id FROM case_file")).scalars().all()
    if ids:  # one random salt per case: no SQL function both databases share makes one
        conn.execute(
            sa.text("UPDATE case_file SET salt = :salt WHERE id = :id"),
            [{"id": i, "salt": secrets.token_bytes(16)} for i in ids],
        )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.alter_column("salt", existing_type=sa.LargeBinary(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("salt")
