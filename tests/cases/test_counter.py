"""The counter officer's journey: find a resident, apply for them with the ID carried
over (never in a URL), on a form worded for the officer, then print a receipt with
the reference and a QR code and nothing about the person; and a resident told before
the form when a service is not theirs to apply for."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.demo.models import Person
from tests.conftest import csrf_of, login

SERVICE = "old-age-allowance"


def test_a_counter_officer_finds_a_resident_applies_and_prints_a_receipt(
    client: TestClient, session: Session
) -> None:
    person = session.scalars(select(Person).order_by(Person.birth_date).limit(1)).one()
    home = login(client, "counter").get("/", cookies={"lang": "en"})
    found = client.post("/counter/lookup", cookies={"lang": "en"}, data={
        "resident_id": person.resident_id, "csrf_token": csrf_of(home.text)})  # fmt: skip
    assert found.status_code == 200 and "Apply for this resident" in found.text
    assert f'name="service_id" value="{SERVICE}"' in found.text
    assert 'value="startup-subsidy"' not in found.text  # an enterprise's service
    form = client.post("/counter/apply", cookies={"lang": "en"}, data={
        "service_id": SERVICE, "resident_id": person.resident_id,
        "csrf_token": csrf_of(found.text)})  # fmt: skip
    assert form.status_code == 200
    assert re.search(rf'id="resident_id"[^>]*value="{person.resident_id}"[^>]*readonly', form.text)
    assert "The applicant agreed to these reads" in form.text and "I agree" not in form.text
    assert "<code>" not in form.text  # no registry field names on the form
    made = client.post(f"/services/{SERVICE}/apply", cookies={"lang": "en"},
                       follow_redirects=False, files={
        "csrf_token": (None, csrf_of(form.text)), "idempotency_key": (None, uuid.uuid4().hex),
        "resident_id": (None, person.resident_id), "channel": (None, "counter"),
        "consent": (None, "yes")})  # fmt: skip
    assert made.status_code == 303, made.text
    ref = made.headers["location"].rsplit("/", 1)[-1]
    assert person.resident_id not in made.headers["location"]
    case_page = client.get(f"/cases/{ref}", cookies={"lang": "en"})
    assert f'href="/cases/{ref}/receipt"' in case_page.text
    receipt = client.get(f"/cases/{ref}/receipt", cookies={"lang": "en"})
    assert (
        receipt.status_code == 200
        and f'<strong class="font-mono-lg" id="receipt-ref">{ref}' in receipt.text
    )
    assert 'src="data:image/svg+xml' in receipt.text
    assert person.name not in receipt.text and person.resident_id not in receipt.text
    mine = client.get("/me/cases", cookies={"lang": "en"})
    assert f'href="/cases/{ref}"' in mine.text  # what the officer submitted


def test_a_citizen_and_the_counter_officers_apply_form_have_their_own_rules(
    client: TestClient,
) -> None:
    login(client, "citizen")
    listed = client.get("/services", cookies={"lang": "en"}).text
    assert "For enterprises" in listed and "For residents" in listed
    page = client.get("/services/startup-subsidy/apply", cookies={"lang": "en"})
    assert "Only an enterprise&#39;s representative can apply for this." in page.text
    assert 'action="/services/startup-subsidy/apply"' not in page.text  # no form to fill in
    token = csrf_of(client.get("/", cookies={"lang": "en"}).text)
    forged = client.post("/counter/apply", data={"service_id": SERVICE, "csrf_token": token})
    assert forged.status_code == 403


def test_form_errors_name_fields_by_their_labels(client: TestClient) -> None:
    login(client, "citizen")
    form = client.get(f"/services/{SERVICE}/apply", cookies={"lang": "en"})
    fields = {"csrf_token": (None, csrf_of(form.text)), "idempotency_key": (None, uuid.uuid4().hex)}
    refused = client.post(f"/services/{SERVICE}/apply", cookies={"lang": "en"}, files=fields)
    assert refused.status_code == 422
    assert '<a href="#consent">Consent</a>' in refused.text
    assert "consent:" not in refused.text and "documents.identity_card" not in refused.text
