"""The data exchange: catalogue, grants, access index, privacy spending, and one view
per department and unit through which the demo city's registries are served; the
ledger's unused index on the entry kind goes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Each department sees its own columns only. Household figures come from correlated
# subqueries so that reading one subject touches that household's rows, not all rows.
VIEWS = {
    "registry_public_security_people": """
        SELECT p.id AS person_id, p.resident_id, p.name, p.birth_date, p.gender,
               p.district_code, p.relation, h.size AS household_size
        FROM registry_person p JOIN registry_household h ON h.id = p.household_id""",
    "registry_civil_affairs_people": """
        SELECT p.id AS person_id, p.disability_grade, p.receives_old_age_allowance,
               p.receives_disability_subsidy, h.savings AS household_savings,
               h.receives_min_living AS household_receives_min_living
        FROM registry_person p JOIN registry_household h ON h.id = p.household_id""",
    "registry_hrss_people": """
        SELECT p.id AS person_id, p.employment, p.separation_reason, p.insurance_months
        FROM registry_person p""",
    "registry_taxation_people": """
        SELECT p.id AS person_id, p.monthly_income,
               (SELECT SUM(m.monthly_income) FROM registry_person m
                WHERE m.household_id = p.household_id) AS household_income
        FROM registry_person p""",
    "registry_housing_people": """
        SELECT p.id AS person_id, h.housing AS household_housing
        FROM registry_person p JOIN registry_household h ON h.id = p.household_id""",
    "registry_public_security_households": """
        SELECT h.id AS household_id, h.district_code, h.size,
               (SELECT MIN(m.birth_date) FROM registry_person m
                WHERE m.household_id = h.id AND m.relation = 'head') AS head_birth_date,
               (SELECT MIN(m.gender) FROM registry_person m
                WHERE m.household_id = h.id AND m.relation = 'head') AS head_gender
        FROM registry_household h""",
    "registry_civil_affairs_households": """
        SELECT h.id AS household_id, h.savings, h.receives_min_living,
               (SELECT COUNT(*) FROM registry_person m
                WHERE m.household_id = h.id AND m.disability_grade > 0) AS disabled_members
        FROM registry_household h""",
    "registry_taxation_households": """
        SELECT h.id AS household_id,
               (SELECT SUM(m.monthly_income) FROM registry_person m
                WHERE m.household_id = h.id) AS income
        FROM registry_household h""",
    "registry_housing_households": """
        SELECT h.id AS household_id, h.housing FROM registry_household h""",
    "registry_market_regulation_enterprises": """
        SELECT e.id AS enterprise_id, e.credit_code, e.name, e.district_code, e.industry,
               e.size, e.founded_on, e.registered_capital, e.status
        FROM registry_enterprise e""",
    "registry_hrss_enterprises": """
        SELECT e.id AS enterprise_id, e.employees FROM registry_enterprise e""",
}


def upgrade() -> None:
    # Nothing looks entries up by kind; the index only slowed every append.
    op.drop_index("ix_ledger_entry_kind", table_name="ledger_entry")
    op.create_table(
        "exchange_dataset",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("title_zh", sa.String(length=120), nullable=False),
        sa.Column("title_en", sa.String(length=160), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.JSON(), nullable=False),
        sa.Column("privacy_budget", sa.Float(), nullable=False),
        sa.Column("privacy_spent", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["department.code"],
            name=op.f("fk_exchange_dataset_department_code_department"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_exchange_dataset")),
    )
    op.create_index(
        op.f("ix_exchange_dataset_department_code"), "exchange_dataset", ["department_code"]
    )
    op.create_table(
        "exchange_dataset_field",
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("sensitivity", sa.String(length=16), nullable=False),
        sa.Column("identifier", sa.Boolean(), nullable=False),
        sa.Column("label_zh", sa.String(length=120), nullable=False),
        sa.Column("label_en", sa.String(length=160), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_code"],
            ["exchange_dataset.code"],
            name=op.f("fk_exchange_dataset_field_dataset_code_exchange_dataset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_code", "name", name=op.f("pk_exchange_dataset_field")),
    )
    op.create_table(
        "exchange_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_kind", sa.String(length=8), nullable=False),
        sa.Column("consumer", sa.String(length=96), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=96), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("identified", sa.Boolean(), nullable=False),
        sa.Column("reveal", sa.Boolean(), nullable=False),
        sa.Column("may_hold", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=96), nullable=True),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_code"],
            ["exchange_dataset.code"],
            name=op.f("fk_exchange_grant_dataset_code_exchange_dataset"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_grant")),
    )
    op.create_index(op.f("ix_exchange_grant_consumer"), "exchange_grant", ["consumer"])
    op.create_index(op.f("ix_exchange_grant_dataset_code"), "exchange_grant", ["dataset_code"])
    op.create_table(
        "exchange_access",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("consumer_kind", sa.String(length=8), nullable=False),
        sa.Column("consumer", sa.String(length=96), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=96), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("hold_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_exchange_access")),
    )
    op.create_index(op.f("ix_exchange_access_subject"), "exchange_access", ["subject"])
    op.create_table(
        "exchange_privacy_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("statistic", sa.String(length=96), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_code"],
            ["exchange_dataset.code"],
            name=op.f("fk_exchange_privacy_spend_dataset_code_exchange_dataset"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_privacy_spend")),
    )
    op.create_index(
        op.f("ix_exchange_privacy_spend_dataset_code"),
        "exchange_privacy_spend",
        ["dataset_code"],
    )
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {body}")


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW {name}")
    op.drop_index(op.f("ix_exchange_privacy_spend_dataset_code"), "exchange_privacy_spend")
    op.drop_table("exchange_privacy_spend")
    op.drop_index(op.f("ix_exchange_access_subject"), "exchange_access")
    op.drop_table("exchange_access")
    op.drop_index(op.f("ix_exchange_grant_dataset_code"), "exchange_grant")
    op.drop_index(op.f("ix_exchange_grant_consumer"), "exchange_grant")
    op.drop_table("exchange_grant")
    op.drop_table("exchange_dataset_field")
    op.drop_index(op.f("ix_exchange_dataset_department_code"), "exchange_dataset")
    op.drop_table("exchange_dataset")
    op.create_index("ix_ledger_entry_kind", "ledger_entry", ["kind"], unique=False)
