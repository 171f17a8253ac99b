"""The transparency ledger: entries, subtree hashes, the head and signed checkpoints.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entry",
        sa.Column("seq", POSITION, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("leaf", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entry")),
    )
    op.create_index(op.f("ix_ledger_entry_kind"), "ledger_entry", ["kind"], unique=False)
    op.create_table(
        "ledger_node",
        sa.Column("node", POSITION, autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("node", name=op.f("pk_ledger_node")),
    )
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0}])
    op.create_table(
        "ledger_checkpoint",
        sa.Column("size", POSITION, autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_ledger_checkpoint")),
    )


def downgrade() -> None:
    op.drop_table("ledger_checkpoint")
    op.drop_table("ledger_head")
    op.drop_table("ledger_node")
    op.drop_index(op.f("ix_ledger_entry_kind"), table_name="ledger_entry")
    op.drop_table("ledger_entry")
