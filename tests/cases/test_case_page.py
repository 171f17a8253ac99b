"""The case page as an applicant and a reviewer read it: the reviewer's request shown
as such and answered with a file, the documents opened in the page and served so they
cannot run, the history and the automated outcome in words, and the routes of review
and litigation after a decision."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.core.db import transaction
from smartgov.core.models import User
from smartgov.core.settings import Settings
from tests.conftest import PDF, csrf_of, login, open_case

ASKED = "A clearer copy of your ID card."
PDF_TYPE = "application/pdf"


def test_a_request_for_information_is_shown_and_answered_with_a_file(
    client: TestClient, factory: sessionmaker[Session], settings: Settings,
    cast: dict[str, User],
) -> None:  # fmt: skip
    ref = open_case(factory, settings, cast["citizen"])
    with transaction(factory) as session:
        case = cases.find_case(session, ref, cast["reviewer"])
        cases.review_case(session, case, reviewer=cast["reviewer"], action="ask",
                          version=case.version, justification=ASKED)  # fmt: skip
    page = login(client, "citizen").get(f"/cases/{ref}", cookies={"lang": "en"})
    assert f'id="case-asked">{ASKED}<' in page.text
    assert 'name="doc.identity_card"' in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    sent = client.post(f"/cases/{ref}/respond", cookies={"lang": "en"}, follow_redirects=False,
                       files={"csrf_token": (None, csrf_of(page.text)), "version": (None, version),
                              "answer": (None, "Here it is."),
                              "doc.identity_card": ("id-card.pdf", PDF, PDF_TYPE)})  # fmt: skip
    assert sent.status_code == 303, sent.text
    after = client.get(f"/cases/{ref}", cookies={"lang": "en"}).text
    assert "id-card.pdf" in after
    # The history in words: no step names, account numbers or reason codes.
    assert "More information asked for" in after and "Information sent" in after
    assert "user:" not in after and "<code>" not in after and "route_to_review" not in after
    assert "Reviewer, " in after  # who asked: a role and a department, not an account


def test_a_wrong_file_with_an_answer_leaves_the_case_as_it_was(
    client: TestClient, factory: sessionmaker[Session], settings: Settings,
    cast: dict[str, User],
) -> None:  # fmt: skip
    ref = open_case(factory, settings, cast["citizen"])
    with transaction(factory) as session:
        case = cases.find_case(session, ref, cast["reviewer"])
        cases.review_case(session, case, reviewer=cast["reviewer"], action="ask",
                          version=case.version, justification="Your ID card, please.")  # fmt: skip
    page = login(client, "citizen").get(f"/cases/{ref}", cookies={"lang": "en"})
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    sent = client.post(f"/cases/{ref}/respond", cookies={"lang": "en"},
                       files={"csrf_token": (None, csrf_of(page.text)), "version": (None, version),
                              "answer": (None, "Here."),
                              "doc.identity_card": ("id.pdf", b"<script>", PDF_TYPE)})  # fmt: skip
    assert sent.status_code == 422 and "Upload a PDF, PNG or JPEG file." in sent.text
    with factory() as session:
        case = cases.find_case(session, ref, cast["citizen"])
        assert case.state == "needs_information"  # not moved on without its file
        assert all(d.filename != "id.pdf" for d in cases.documents_of(session, case))


def test_documents_open_for_those_who_see_the_case_and_cannot_run(
    client: TestClient, factory: sessionmaker[Session], settings: Settings,
    cast: dict[str, User],
) -> None:  # fmt: skip
    ref = open_case(factory, settings, cast["citizen"])
    page = login(client, "reviewer").get(f"/cases/{ref}", cookies={"lang": "en"})
    link = re.search(rf'href="(/cases/{ref}/documents/\d+)"', page.text).group(1)  # type: ignore[union-attr]
    assert f'<iframe class="sg-document" title="identity_card.pdf" src="{link}"' in page.text
    shown = client.get(link)
    assert shown.status_code == 200 and shown.content == PDF
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"].startswith("inline")
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    assert "no-store" in shown.headers["cache-control"]
    # The automated outcome in words.
    assert re.search(
        r"Automated outcome</dt><dd>(Eligible|Not eligible|Could not be decided)<", page.text
    )
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    login(client, "enterprise")
    assert client.get(link).status_code == 404  # not theirs: as if it did not exist
    assert client.get(f"/cases/{ref}/documents/999999").status_code == 404
    assert client.get(f"/cases/{ref}/documents/{10**20}").status_code == 422  # not a 500


def test_a_decided_case_names_the_routes_of_review_and_litigation(
    client: TestClient, factory: sessionmaker[Session], settings: Settings,
    cast: dict[str, User],
) -> None:  # fmt: skip
    ref = open_case(factory, settings, cast["citizen"])
    with transaction(factory) as session:
        case = cases.find_case(session, ref, cast["reviewer"])
        cases.review_case(session, case, reviewer=cast["reviewer"], action="reject",
                          version=case.version, justification="Not old enough.")  # fmt: skip
    page = login(client, "citizen").get(f"/cases/{ref}", cookies={"lang": "en"}).text
    assert "usa-alert--warning" in page  # a refusal is not an information box
    assert "60 days" in page and "6 months" in page and "行政复议" in page
    assert 'action="/cases/' + ref + '/appeal"' in page
    zh = client.get(f"/cases/{ref}", cookies={"lang": "zh-Hans"}).text
    assert "60 日内" in zh and "6 个月内" in zh
