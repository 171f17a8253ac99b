"""The demo city: its districts and departments, and a synthetic population written
into its registers in one transaction. Nothing here runs in production."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Table, delete, select
from sqlalchemy.orm import Session

from smartgov.core.db import write_rows
from smartgov.core.errors import Conflict
from smartgov.core.i18n import N_
from smartgov.core.models import Department, District
from smartgov.core.settings import Settings
from smartgov.demo import synth
from smartgov.demo.models import Enterprise, Household, Person
from smartgov.demo.registries import REGISTRIES

HOUSEHOLD_COLUMNS = ["id", "district_code", "size", "housing", "savings", "receives_min_living"]


@dataclass
class CityReport:
    people: int
    households: int
    enterprises: int
    seconds: float

    @property
    def people_per_second(self) -> float:
        return self.people / self.seconds if self.seconds else 0.0


def seed_organisation(session: Session) -> None:
    """Districts and departments of the demo city; safe to run again."""
    for code, zh, en, _weight in synth.DISTRICTS:
        session.merge(District(code=code, name_zh=zh, name_en=en))
    for code, zh, en in synth.DEPARTMENTS:
        session.merge(Department(code=code, name_zh=zh, name_en=en))
    session.flush()


def _as_python(values: np.ndarray[Any, Any]) -> list[Any]:
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[D]").astype(str).tolist()  # type: ignore[no-any-return]
    return values.tolist()  # type: ignore[no-any-return]


def _writer(conn: Connection) -> Callable[[Table, dict[str, np.ndarray[Any, Any]]], None]:
    def write(table: Table, columns: dict[str, np.ndarray[Any, Any]]) -> None:
        names = list(columns)
        rows = zip(*(_as_python(columns[c]) for c in names), strict=True)
        write_rows(conn, table.name, names, rows)

    return write


def generate(
    engine: Engine,
    *,
    people: int,
    enterprises: int,
    seed: int,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> CityReport:
    """Write a synthetic city in one transaction: a crash leaves the old state intact."""
    started = time.perf_counter()
    with engine.begin() as conn, Session(bind=conn) as session:
        seed_organisation(session)
        existing = REGISTRIES.counts(session)
        if any(existing.values()):
            if not replace:
                raise Conflict(
                    N_("The registries already hold a city; use --replace to overwrite it.")
                )
            for model in (Person, Household, Enterprise):
                session.execute(delete(model))
        session.flush()
        districts = [d[0] for d in synth.DISTRICTS]
        plan = synth.CityPlan(people=people, enterprises=enterprises, seed=seed)
        write = _writer(conn)
        households = written = 0
        for chunk in synth.people_chunks(plan, districts):
            hh = {c: chunk[f"household.{c}"] for c in HOUSEHOLD_COLUMNS}
            write(Household.__table__, hh)  # type: ignore[arg-type]
            person = {k: v for k, v in chunk.items() if not k.startswith("household.")}
            write(Person.__table__, person)  # type: ignore[arg-type]
            households += len(hh["id"])
            written += len(person["id"])
            if progress:
                progress(written, people)
        for chunk in synth.enterprise_chunks(plan, districts):
            write(Enterprise.__table__, chunk)  # type: ignore[arg-type]
    return CityReport(written, households, enterprises, time.perf_counter() - started)


def first_subjects(session: Session) -> tuple[int | None, int | None]:
    """A working-age household head with children, and an active enterprise."""
    person_id = session.scalar(
        select(Person.id)
        .join(Household, Household.id == Person.household_id)
        .where(Person.relation == "head", Household.size >= 3, Person.employment == "employed")
        .order_by(Person.id)
        .limit(1)
    )
    enterprise_id = session.scalar(
        select(Enterprise.id).where(Enterprise.status == "active").order_by(Enterprise.id).limit(1)
    )
    return person_id, enterprise_id


def identifiers(session: Session, unit: str) -> list[str]:
    """Every resident ID (people) or credit code (enterprises): for the demo's made-up
    past, which applies at the counter for people drawn from the registries."""
    if unit == "enterprise":
        return list(session.scalars(select(Enterprise.credit_code).order_by(Enterprise.id)))
    return list(session.scalars(select(Person.resident_id).order_by(Person.id)))


def qualifying(session: Session, settings: Settings) -> dict[str, set[int]]:
    """Who qualifies for each published service of persons or households today, as
    person ids (a household's head stands for it). For picking the demo's accounts:
    the demo reads its own made-up registers here, as the city that generated them,
    not through the exchange, so these reads are in no ledger."""
    from smartgov.core.clock import today
    from smartgov.demo import fields
    from smartgov.rules import service as rules

    heads = dict(session.execute(
        select(Person.household_id, Person.id).where(Person.relation == "head")
    ).tuples().all())  # fmt: skip
    found: dict[str, set[int]] = {}
    data = {unit: fields.population(session, unit) for unit in ("person", "household")}
    for service_id, service in rules.services(settings).services.items():
        unit = service.definition.unit
        if unit not in data:
            continue
        key = "person_id" if unit == "person" else "household_id"
        decided = rules.evaluate_population(service, data[unit], on=today(), keep=[key],
                                            trace=False)  # fmt: skip
        keys = [k for k, outcome in zip(decided[key].to_pylist(),
                                        decided["outcome"].to_pylist(), strict=True)
                if outcome == "eligible"]  # fmt: skip
        found[service_id] = (
            set(keys) if unit == "person" else {heads[k] for k in keys if k in heads}
        )
    return found


def resident_ids(session: Session, people: list[int]) -> dict[int, str]:
    """The resident ID numbers of these people, by person id."""
    rows = session.execute(select(Person.id, Person.resident_id).where(Person.id.in_(people)))
    return dict(rows.tuples().all())
