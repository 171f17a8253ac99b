"""Declared registry sources: the tables, views and files an administrator names as a
department's registry, the only places a dataset's provider may read.

Datasets registered before keep working when their source is plainly a registry (a
file, or a ``registry_*`` view other than the demo city's raw tables): those sources
are declared for the dataset's department. Any other source (the platform's own
tables included) is left undeclared, so its dataset stops being readable until an
administrator declares it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 22:10:00
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RAW_TABLES = {"registry_person", "registry_household", "registry_enterprise"}


def upgrade() -> None:
    op.create_table(
        "exchange_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=400), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("declared_by", sa.String(length=96), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["department.code"],
            name=op.f("fk_exchange_source_department_code_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_source")),
        sa.UniqueConstraint("kind", "name", "url", name=op.f("uq_exchange_source_kind")),
    )
    with op.batch_alter_table("exchange_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_source_department_code"), ["department_code"], unique=False
        )
    conn = op.get_bind()
    seen: set[tuple[str, str, str]] = set()
    rows = conn.execute(sa.text("SELECT department_code, provider FROM exchange_dataset"))
    for department, provider in rows:
        spec = provider if isinstance(provider, dict) else json.loads(provider)
        kind = str(spec.get("kind"))
        name = str(spec.get("table") if kind == "sql" else spec.get("path"))
        plain = kind == "file" or (
            kind == "sql" and name.startswith("registry_") and name not in RAW_TABLES
        )
        key = (kind, name, str(spec.get("url") or ""))
        if not plain or key in seen:
            continue
        seen.add(key)
        conn.execute(
            sa.text(
                "INSERT INTO exchange_source (kind, name, url, department_code, declared_by, "
                "declared_at) VALUES (:kind, :name, :url, :department, 'migration 0007', :at)"
            ),
            {"kind": kind, "name": name, "url": key[2], "department": department,
             "at": datetime.now(UTC)},
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("exchange_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_source_department_code"))
    op.drop_table("exchange_source")
