"""Benefits without applying, notifications, and documents checked on upload."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.cases.intake import new_ref
from smartgov.cases.models import Invitation
from smartgov.core.db import transaction
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo import publish
from smartgov.exchange import grants
from smartgov.exchange import service as exchange
from smartgov.exchange.models import Grant
from smartgov.ledger import service as ledger
from smartgov.rules.service import sync_grants
from tests.conftest import bearer, papers_json

SERVICE = "childcare-subsidy"  # the test citizen heads a household with children


def test_it_invites_the_eligible_who_have_not_applied_and_they_accept_in_one_click(
    client: TestClient,
    factory: sessionmaker[Session],
    settings: Settings,
    cast: dict[str, User],
) -> None:
    citizen = cast["citizen"]
    with factory() as session:  # another test may have swept the service already
        earlier = set(
            session.scalars(select(Invitation.subject_key).where(Invitation.service_id == SERVICE))
        )
    with transaction(factory) as session:
        report = cases.sweep(session, settings, SERVICE, by="test")
        again = cases.sweep(session, settings, SERVICE, by="test")
        entry = ledger.entries(session, report.ledger_index, report.ledger_index + 1)[0]
    assert report.population > 0 and report.eligible >= report.invited
    assert again.invited == 0  # nobody is invited twice
    assert entry.kind == "sweep" and '"invited"' in entry.body
    with transaction(factory) as session:
        invited = set(
            session.scalars(select(Invitation.subject_key).where(Invitation.service_id == SERVICE))
        )
        # The test citizen is not eligible in this small city; an invitation as a sweep
        # would make it lets the one-click path be tried.
        if citizen.person_id not in invited:
            session.add(Invitation(ref=new_ref("I"), service_id=SERVICE, unit="person",
                                   subject_key=citizen.person_id, status="open"))  # fmt: skip
    assert len(invited - earlier) == report.invited
    headers = bearer(client, "citizen")
    listed = client.get("/api/v1/me/invitations", headers=headers).json()
    ref = next(i["ref"] for i in listed if i["status"] == "open")
    refused = client.post(
        f"/api/v1/me/invitations/{ref}/accept", json={"consent": False}, headers=headers
    )
    assert refused.status_code == 422
    accepted = client.post(
        f"/api/v1/me/invitations/{ref}/accept", json={"consent": True}, headers=headers
    )
    assert accepted.status_code == 201, accepted.text
    twice = client.post(
        f"/api/v1/me/invitations/{ref}/accept", json={"consent": True}, headers=headers
    )
    assert twice.status_code == 409
    notices = client.get("/api/v1/me/notifications", headers=headers).json()
    assert any(n["kind"] == "submitted" for n in notices)


def test_it_lets_only_the_owning_department_sweep_a_service(client: TestClient) -> None:
    # The test officer works for public security; childcare belongs to health insurance.
    officer = bearer(client, "officer")
    assert client.post(f"/api/v1/services/{SERVICE}/sweep", headers=officer).status_code == 403
    assert client.post(f"/api/v1/services/{SERVICE}/sweep",
                       headers=bearer(client, "citizen")).status_code == 403  # fmt: skip


def test_it_checks_documents_by_their_content_and_size(
    client: TestClient, settings: Settings
) -> None:
    headers = bearer(client, "citizen")
    made = client.post(
        "/api/v1/cases",
        headers=headers,
        json={"service": "old-age-allowance", "idempotency_key": uuid.uuid4().hex, "consent": True,
              "documents": papers_json(settings, "old-age-allowance")},
    )  # fmt: skip
    ref = made.json()["case"]["ref"]
    url = f"/api/v1/cases/{ref}/documents"
    pdf = b"%PDF-1.4\n1 0 obj\n%%EOF\n"
    good = client.post(
        url,
        headers=headers,
        data={"kind": "identity_card"},
        files={"file": ("id.pdf", pdf, "application/pdf")},
    )
    assert good.status_code == 201, good.text
    assert len(good.json()["sha256"]) == 64
    assert (settings.data_dir / "documents" / good.json()["sha256"]).read_bytes() == pdf
    fake = client.post(
        url,
        headers=headers,
        data={"kind": "identity_card"},
        files={"file": ("id.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert fake.status_code == 422
    assert fake.json()["error"]["fields"][0]["field"] == "documents.identity_card"
    big = client.post(
        url,
        headers=headers,
        data={"kind": "identity_card"},
        files={"file": ("id.pdf", b"%PDF-" + b"0" * settings.max_upload_bytes, "application/pdf")},
    )
    assert big.status_code == 422
    other = client.post(
        url,
        headers=headers,
        data={"kind": "passport"},
        files={"file": ("p.pdf", pdf, "application/pdf")},
    )
    assert other.status_code == 422
    stranger = client.post(
        url,
        headers=bearer(client, "enterprise"),
        data={"kind": "identity_card"},
        files={"file": ("id.pdf", pdf, "application/pdf")},
    )
    assert stranger.status_code == 404


def test_exchange_knows_whose_subjects_an_account_stands_for(
    factory: sessionmaker[Session], cast: dict[str, User]
) -> None:
    with factory() as session:
        subjects = exchange.subjects_of_account(session, cast["citizen"])
    assert [unit for unit, _ in subjects] == ["person", "household"]


def test_a_sweep_reads_through_the_exchange_and_each_person_sees_the_read(
    client: TestClient, factory: sessionmaker[Session], settings: Settings,
    cast: dict[str, User],
) -> None:  # fmt: skip
    """Finding 3: a sweep read the registry views directly, with no grant checked and
    one bulk entry; the invited citizen saw nothing in "who used my data"."""
    with transaction(factory) as session:
        before = ledger.size(session)
        report = cases.sweep(session, settings, SERVICE, by="test")
    listed = client.get("/api/v1/me/accesses", headers=bearer(client, "citizen")).json()
    mine = [a for a in listed if a["seq"] >= before and a["purpose"] == f"decision:{SERVICE}"]
    assert mine and mine[0]["consumer"] == f"service:{SERVICE}"
    with transaction(factory) as session:
        reads = [
            e for e in ledger.entries(session, before, report.ledger_index) if e.kind == "access"
        ]
    assert len(reads) == report.population  # one record per subject read
    # Without the service's grant the sweep is refused, and the refusal is recorded.
    with transaction(factory) as session:
        for grant in session.scalars(
            select(Grant).where(Grant.consumer == SERVICE, Grant.revoked_at.is_(None))
        ):
            grants.revoke(session, grant.id, actor=None)
    try:
        with transaction(factory) as session, pytest.raises(exchange.Refused) as refused:
            cases.sweep(session, settings, SERVICE, by="test")
        assert refused.value.status == 403
    finally:
        with transaction(factory) as session:
            sync_grants(session, settings)
            publish.approve_requests(session)
