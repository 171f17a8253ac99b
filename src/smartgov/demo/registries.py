"""The demo city's registries, as the platform sees them: the ``Registries`` that the
setting ``SMARTGOV_REGISTRIES`` names by default. A city writes its own against its
departments' registers (the same six methods, a field list and the keepers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from smartgov.demo import synth
from smartgov.demo.fields import FIELDS
from smartgov.demo.models import Enterprise, Household, Person
from smartgov.exchange.registries import Unit

#: What a person's own entry shows of each member of the household: the household
#: register, as on the booklet every household holds; nobody's income.
MEMBER_FIELDS = ("id", "name", "gender", "birth_date", "relation")

# Case-bound reads ask for one person's household: a statement built once, run on the
# connection, costs a quarter of an ORM query.
_HOUSEHOLD_OF = select(Person.household_id).where(Person.id == bindparam("person"))
_HOUSEHOLDS_OF = select(Person.id, Person.household_id).where(
    Person.id.in_(bindparam("people", expanding=True))
)


class DemoRegistries:
    fields = FIELDS
    keepers: Mapping[str, str] = {
        "people": "public_security",
        "households": "public_security",
        "enterprises": "market_regulation",
    }

    def find(self, session: Session, unit: Unit, identifier: str) -> int | None:
        code = identifier.strip().upper()
        if unit == "enterprise":
            return session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code))
        return session.scalar(select(Person.id).where(Person.resident_id == code))

    def valid_identifier(self, unit: Unit, identifier: str) -> bool:
        code = identifier.strip().upper()
        if unit == "enterprise":  # GB 32100: 17 characters of its charset, a check one
            if len(code) != 18 or any(c not in synth.CREDIT_CHARSET for c in code):
                return False
            body = np.array([[synth.CREDIT_CHARSET.index(c) for c in code[:17]]])
            return bool(synth.credit_code_check(body)[0] == code[17])
        if len(code) != 18 or not code[:17].isdigit():  # GB 11643: 17 digits, a check one
            return False
        digits = np.array([[int(c) for c in code[:17]]], dtype=np.int64)
        return bool(synth.resident_id_check(digits)[0] == code[17])

    def households_of(self, session: Session, people: Sequence[int]) -> dict[int, int]:
        conn = session.connection()
        if len(people) == 1:
            found = conn.execute(_HOUSEHOLD_OF, {"person": people[0]}).scalar()
            return {} if found is None else {people[0]: int(found)}
        rows = conn.execute(_HOUSEHOLDS_OF, {"people": list(people)})
        return {int(person): int(household) for person, household in rows}

    def own_record(self, session: Session, unit: Unit, key: int) -> dict[str, Any] | None:
        if unit == "enterprise":
            enterprise = session.get(Enterprise, key)
            return None if enterprise is None else _columns(enterprise)
        person = session.get(Person, key)
        if person is None:
            return None
        household = session.get(Household, person.household_id)
        others = session.scalars(
            select(Person)
            .where(Person.household_id == person.household_id, Person.id != person.id)
            .order_by(Person.id)
        )
        return {
            "person": _columns(person),
            "household": _columns(household) if household is not None else None,
            "members": [{n: getattr(m, n) for n in MEMBER_FIELDS} for m in others],
        }

    def members(self, session: Session, person: int) -> list[int]:
        household = select(Person.household_id).where(Person.id == person).scalar_subquery()
        query = (
            select(Person.id)
            .where(Person.household_id == household, Person.id != person)
            .order_by(Person.id)
        )
        return list(session.scalars(query))

    def counts(self, session: Session) -> dict[str, int]:
        return {
            "people": session.scalar(select(func.count()).select_from(Person)) or 0,
            "households": session.scalar(select(func.count()).select_from(Household)) or 0,
            "enterprises": session.scalar(select(func.count()).select_from(Enterprise)) or 0,
        }


def _columns(row: Person | Household | Enterprise) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}


REGISTRIES = DemoRegistries()
