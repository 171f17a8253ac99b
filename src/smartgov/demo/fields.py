"""The demo city's registry fields, per unit of decision, and the views that bring
them together: one row per person, per household or per enterprise.

``FIELDS`` is what the demo's services may decide on (``Registries.fields``); the
views are the reference the tests compare the exchange's reads with. The departments'
datasets read the SQL views of the migrations, each department its own columns."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from smartgov.core.i18n import N_
from smartgov.demo.models import Enterprise, Household, Person
from smartgov.exchange.registries import ARROW_TYPES, KEYS, Field, Unit

_GENDER = ("M", "F")
_RELATION = ("head", "spouse", "child", "parent")
_EMPLOYMENT = (
    "preschool", "student", "employed", "self_employed", "unemployed", "retired", "not_working",
)  # fmt: skip
_SEPARATION = ("none", "dismissed", "contract_ended", "bankruptcy", "resigned")
_HOUSING = ("owned", "rented", "public_rental", "other")
_SIZE = ("micro", "small", "medium", "large")
#: Person fields read straight from the person registry; the rest come from the household.
_OWN = (
    "birth_date", "gender", "district_code", "relation", "disability_grade", "employment",
    "separation_reason", "monthly_income", "insurance_months", "receives_old_age_allowance",
    "receives_disability_subsidy",
)  # fmt: skip

#: What the household register holds of a household, read by household services as it
#: is and by person services as ``household_<name>``.
_HOUSEHOLD: dict[str, Field] = {
    "size": Field("integer", "public_security", N_("Household size")),
    "income": Field("number", "taxation", N_("Household monthly income"), sensitivity="sensitive"),
    "savings": Field("number", "civil_affairs", N_("Household savings"), sensitivity="sensitive"),
    "housing": Field("text", "housing", N_("Household housing"), _HOUSING),
    "receives_min_living": Field(
        "boolean", "civil_affairs", N_("Household receives the minimum living allowance")
    ),
}

FIELDS: dict[Unit, dict[str, Field]] = {
    "person": {
        "birth_date": Field("date", "public_security", N_("Date of birth")),
        "gender": Field("text", "public_security", N_("Gender"), _GENDER),
        "district_code": Field("text", "public_security", N_("District")),
        "relation": Field("text", "public_security", N_("Relation to head"), _RELATION),
        "disability_grade": Field(
            "integer", "civil_affairs", N_("Disability grade"), sensitivity="sensitive"
        ),
        "employment": Field("text", "hrss", N_("Employment"), _EMPLOYMENT),
        "separation_reason": Field("text", "hrss", N_("Reason for leaving work"), _SEPARATION),
        "monthly_income": Field(
            "number", "taxation", N_("Monthly income"), sensitivity="sensitive"
        ),
        "insurance_months": Field("integer", "hrss", N_("Unemployment insurance months")),
        "receives_old_age_allowance": Field(
            "boolean", "civil_affairs", N_("Receives the old-age allowance")
        ),
        "receives_disability_subsidy": Field(
            "boolean", "civil_affairs", N_("Receives the disability subsidy")
        ),
        # A person's household, as the household register has it (see _HOUSEHOLD).
        **{f"household_{name}": field for name, field in _HOUSEHOLD.items()},
    },
    "household": {
        "district_code": Field("text", "public_security", N_("District")),
        **_HOUSEHOLD,
        "head_birth_date": Field("date", "public_security", N_("Head's date of birth")),
        "head_gender": Field("text", "public_security", N_("Head's gender"), _GENDER),
        "disabled_members": Field(
            "integer", "civil_affairs", N_("Members with a disability"), sensitivity="sensitive"
        ),
    },
    "enterprise": {
        "district_code": Field("text", "market_regulation", N_("District"), sensitivity="public"),
        "industry": Field("text", "market_regulation", N_("Industry"), sensitivity="public"),
        "size": Field(
            "text", "market_regulation", N_("Enterprise size"), _SIZE, sensitivity="public"
        ),
        "employees": Field("integer", "hrss", N_("Employees insured")),
        "founded_on": Field("date", "market_regulation", N_("Date founded"), sensitivity="public"),
        "registered_capital": Field(
            "number", "market_regulation", N_("Registered capital"), sensitivity="public"
        ),
        "status": Field(
            "text",
            "market_regulation",
            N_("Status"),
            ("active", "deregistered"),
            sensitivity="public",
        ),
    },
}


def _household_totals() -> Any:
    return (
        select(
            Person.household_id.label("household_id"),
            func.sum(Person.monthly_income).label("income"),
            func.sum(case((Person.disability_grade > 0, 1), else_=0)).label("disabled_members"),
        )
        .group_by(Person.household_id)
        .subquery()
    )


def view(unit: Unit) -> Select[Any]:
    """One row per unit with every field of the catalogue, keyed by ``KEYS[unit]``."""
    if unit == "person":
        totals = _household_totals()
        return (
            select(
                Person.id.label("person_id"),
                *(getattr(Person, name) for name in _OWN),
                Household.size.label("household_size"),
                totals.c.income.label("household_income"),
                Household.savings.label("household_savings"),
                Household.housing.label("household_housing"),
                Household.receives_min_living.label("household_receives_min_living"),
            )
            .join(Household, Household.id == Person.household_id)
            .join(totals, totals.c.household_id == Person.household_id)
        )
    if unit == "household":
        totals = _household_totals()
        head = aliased(Person)
        return (
            select(
                Household.id.label("household_id"),
                Household.district_code,
                Household.size,
                totals.c.income,
                Household.savings,
                Household.housing,
                Household.receives_min_living,
                head.birth_date.label("head_birth_date"),
                head.gender.label("head_gender"),
                totals.c.disabled_members,
            )
            .join(totals, totals.c.household_id == Household.id)
            .join(head, (head.household_id == Household.id) & (head.relation == "head"))
        )
    return select(
        Enterprise.id.label("enterprise_id"),
        *(getattr(Enterprise, name) for name in FIELDS["enterprise"]),
    )


def schema(unit: Unit) -> pa.Schema:
    key = pa.field(KEYS[unit], pa.int64(), nullable=False)
    return pa.schema([key, *(pa.field(n, ARROW_TYPES[f.type]) for n, f in FIELDS[unit].items())])


def population(session: Session, unit: Unit) -> pa.Table:
    """The whole view as an Arrow table; the database does the joins and sums."""
    result = session.execute(view(unit).order_by(KEYS[unit]))
    rows = result.all()
    target = schema(unit)
    if not rows:
        return target.empty_table()
    columns = list(zip(*rows, strict=True))
    return pa.table(
        [pa.array(col, type=f.type) for col, f in zip(columns, target, strict=True)],
        schema=target,
    )


def subject_facts(session: Session, unit: Unit, key: int) -> dict[str, Any] | None:
    """One row of the view as a dict, or None when there is no such subject."""
    key_column = view(unit).selected_columns[KEYS[unit]]
    row = session.execute(view(unit).where(key_column == key)).mappings().first()
    if row is None:
        return None
    facts = dict(row)
    for name, f in FIELDS[unit].items():
        if f.type == "number" and facts[name] is not None:
            facts[name] = float(facts[name])
        if f.type == "date" and isinstance(facts[name], str):
            facts[name] = date.fromisoformat(facts[name])
    return facts
