"""Purpose-bound reads through the catalogue's providers: what is returned, what is
refused and why, and that both are recorded in the ledger for the citizen to see."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.clock import now, today
from smartgov.core.db import transaction
from smartgov.core.errors import Conflict, Forbidden, Invalid
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo import fields, publish
from smartgov.demo.models import Person
from smartgov.exchange import catalogue, grants, sources
from smartgov.exchange import service as exchange
from smartgov.exchange.models import Access, Grant
from smartgov.exchange.schemas import DatasetIn, GrantIn
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules
from tests.conftest import grant_service

SERVICE = exchange.Consumer.service


def all_fields_grant(session: Session, unit: str) -> str:
    """A throwaway service allowed every field of a unit; its purpose."""
    name = f"test-all-{unit}"
    grant_service(
        session, service=name, unit=unit, fields=list(fields.FIELDS[unit]),  # type: ignore[index]
        purpose=f"decision:{name}", legal_basis="test",
    )  # fmt: skip
    return name


def read(session: Session, settings: Settings, service: str, subject: Any, names: list[str],
         purpose: str | None = None, **extra: Any) -> exchange.Fetched:  # fmt: skip
    return exchange.fetch(
        session, settings, consumer=SERVICE(service), subject=subject, fields=names,
        purpose=f"decision:{service}" if purpose is None else purpose, **extra,
    )  # fmt: skip


def test_it_registers_one_dataset_per_department_and_unit(session: Session) -> None:
    demo = {d.code for d in publish.datasets()}
    found = {d.code: d for d in catalogue.datasets(session) if d.code in demo}
    assert "taxation.people" in found and "market_regulation.enterprises" in found
    departments = {f.department for unit in fields.FIELDS.values() for f in unit.values()}
    assert {d.department_code for d in found.values()} == departments
    # Each department is its own provider: its own view, no two datasets share one.
    tables = [d.provider["table"] for d in found.values() if d.provider["kind"] == "sql"]
    assert len(tables) == len(set(tables)) == len(found)


@pytest.mark.parametrize("unit", ["person", "household", "enterprise"])
def test_it_reads_the_same_facts_as_the_registry_views(
    session: Session, settings: Settings, unit: str
) -> None:
    name = all_fields_grant(session, unit)
    keys = session.execute(fields.view(unit).limit(25)).scalars().all()  # type: ignore[arg-type]
    for key in keys:
        got = read(session, settings, name, exchange.Subject(unit, key), list(fields.FIELDS[unit]))  # type: ignore[index]
        expected = fields.subject_facts(session, unit, key)  # type: ignore[arg-type]
        assert expected is not None
        expected.pop(fields.KEYS[unit])  # type: ignore[index]
        assert got.values == expected


def test_it_records_each_read_in_the_ledger_with_a_pseudonym(
    session: Session, settings: Settings
) -> None:
    name = all_fields_grant(session, "person")
    got = read(session, settings, name, exchange.Subject("person", 3), ["birth_date"], case="c-1")
    entry = ledger.entry(session, got.seq)
    assert entry is not None and entry.kind == "access"
    assert '"outcome":"granted"' in entry.body and '"case":"c-1"' in entry.body
    assert '"person:3"' not in entry.body and got.subject in entry.body
    assert session.get(Access, got.seq) is not None


def test_it_reads_only_what_the_service_grant_covers(session: Session, settings: Settings) -> None:
    allowance = rules.get_service(settings, "old-age-allowance")
    purpose = rules.purpose_of(allowance)
    subject = exchange.Subject("person", 5)
    got = read(session, settings, "old-age-allowance", subject, ["birth_date"], purpose)
    assert set(got.values) == {"birth_date"}
    with pytest.raises(exchange.Refused) as refused:
        read(session, settings, "old-age-allowance", subject, ["birth_date", "monthly_income"],
             purpose)  # fmt: skip
    assert refused.value.status == 403
    assert [f.field for f in refused.value.fields] == ["monthly_income"]
    assert "monthly_income" in refused.value.fields[0].text()
    # The same fields for another purpose: refused too.
    with pytest.raises(exchange.Refused):
        read(session, settings, "old-age-allowance", subject, ["birth_date"], "marketing")


def test_it_refuses_without_purpose_unknown_fields_and_unknown_subjects(
    session: Session, settings: Settings
) -> None:
    name = all_fields_grant(session, "person")
    cases = [
        (dict(names=["birth_date"], purpose=" "), 422, "purpose"),
        (dict(names=["shoe_size"]), 422, "fields"),
        (dict(names=["birth_date"], subject=exchange.Subject("person", 10**8)), 404, "subject"),
    ]
    for args, status, field in cases:
        subject = args.pop("subject", exchange.Subject("person", 1))
        with pytest.raises(exchange.Refused) as refused:
            read(session, settings, name, subject, **args)  # type: ignore[arg-type]
        assert refused.value.status == status
        assert refused.value.fields[0].field == field


def test_it_commits_a_refusal_with_its_reason(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    subject = exchange.Subject("person", 7)
    with pytest.raises(exchange.Refused), transaction(factory) as session:
        before = ledger.size(session)
        read(session, settings, "old-age-allowance", subject, ["monthly_income"],
             "decision:old-age-allowance")  # fmt: skip
    with transaction(factory) as session:
        assert ledger.size(session) == before + 1
        kept = exchange.accesses_to(session, settings, subject)[0]
        assert kept.outcome == "refused" and "monthly_income" in (kept.reason or "")


def test_it_says_when_a_grant_expired(session: Session, settings: Settings) -> None:
    officer = exchange.Consumer("user", "tester", "reviewer", "civil_affairs", "user:999")
    made = grants.create(
        session,
        GrantIn(consumer_kind="user", consumer="tester", dataset="taxation.people",
                fields=["monthly_income"], purpose="expiry-test", legal_basis="test",
                expires_at=now() + timedelta(days=1)),
        actor=None,
    )  # fmt: skip
    session.execute(
        update(Grant).where(Grant.id == made.id).values(expires_at=now() - timedelta(days=1))
    )
    with pytest.raises(exchange.Refused) as refused:
        exchange.fetch(
            session, settings, consumer=officer, subject=exchange.Subject("person", 2),
            fields=["monthly_income"], purpose="expiry-test",
        )  # fmt: skip
    assert "ended on" in refused.value.fields[0].text()


def test_it_pseudonymises_identifiers_per_purpose(session: Session, settings: Settings) -> None:
    spec = dict(consumer_kind="node", consumer="peer.test", dataset="public_security.people",
                fields=["resident_id"], legal_basis="test",
                expires_at=now() + timedelta(days=1))  # fmt: skip
    for purpose in ("one", "two"):
        grants.create(session, GrantIn(**spec, purpose=purpose), actor=None)  # type: ignore[arg-type]
    grants.create(session, GrantIn(**spec, purpose="three", identified=True), actor=None)  # type: ignore[arg-type]
    peer = exchange.Consumer.node("peer.test")
    seen = {
        p: exchange.fetch(session, settings, consumer=peer, subject=exchange.Subject("person", 4),
                          fields=["resident_id"], purpose=p).values["resident_id"]
        for p in ("one", "two", "three")
    }  # fmt: skip
    real = session.get(Person, 4).resident_id  # type: ignore[union-attr]
    assert seen["three"] == real
    assert seen["one"] != seen["two"] and real not in (seen["one"], seen["two"])


def test_it_masks_sensitive_fields_and_withholds_secret_ones_on_pages() -> None:
    fetched = exchange.Fetched(
        seq=1, subject="x", values={"a": 1, "b": 2, "c": 3, "d": 4}, datasets={},
        sensitivity={"a": "internal", "b": "sensitive", "c": "sensitive", "d": "secret"},
        reveal={"c"},
    )  # fmt: skip
    values, masked, withheld = fetched.shown()
    assert values == {"a": 1, "b": exchange.access.MASK, "c": 3}
    assert masked == ["b"] and withheld == ["d"]


def test_it_never_grants_secret_fields_to_people(session: Session) -> None:
    with pytest.raises(Invalid) as invalid:
        grants.create(
            session,
            GrantIn(consumer_kind="role", consumer="reviewer", dataset="public_security.people",
                    fields=["resident_id", "no_such"], purpose="p", legal_basis="b",
                    expires_at=now() + timedelta(days=1)),
            actor=None,
        )  # fmt: skip
    messages = [f.text() for f in invalid.value.fields]
    assert "resident_id is secret" in messages[0] and "no field no_such" in messages[1]


def test_it_lets_only_the_owning_department_grant(session: Session, cast: dict[str, User]) -> None:
    spec = GrantIn(consumer_kind="role", consumer="reviewer", dataset="taxation.people",
                   fields=["monthly_income"], purpose="p", legal_basis="b",
                   expires_at=now() + timedelta(days=1))  # fmt: skip
    with pytest.raises(Forbidden):
        grants.create(session, spec, actor=cast["officer"])  # public security, not taxation
    assert grants.create(session, spec, actor=cast["admin"]).id


def test_a_services_needs_are_granted_only_by_the_keeping_departments(
    session: Session, settings: Settings, cast: dict[str, User]
) -> None:
    """Finding 5: services were granted what their YAML reads, by the system, forever.
    Now their needs are requests that an officer of the keeping department decides."""
    needs = {"service": "svc", "unit": "person", "purpose": "decision:svc", "legal_basis": "law"}
    asked = exchange.request_service_grants(
        session, fields=["birth_date", "monthly_income"], **needs
    )
    assert {(r.dataset_code, tuple(r.fields), r.status) for r in asked} == {
        ("public_security.people", ("birth_date",), "pending"),
        ("taxation.people", ("monthly_income",), "pending"),
    }
    with pytest.raises(exchange.Refused):  # nothing is granted yet
        read(session, settings, "svc", exchange.Subject("person", 3), ["birth_date"])
    tax = next(r for r in asked if r.dataset_code == "taxation.people")
    police = next(r for r in asked if r.dataset_code == "public_security.people")
    year, review = now() + timedelta(days=365), today() + timedelta(days=90)
    with pytest.raises(Forbidden):  # public security does not keep taxation's data
        exchange.approve_request(
            session, tax.id, actor=cast["officer"], expires_at=year, review_on=review
        )
    with pytest.raises(Invalid) as bad:
        exchange.approve_request(session, police.id, actor=cast["officer"], expires_at=year,
                                 review_on=today() + timedelta(days=400))  # fmt: skip
    assert bad.value.fields[0].field == "review_on"
    granted = exchange.approve_request(
        session, police.id, actor=cast["officer"], expires_at=year, review_on=review
    )
    assert granted.created_by == f"user:{cast['officer'].id}" and granted.review_on == review
    assert read(session, settings, "svc", exchange.Subject("person", 3), ["birth_date"]).values
    with pytest.raises(Conflict):
        exchange.approve_request(
            session, police.id, actor=cast["officer"], expires_at=year, review_on=review
        )
    # Narrowing needs nobody's approval; widening waits for it, the old grant in force.
    assert exchange.request_service_grants(session, fields=["birth_date"], **needs) == []
    assert tax.status == "withdrawn"
    wider = exchange.request_service_grants(session, fields=["birth_date", "gender"], **needs)
    assert [tuple(r.fields) for r in wider] == [("birth_date", "gender")]
    assert read(session, settings, "svc", exchange.Subject("person", 3), ["birth_date"]).values
    refused = exchange.refuse_request(
        session, wider[0].id, actor=cast["officer"], reason="gender is not needed to check an age"
    )
    assert refused.status == "refused"
    entry = ledger.entry(session, ledger.size(session) - 1)
    assert entry is not None and entry.kind == "grant_request"
    assert "gender is not" not in entry.body and entry.record["reason_hash"]
    # Needs that move to other fields end the old grant at once: it is read no more.
    moved = exchange.request_service_grants(session, fields=["gender"], **needs)
    assert [tuple(r.fields) for r in moved] == [("gender",)]
    with pytest.raises(exchange.Refused):
        read(session, settings, "svc", exchange.Subject("person", 3), ["birth_date"])
    with pytest.raises(Invalid):
        exchange.request_service_grants(session, fields=["shoe_size"], **needs)


def test_it_hides_held_reads_until_the_hold_ends(
    session: Session, settings: Settings, cast: dict[str, User]
) -> None:
    inspector = exchange.Consumer("user", "inspector", "department_officer", "taxation", "user:998")
    reviewer = exchange.Consumer.user(cast["reviewer"])
    subject = exchange.Subject("person", 11)
    with pytest.raises(exchange.Refused) as refused:  # a review grant cannot hold
        exchange.fetch(
            session, settings, consumer=reviewer, subject=subject, fields=["monthly_income"],
            purpose="case-review", hold_until=today() + timedelta(days=30),
        )  # fmt: skip
    assert refused.value.fields[0].field == "hold_until"
    held = exchange.fetch(
        session, settings, consumer=inspector, subject=subject, fields=["monthly_income"],
        purpose="tax-investigation", hold_until=today() + timedelta(days=30),
    )  # fmt: skip
    shown = [a.seq for a in exchange.accesses_to(session, settings, subject)]
    assert held.seq not in shown
    session.execute(
        update(Access).where(Access.seq == held.seq).values(hold_until=today())
    )  # the hold ends today
    assert held.seq in [a.seq for a in exchange.accesses_to(session, settings, subject)]


def test_it_checks_a_dataset_against_its_source(
    session: Session, settings: Settings, cast: dict[str, User]
) -> None:
    base = publish.datasets()[0].model_dump()
    wrong = DatasetIn.model_validate(
        {**base, "fields": [*base["fields"], {**base["fields"][0], "name": "nope"}]}
    )  # the same dataset, replaced with a field its view does not have
    with pytest.raises(Invalid) as invalid:
        catalogue.register(session, settings, wrong, actor=None)
    assert invalid.value.fields[0].field == f"fields.{len(base['fields'])}.name"
    no_table = DatasetIn.model_validate(
        {**base, "provider": {"kind": "sql", "table": "nope", "key": "id"}}
    )
    with pytest.raises(Invalid) as invalid:
        catalogue.register(session, settings, no_table, actor=None)
    assert invalid.value.fields[0].field == "provider"  # not a declared registry
    remote = DatasetIn.model_validate(
        {**base, "provider": {"kind": "sql", "table": "t", "key": "id", "url": "sqlite:///x.db"}}
    )
    with pytest.raises(Invalid) as invalid:
        catalogue.register(session, settings, remote, actor=None)
    assert invalid.value.fields[0].field == "provider"
    with pytest.raises(Invalid) as invalid:
        sources.declare(
            session, kind="sql", name="t", department=base["department"],
            url="postgresql://u:pw@h/db", actor=None,
        )  # fmt: skip
    assert "password" in invalid.value.fields[0].text().lower()
    with pytest.raises(Forbidden):
        catalogue.register(session, settings, DatasetIn.model_validate(base), actor=cast["market"])


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_it_serves_a_dataset_from_a_file(session: Session, settings: Settings, suffix: str) -> None:
    folder = settings.data_dir / "registries"
    folder.mkdir(parents=True, exist_ok=True)
    data = pa.table({"person_id": [1, 2, 3], "vaccinated": [True, False, True],
                     "last_dose": ["2025-01-02", "2024-05-06", None]})  # fmt: skip
    path = folder / f"health.{suffix}"
    pq.write_table(data, path) if suffix == "parquet" else pacsv.write_csv(data, path)
    spec = {
        "code": "health_insurance.vaccination", "department": "health_insurance",
        "unit": "person", "title": {"zh": "接种", "en": "Vaccination"},
        "description": {"zh": "测试", "en": "Test"}, "frequency": "weekly",
        "fields": [
            {"name": "vaccinated", "type": "boolean", "sensitivity": "sensitive",
             "label": {"zh": "已接种", "en": "Vaccinated"}},
            {"name": "last_dose", "type": "date", "sensitivity": "sensitive",
             "label": {"zh": "末次接种", "en": "Last dose"}},
        ],
        "provider": {"kind": "file", "path": path.name, "key": "person_id"},
    }  # fmt: skip
    with pytest.raises(Invalid):  # no administrator has declared the file a registry
        catalogue.register(session, settings, DatasetIn.model_validate(spec), actor=None)
    sources.declare(
        session, kind="file", name=path.name, department="health_insurance", url=None,
        actor=None,
    )  # fmt: skip
    wrong = {**spec, "provider": {**spec["provider"], "key": "resident"}}  # type: ignore[dict-item]
    with pytest.raises(Invalid):
        catalogue.register(session, settings, DatasetIn.model_validate(wrong), actor=None)
    catalogue.register(session, settings, DatasetIn.model_validate(spec), actor=None)
    grant_service(
        session, service="vacc", unit="person", fields=["vaccinated", "last_dose"],
        purpose="decision:vacc", legal_basis="test",
    )  # fmt: skip
    got = read(
        session, settings, "vacc", exchange.Subject("person", 2), ["vaccinated", "last_dose"]
    )
    assert got.values == {"vaccinated": False, "last_dose": date(2024, 5, 6)}
    with pytest.raises(exchange.Refused) as refused:  # in the registry, not in this file
        read(session, settings, "vacc", exchange.Subject("person", 9), ["vaccinated"])
    assert refused.value.status == 404


def test_it_keeps_file_sources_inside_the_registries_folder() -> None:
    base = publish.datasets()[0].model_dump()
    escape = {**base, "provider": {"kind": "file", "path": "a/../../secrets.csv", "key": "id"}}
    with pytest.raises(ValidationError, match="registries folder"):
        DatasetIn.model_validate(escape)
