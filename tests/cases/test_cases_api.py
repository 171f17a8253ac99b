"""Cases over HTTP: applying (idempotent, with field messages), the decision with its
facts and sources, the reviewer's queue and a stale action refused, an appeal, the
counter, alerts, and the figures."""

from __future__ import annotations

import base64
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.core.settings import Settings
from smartgov.demo.models import Person
from tests.conftest import PDF, bearer, papers_json

SERVICE = "disability-living-subsidy"  # owned by civil affairs, like the test reviewer


#: The documents of SERVICE, as an applicant attaches them (the same for every test).
DOCUMENTS = {"disability_certificate": {"filename": "certificate.pdf",
                                        "content": base64.b64encode(PDF).decode()}}  # fmt: skip


def application(**overrides: object) -> dict[str, object]:
    return {"service": SERVICE, "idempotency_key": uuid.uuid4().hex, "consent": True,
            "documents": DOCUMENTS, **overrides}  # fmt: skip


def test_an_application_through_the_api_needs_the_documents_the_form_needs(
    client: TestClient, settings: Settings
) -> None:
    """Finding 12: the API decided applications without the documents the web form
    requires. One service function now holds the rule for every channel."""
    citizen = {**bearer(client, "citizen"), "accept-language": "en"}
    bare = client.post("/api/v1/cases", json=application(documents={}), headers=citizen)
    assert bare.status_code == 422
    assert [f["field"] for f in bare.json()["error"]["fields"]] == [
        "documents.disability_certificate"
    ]
    not_a_pdf = base64.b64encode(b"MZ not a pdf").decode()
    fake = {"disability_certificate": {"filename": "c.pdf", "content": not_a_pdf}}
    refused = client.post("/api/v1/cases", json=application(documents=fake), headers=citizen)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"] == "documents.disability_certificate"
    made = client.post("/api/v1/cases", json=application(), headers=citizen)
    assert made.status_code == 201, made.text
    listed = made.json()["case"]["documents"]
    assert [d["kind"] for d in listed] == ["disability_certificate"]
    other = papers_json(settings, "old-age-allowance")
    assert set(other) == {"identity_card"}


def test_it_applies_once_per_key_and_says_which_field_is_wrong(client: TestClient) -> None:
    citizen = bearer(client, "citizen")
    body = application()
    first = client.post("/api/v1/cases", json=body, headers=citizen)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/cases", json=body, headers=citizen)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["case"]["ref"] == first.json()["case"]["ref"]
    no_consent = client.post("/api/v1/cases", json=application(consent=False), headers=citizen)
    assert no_consent.status_code == 422
    assert [f["field"] for f in no_consent.json()["error"]["fields"]] == ["consent"]
    unknown = client.post("/api/v1/cases", json=application(service="no-such"), headers=citizen)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"][0]["field"] == "service"
    wrong = client.post(
        "/api/v1/cases", json=application(service="startup-subsidy"), headers=citizen
    )
    assert wrong.status_code == 403
    short = client.post("/api/v1/cases", json=application(idempotency_key="x"), headers=citizen)
    assert (
        short.status_code == 422
        and short.json()["error"]["fields"][0]["field"] == "idempotency_key"
    )
    assert (
        client.post(
            "/api/v1/cases", json=application(), headers=bearer(client, "analyst")
        ).status_code
        == 403
    )


def test_it_takes_a_case_through_review_and_appeal(
    client: TestClient, factory: sessionmaker[Session], settings: Settings
) -> None:
    citizen, reviewer = bearer(client, "citizen"), bearer(client, "reviewer")
    made = client.post("/api/v1/cases", json=application(human_decision=True), headers=citizen)
    ref = made.json()["case"]["ref"]
    cases.decide_batch(factory, settings)
    case = client.get(f"/api/v1/cases/{ref}", headers=citizen).json()
    assert case["state"] == "awaiting_review" and "human_requested" in case["review_reasons"]
    assert case["facts"] and all(f["source"] for f in case["facts"])
    assert case["explanation"] and case["next_step"]
    assert (
        client.get(f"/api/v1/cases/{ref}", headers=bearer(client, "enterprise")).status_code == 404
    )
    queue = client.get("/api/v1/review/queue", headers=reviewer).json()
    assert ref in [c["ref"] for c in queue]
    stale = client.post(f"/api/v1/cases/{ref}/review", headers=reviewer,
                        json={"action": "approve", "version": case["version"] - 1,
                              "justification": "Checked."})  # fmt: skip
    assert stale.status_code == 409 and stale.json()["error"]["fields"][0]["field"] == "version"
    assert case["amount_proposal"] is None  # the applicant is offered nothing
    offered = client.get(f"/api/v1/cases/{ref}", headers=reviewer).json()["amount_proposal"]
    amount = offered["amount"] or 100.0
    decided = client.post(f"/api/v1/cases/{ref}/review", headers=reviewer,
                          json={"action": "approve", "version": case["version"],
                                "justification": "Checked the certificate.",
                                "amount": amount})  # fmt: skip
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "decided" and decided.json()["outcome"] == "eligible"
    assert decided.json()["amount"] == amount and decided.json()["amount_proposal"] is None
    appeal = client.post(
        f"/api/v1/cases/{ref}/appeal",
        headers=citizen,
        json={"version": decided.json()["version"], "reason": "Amount too low."},
    )
    assert appeal.status_code == 200 and appeal.json()["state"] == "appealed"
    queue = client.get("/api/v1/review/queue?state=appealed", headers=reviewer).json()
    assert ref in [c["ref"] for c in queue]
    upheld = client.post(
        f"/api/v1/cases/{ref}/review",
        headers=reviewer,
        json={"action": "approve", "version": appeal.json()["version"]},
    )
    assert upheld.json()["appeal_result"] == "upheld"
    again = client.post(
        f"/api/v1/cases/{ref}/appeal",
        headers=citizen,
        json={"version": upheld.json()["version"], "reason": "Still too low."},
    )
    assert again.status_code == 409  # one appeal: the case is decided and was appealed
    figures = client.get(
        f"/api/v1/cases-metrics?service={SERVICE}", headers=bearer(client, "analyst")
    ).json()
    row = next(f for f in figures["services"] if f["channel"] == "all")
    assert row["decided"] >= 1 and row["appeals_upheld"] >= 1


def test_it_lets_a_counter_officer_apply_for_a_resident(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    with factory() as session:
        resident = session.scalars(select(Person.resident_id).order_by(Person.id.desc())).first()
    counter = bearer(client, "counter")
    made = client.post(
        "/api/v1/cases", headers=counter, json=application(channel="counter", resident_id=resident)
    )
    assert made.status_code == 201, made.text
    assert made.json()["case"]["channel"] == "counter"
    online = client.post("/api/v1/cases", headers=counter, json=application(resident_id=resident))
    assert online.status_code == 422 and online.json()["error"]["fields"][0]["field"] == "channel"


def test_it_sends_every_case_to_a_person_while_an_alert_is_open(
    client: TestClient, factory: sessionmaker[Session], settings: Settings
) -> None:
    officer = bearer(client, "admin")  # no: administrators do not manage cases
    assert client.post(f"/api/v1/services/{SERVICE}/alerts", headers=officer,
                       json={"note": "Gap between districts"}).status_code == 403  # fmt: skip
    with factory() as session:
        alert = cases.open_alert(session, settings, SERVICE, kind="fairness", note="gap", by="t")
        session.commit()
    try:
        ref = client.post("/api/v1/cases", json=application(), headers=bearer(client, "citizen"))
        cases.decide_batch(factory, settings)
        case = client.get(
            f"/api/v1/cases/{ref.json()['case']['ref']}", headers=bearer(client, "citizen")
        ).json()
        assert "fairness_alert" in case["review_reasons"]
    finally:
        with factory() as session:
            cases.close_alert(session, SERVICE, alert.id, by="t")
            session.commit()


def test_the_home_page_shows_a_persons_applications_with_the_next_step(
    client: TestClient,
) -> None:
    """Issue 16: the home page told a citizen with applications that they had none."""
    from tests.conftest import login

    citizen = bearer(client, "citizen")
    made = client.post("/api/v1/cases", json=application(), headers=citizen)
    assert made.status_code == 201, made.text
    ref = made.json()["case"]["ref"]
    login(client, "citizen")
    home = client.get("/", cookies={"lang": "en"}).text
    assert f'href="/cases/{ref}"' in home
    assert "You have no applications yet" not in home
    assert "being checked" in home  # the next step, in words
    # A counter officer's home lists what they submitted for residents.
    client.post("/logout", data={"csrf_token": ""})
    counter_home = login(client, "counter").get("/", cookies={"lang": "en"}).text
    assert "Applications I submitted" in counter_home
