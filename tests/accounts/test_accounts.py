"""The administrator's account work, in the pages, the API and the command line:
create, change, disable and enable, reset a password, sign out everywhere; each change
an `account` entry in the ledger naming accounts by number only; and the ways an
administrator could lock the city out, or a non-administrator get in, refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.db import transaction
from smartgov.core.models import ApiToken, User, UserSession
from smartgov.ledger.models import LedgerEntry
from tests.conftest import PASSWORD, bearer, csrf_of, login


def latest_account_entry(factory: sessionmaker[Session]) -> dict[str, object]:
    with factory() as session:
        for row in session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(50)):
            body = json.loads(row.body)
            if body["kind"] == "account":
                return body  # type: ignore[no-any-return]
    raise AssertionError("no account entry in the ledger")


@pytest.fixture
def newcomer(factory: sessionmaker[Session]) -> Iterator[str]:
    name = f"new{uuid.uuid4().hex[:8]}"
    yield name
    with transaction(factory) as session:
        ids = list(session.scalars(select(User.id).where(User.username == name)))
        for table in (ApiToken, UserSession):
            session.execute(delete(table).where(table.user_id.in_(ids)))
        session.execute(delete(User).where(User.id.in_(ids)))


def test_an_administrator_creates_and_changes_an_account_in_the_pages(
    client: TestClient, factory: sessionmaker[Session], cast: dict[str, User], newcomer: str
) -> None:
    login(client, "admin")
    page = client.get("/accounts/new", cookies={"lang": "en"})
    assert page.status_code == 200
    form = {"csrf_token": csrf_of(page.text), "username": "Not Valid!", "role": "reviewer",
            "department_code": "", "display_name": "Wang Fang", "email": "wang@example.org",
            "password": "long-enough-password"}  # fmt: skip
    refused = client.post("/accounts/new", data=form, cookies={"lang": "en"})
    assert refused.status_code == 422
    # Named by their labels, linked to the fields, with what was typed kept.
    assert '<a href="#username">Username</a>' in refused.text
    assert "Staff accounts need a department." in refused.text
    assert 'value="Wang Fang"' in refused.text and 'value="wang@example.org"' in refused.text
    form.update(username=newcomer, department_code="civil_affairs")
    made = client.post("/accounts/new", cookies={"lang": "en"}, follow_redirects=False, data=form)
    assert made.status_code == 303, made.text
    account_page = client.get(made.headers["location"], cookies={"lang": "en"})
    assert "The account was created." in account_page.text
    with factory() as session:
        account = session.scalars(select(User).where(User.username == newcomer)).one()
    entry = latest_account_entry(factory)
    assert entry["action"] == "create" and entry["account"] == f"user:{account.id}"
    assert entry["by"] == f"user:{cast['admin'].id}" and entry["role"] == "reviewer"
    assert newcomer not in json.dumps(entry) and "wang" not in json.dumps(entry).lower()
    # The new reviewer signs in; a new role ends that session at once.
    other = TestClient(client.app)
    login(other, newcomer, "long-enough-password")
    changed = client.post(f"/accounts/{account.id}", follow_redirects=False, data={
        "csrf_token": csrf_of(account_page.text), "role": "department_officer",
        "department_code": "civil_affairs", "display_name": "Wang Fang", "email": ""})  # fmt: skip
    assert changed.status_code == 303
    assert latest_account_entry(factory)["role"] == "department_officer"
    assert other.get("/", follow_redirects=False).text.count("Wang Fang") == 0  # signed out
    listed = client.get(f"/accounts?q={newcomer}", cookies={"lang": "en"}).text
    assert f'href="/accounts/{account.id}"' in listed and "Department officer" in listed


def test_an_administrator_cannot_lock_themselves_or_the_city_out(
    client: TestClient, cast: dict[str, User]
) -> None:
    login(client, "admin")
    admin = cast["admin"]
    page = client.get(f"/accounts/{admin.id}", cookies={"lang": "en"})
    token = csrf_of(page.text)
    own = client.post(f"/accounts/{admin.id}/disable", data={"csrf_token": token},
                      cookies={"lang": "en"})  # fmt: skip
    assert own.status_code == 409 and "ask another one" in own.text
    demoted = client.post(f"/accounts/{admin.id}", cookies={"lang": "en"}, data={
        "csrf_token": token, "role": "citizen", "department_code": "", "display_name": "x",
        "email": ""})  # fmt: skip
    assert demoted.status_code == 409
    # No session of another's survives without the token a form carries.
    forged = client.post(f"/accounts/{cast['reviewer'].id}/disable", data={})
    assert forged.status_code in (400, 403)


def test_others_may_not_manage_accounts(client: TestClient, cast: dict[str, User]) -> None:
    target = cast["citizen"].id
    for name in ("citizen", "reviewer", "officer", "auditor"):
        headers = bearer(client, name)
        assert client.post(f"/api/v1/users/{target}/disable", headers=headers).status_code == 403
        body = {"new": "another-long-password"}
        assert (
            client.post(f"/api/v1/users/{target}/password", json=body, headers=headers).status_code
            == 403
        )
    # The auditor reads the list, without a way to change it.
    login(client, "auditor")
    listed = client.get("/accounts", cookies={"lang": "en"})
    assert listed.status_code == 200 and "/accounts/new" not in listed.text
    assert client.get(f"/accounts/{target}").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(listed.text)})
    login(client, "citizen")
    assert client.get("/accounts").status_code == 403


def test_the_api_creates_changes_and_resets_with_field_messages(
    client: TestClient, factory: sessionmaker[Session], newcomer: str
) -> None:
    admin = bearer(client, "admin")
    bad = client.post("/api/v1/users", headers=admin, json={
        "username": newcomer, "password": "short", "role": "citizen"})  # fmt: skip
    assert bad.status_code == 422
    fields = {f["field"] for f in bad.json()["error"]["fields"]}
    assert fields == {"password", "person_id"}
    made = client.post("/api/v1/users", headers=admin, json={"username": newcomer,
        "password": PASSWORD, "role": "analyst", "email": "a@example.org"})  # fmt: skip
    assert made.status_code == 201, made.text
    account = made.json()
    assert account["email"] == "a@example.org" and account["active"] is True
    taken = client.post("/api/v1/users", headers=admin, json={
        "username": newcomer, "password": PASSWORD, "role": "analyst"})  # fmt: skip
    assert taken.status_code == 409
    theirs = bearer(client, newcomer)
    reset = client.post(f"/api/v1/users/{account['id']}/password", headers=admin,
                        json={"new": "a-new-long-password"})  # fmt: skip
    assert reset.status_code == 204
    assert client.get("/api/v1/me", headers=theirs).status_code == 401  # the old token ended
    assert latest_account_entry(factory)["action"] == "password_reset"
    changed = client.put(f"/api/v1/users/{account['id']}", headers=admin, json={
        "role": "auditor", "display_name": "Audit Two"})  # fmt: skip
    assert changed.status_code == 200 and changed.json()["role"] == "auditor"


def test_the_command_line_keeps_one_administrator_and_records_the_operator(
    tmp_path: Path,
) -> None:
    from tests.test_cli import smartgov

    assert smartgov("db", "upgrade", data=tmp_path).returncode == 0
    city = smartgov("demo", "city", "--people", "50", "--enterprises", "5", data=tmp_path)
    assert city.returncode == 0, city.stderr
    assert smartgov("demo", "accounts", data=tmp_path).returncode == 0
    last = smartgov("users", "disable", "admin", data=tmp_path)
    assert last.returncode == 1 and "last active administrator" in last.stderr
    env = {"SMARTGOV_NEW_PASSWORD": PASSWORD}
    made = smartgov("users", "create", "boss", "--role", "administrator",
                    "--department", "civil_affairs", env=env, data=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert smartgov("users", "disable", "admin", data=tmp_path).returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "smartgov.db") as db:
        bodies = [json.loads(b) for (b,) in db.execute("SELECT body FROM ledger_entry")]
    mine = [b for b in bodies if b["kind"] == "account"]
    assert [(b["action"], b["by"]) for b in mine][-2:] == [("create", "operator"),
                                                            ("disable", "operator")]  # fmt: skip


def test_an_action_no_button_offers_is_refused(client: TestClient, cast: dict[str, User]) -> None:
    page = login(client, "admin").get(f"/accounts/{cast['reviewer'].id}")
    made_up = client.post(f"/accounts/{cast['reviewer'].id}/promote",
                          data={"csrf_token": csrf_of(page.text)})  # fmt: skip
    assert made_up.status_code == 404
