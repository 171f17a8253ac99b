"""Grant requests: a service's data needs are asked of the department that keeps the
data, whose officer approves them (with an expiry and a review date) or refuses them.

Grants made before, by the system without expiry, stay in force until the keeping
department reviews them: they get a review date three months from the upgrade, which
its officers see, and no expiry is invented for them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:10:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_grant_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_kind", sa.String(length=8), nullable=False),
        sa.Column("consumer", sa.String(length=96), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=96), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=96), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=96), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_code"],
            ["exchange_dataset.code"],
            name=op.f("fk_exchange_grant_request_dataset_code_exchange_dataset"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_grant_request")),
    )
    with op.batch_alter_table("exchange_grant_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_grant_request_consumer"), ["consumer"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_grant_request_dataset_code"), ["dataset_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_grant_request_status"), ["status"], unique=False
        )
    with op.batch_alter_table("exchange_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_on", sa.Date(), nullable=True))
    review = (datetime.now(UTC) + timedelta(days=90)).date()
    op.execute(
        sa.text(
            "UPDATE exchange_grant SET review_on = :review "
            "WHERE consumer_kind = 'service' AND revoked_at IS NULL"
        ).bindparams(review=review)
    )


def downgrade() -> None:
    with op.batch_alter_table("exchange_grant", schema=None) as batch_op:
        batch_op.drop_column("review_on")
    op.drop_table("exchange_grant_request")
