"""A reviewer's approval sets the amount: the rules' where they set one, otherwise the
reviewer's, required, offered from the rules' formula on the case's facts, within the
service's maximum, recorded in the ledger and shown to the applicant."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.cases.models import Case
from smartgov.core.db import transaction
from smartgov.core.errors import Invalid
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo.models import Person
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules
from tests.cases.helpers import decided
from tests.conftest import bearer, csrf_of, login

SERVICE = "minimum-living-allowance"  # high impact: every case goes to a person
MAXIMUM = 11000.0  # line * 10 with the line at 1,100 yuan


@pytest.fixture(scope="module")
def waiting(factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]) -> list[str]:
    with factory() as session:
        people = session.scalars(
            select(Person.resident_id).order_by(Person.id).offset(300).limit(30)
        )
        chosen = list(people)
    refs = decided(factory, settings, cast["counter"], chosen, SERVICE)
    return refs


def _first(factory: sessionmaker[Session], refs: list[str], outcome: str) -> Case:
    with factory() as session:
        found = session.scalars(
            select(Case).where(
                Case.ref.in_(refs), Case.state == "awaiting_review",
                Case.automated_outcome == outcome,
            ).order_by(Case.id)
        ).first()  # fmt: skip
    assert found is not None, f"no {outcome} case awaiting review"
    return found


def test_approving_a_refused_case_needs_an_amount_within_the_maximum(
    factory: sessionmaker[Session], cast: dict[str, User], waiting: list[str]
) -> None:
    refused = _first(factory, waiting, "ineligible")
    offered = cases.amount_proposal(refused)
    # The rules' formula on the case's facts: the shortfall, at least 50 yuan a month.
    assert offered["required"] is True and offered["maximum"] == MAXIMUM
    assert isinstance(offered["amount"], float) and offered["amount"] >= 50
    reviewer = cast["reviewer"]

    def approve(**given: object) -> Invalid:
        with transaction(factory) as session, pytest.raises(Invalid) as bad:
            case = cases.find_case(session, refused.ref, reviewer)
            cases.review_case(
                session, case, reviewer=reviewer, action="approve", version=case.version, **given
            )  # type: ignore[arg-type]
        return bad.value

    missing = approve(justification="Savings are a pension fund.")
    assert [f.field for f in missing.fields] == ["amount"]
    both = approve()
    assert [f.field for f in both.fields] == ["justification", "amount"]
    for wrong in (MAXIMUM + 0.01, 0.0, -5.0, float("nan"), float("inf")):
        out = approve(justification="Savings are a pension fund.", amount=wrong)
        assert [f.field for f in out.fields] == ["amount"], wrong
    assert "11,000.00" in approve(justification="x", amount=MAXIMUM * 2).fields[0].text()
    with transaction(factory) as session:
        case = cases.find_case(session, refused.ref, reviewer)
        cases.review_case(session, case, reviewer=reviewer, action="approve",
                          version=case.version, justification="Savings are a pension fund.",
                          amount=1234.567)  # fmt: skip
    with factory() as session:
        decided = session.scalars(select(Case).where(Case.ref == refused.ref)).one()
        assert decided.outcome == "eligible" and decided.amount == 1234.57
        entry = ledger.entries(session, decided.decision_seq, decided.decision_seq + 1)[0]
    body = json.loads(entry.body)
    assert body["kind"] == "review" and body["amount"] == 1234.57 and body["override"] is True


def test_a_refusal_pays_nothing_and_a_changed_amount_needs_reasons(
    factory: sessionmaker[Session], cast: dict[str, User], waiting: list[str]
) -> None:
    reviewer = cast["reviewer"]
    eligible = _first(factory, waiting, "eligible")
    assert cases.amount_proposal(eligible)["required"] is False
    with transaction(factory) as session, pytest.raises(Invalid) as paid_refusal:
        case = cases.find_case(session, eligible.ref, reviewer)
        cases.review_case(session, case, reviewer=reviewer, action="reject", version=case.version,
                          justification="Moved away.", amount=100.0)  # fmt: skip
    assert [f.field for f in paid_refusal.value.fields] == ["amount"]
    rules_amount = (eligible.decision or {})["amount"]
    with transaction(factory) as session, pytest.raises(Invalid) as unexplained:
        case = cases.find_case(session, eligible.ref, reviewer)
        cases.review_case(session, case, reviewer=reviewer, action="approve",
                          version=case.version, amount=rules_amount + 10)  # fmt: skip
    assert [f.field for f in unexplained.value.fields] == ["justification"]
    with transaction(factory) as session:  # approving as the rules set it needs nothing more
        case = cases.find_case(session, eligible.ref, reviewer)
        cases.review_case(session, case, reviewer=reviewer, action="approve", version=case.version)
    with factory() as session:
        decided = session.scalars(select(Case).where(Case.ref == eligible.ref)).one()
    assert decided.amount == rules_amount


def test_the_api_offers_the_amount_and_refuses_a_missing_one_by_field(
    client: TestClient, factory: sessionmaker[Session], waiting: list[str]
) -> None:
    refused = _first(factory, waiting, "ineligible")
    reviewer = bearer(client, "reviewer")
    shown = client.get(f"/api/v1/cases/{refused.ref}", headers=reviewer).json()
    assert shown["amount_proposal"]["required"] is True
    assert shown["amount_proposal"]["maximum"] == MAXIMUM
    url = f"/api/v1/cases/{refused.ref}/review"
    body = {"action": "approve", "version": shown["version"], "justification": "Seen."}
    missing = client.post(url, json=body, headers=reviewer)
    assert missing.status_code == 422
    assert [f["field"] for f in missing.json()["error"]["fields"]] == ["amount"]
    too_much = client.post(url, json={**body, "amount": MAXIMUM + 1}, headers=reviewer)
    assert too_much.status_code == 422
    # The offer is the reviewer's starting point, not a promise: the applicant and the
    # officer who submitted it do not see it.
    for someone in ("citizen", "counter"):
        seen = client.get(f"/api/v1/cases/{refused.ref}", headers=bearer(client, someone))
        assert seen.status_code in (200, 404)
        if seen.status_code == 200:
            assert seen.json()["amount_proposal"] is None


def test_the_review_page_fills_in_the_amount_and_says_what_is_wrong(
    client: TestClient, factory: sessionmaker[Session], waiting: list[str], settings: Settings
) -> None:
    refused = _first(factory, waiting, "ineligible")
    offered = cases.amount_proposal(refused)
    login(client, "reviewer")
    client.cookies.set("lang", "en")
    page = client.get(f"/cases/{refused.ref}")
    assert f'value="{offered["amount"]}"' in page.text and 'name="amount"' in page.text
    sent = client.post(f"/cases/{refused.ref}/review", data={
        "csrf_token": csrf_of(page.text), "version": str(refused.version), "decision": "approve",
        "justification": "Seen.", "amount": "a lot"})  # fmt: skip
    assert sent.status_code == 422 and "Enter the amount as a number" in sent.text
    # Rejecting with the filled-in amount still on the form is a plain refusal.
    rejected = client.post(f"/cases/{refused.ref}/review", data={
        "csrf_token": csrf_of(page.text), "version": str(refused.version), "decision": "reject",
        "amount": str(offered["amount"])}, follow_redirects=False)  # fmt: skip
    assert rejected.status_code == 303
    with factory() as session:
        case = session.scalars(select(Case).where(Case.ref == refused.ref)).one()
    assert case.outcome == "ineligible" and case.amount == 0.0
    assert rules.get_service(settings, SERVICE).maximum is not None
