"""A ledger entry is its position and its body: the kind and the leaf hash, both
derived from the body, are no longer stored, and the time moves into the body, where
the tree covers it. Entries appended before keep their stored time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:30:00
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

# RFC 9162's leaf hash, fixed by the standard; the standalone verifier's own.
from smartgov.ledger.verify import leaf_hash

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_column("kind")
        batch_op.drop_column("leaf")
        batch_op.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("leaf", sa.LargeBinary(length=32), nullable=True))
    # The old columns are computed back from each body, a chunk at a time.
    conn = op.get_bind()
    table = sa.table(
        "ledger_entry",
        sa.column("seq", sa.Integer()),
        sa.column("body", sa.Text()),
        sa.column("kind", sa.String()),
        sa.column("leaf", sa.LargeBinary()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    start = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.seq, table.c.body, table.c.created_at)
            .where(table.c.seq >= start)
            .order_by(table.c.seq)
            .limit(10_000)
        ).all()
        if not rows:
            break
        conn.execute(
            table.update()
            .where(table.c.seq == sa.bindparam("at"))
            .values(kind=sa.bindparam("k"), leaf=sa.bindparam("h"), created_at=sa.bindparam("t")),
            [_old_columns(seq, body, created_at) for seq, body, created_at in rows],
        )
        start = rows[-1][0] + 1
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("leaf", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch_op.alter_column(
            "created_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def _old_columns(seq: int, body: str, created_at: datetime | None) -> dict[str, object]:
    record = json.loads(body)
    return {
        "at": seq,
        "k": str(record.get("kind", ""))[:32],
        "h": leaf_hash(body.encode()),
        "t": created_at or datetime.fromisoformat(record["time"]),
    }
