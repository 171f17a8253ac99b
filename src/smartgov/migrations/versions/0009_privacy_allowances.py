"""Privacy allowances: the part of a dataset's privacy budget its keeping department
hands to a role or an account outside it. Only the department's own officers spend the
rest; nobody else spends a department's budget.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_privacy_allowance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("spent", sa.Float(), nullable=False),
        sa.Column("given_by", sa.String(length=96), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_code"],
            ["exchange_dataset.code"],
            name=op.f("fk_exchange_privacy_allowance_dataset_code_exchange_dataset"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_privacy_allowance")),
    )
    with op.batch_alter_table("exchange_privacy_allowance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_privacy_allowance_dataset_code"), ["dataset_code"], unique=False
        )


def downgrade() -> None:
    op.drop_table("exchange_privacy_allowance")
