"""Population reads listed publicly: an index over the ledger's ``population`` entries
(whole populations read for a statistical use), so anyone can see which fields were
read, by whom, why, and how many rows, without scanning the ledger.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_population_read",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("consumer", sa.String(length=96), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=96), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_exchange_population_read")),
    )
    with op.batch_alter_table("exchange_population_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_population_read_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_population_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_population_read_at"))
    op.drop_table("exchange_population_read")
