"""Separation reason in the person registry (why an unemployed person left work).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:06:56.267230
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "separation_reason", sa.String(length=16), server_default="none", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_person", schema=None) as batch_op:
        batch_op.drop_column("separation_reason")
