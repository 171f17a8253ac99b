"""Differentially private statistics: close to the truth with a large epsilon, charged
to the dataset's budget, refused beyond it, and every release logged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov.core.errors import Conflict, Forbidden, Invalid
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.demo.models import Person
from smartgov.exchange import service as exchange
from smartgov.exchange.models import Dataset, PrivacyAllowance
from smartgov.ledger import service as ledger
from tests.conftest import bearer

#: An officer of taxation, which keeps taxation.people and so spends its budget.
KEEPER = User(
    id=990, username="tax-officer", role=Role.department_officer, department_code="taxation"
)


def release(session: Session, settings: Settings, **args: object) -> exchange.privacy.Release:
    base = {"dataset_code": "taxation.people", "statistic": "count", "field": "monthly_income",
            "epsilon": 0.2, "user": KEEPER}  # fmt: skip
    return exchange.release_statistic(session, settings, **{**base, **args})  # type: ignore[arg-type]


def left_of(session: Session, code: str = "taxation.people") -> float:
    dataset = session.get(Dataset, code)
    assert dataset is not None
    session.refresh(dataset)
    return dataset.privacy_budget - dataset.privacy_spent


def test_it_releases_a_noisy_count_and_mean_near_the_truth(
    session: Session, settings: Settings
) -> None:
    dataset = session.get(Dataset, "taxation.people")
    assert dataset is not None
    dataset.privacy_budget = dataset.privacy_spent + 50
    people = session.scalar(select(func.count()).select_from(Person))
    mean = session.scalar(select(func.avg(Person.monthly_income)))
    count = release(session, settings, epsilon=20)
    assert count.value == pytest.approx(people, abs=3)
    average = release(session, settings, statistic="mean", epsilon=20, bounds=(0.0, 60000.0))
    assert average.value == pytest.approx(float(mean), rel=0.1)
    entry = ledger.entry(session, average.seq)
    assert entry is not None and entry.kind == "statistic" and '"outcome":"released"' in entry.body
    assert average.budget_left == pytest.approx(10)


def test_it_refuses_a_release_beyond_the_budget_and_logs_it(
    session: Session, settings: Settings
) -> None:
    left = left_of(session)  # what the demo's allowance to the analysts left
    assert left > 0.2
    release(session, settings, epsilon=left - 0.2)
    with pytest.raises(exchange.Refused) as refused:
        release(session, settings, epsilon=0.3)
    assert refused.value.status == 409 and "0.2" in refused.value.fields[0].text()
    last = ledger.entry(session, ledger.size(session) - 1)
    assert last is not None and '"outcome":"refused"' in last.body
    assert release(session, settings, epsilon=0.2).budget_left == pytest.approx(0)


def test_it_checks_the_statistic_it_is_asked_for(session: Session, settings: Settings) -> None:
    with pytest.raises(Invalid) as invalid:
        release(session, settings, statistic="mean", field="nope")
    assert {f.field for f in invalid.value.fields} == {"field", "lower"}
    with pytest.raises(Invalid):
        release(session, settings, dataset_code="housing.people", statistic="mean",
                field="household_housing", bounds=(0.0, 1.0))  # fmt: skip


def test_analysts_spend_only_the_allowance_the_keeping_department_gave(
    client: TestClient,
) -> None:
    analyst = {**bearer(client, "analyst"), "accept-language": "en"}
    given = [a for a in client.get("/api/v1/statistics/allowances", headers=analyst).json()
             if a["dataset_code"] == "hrss.people" and a["consumer"] == "role:analyst"]  # fmt: skip
    assert given and given[0]["given_by"] == "demo:hrss"  # the demo's set-up, visibly
    allowance = given[0]["epsilon"] - given[0]["spent"]
    asked = {"dataset": "hrss.people", "statistic": "count", "field": "insurance_months",
             "epsilon": 0.1}  # fmt: skip
    made = client.post("/api/v1/statistics/private", json=asked, headers=analyst)
    assert made.status_code == 200, made.text
    assert made.json()["budget_left"] == pytest.approx(allowance - 0.1)
    too_much = client.post(
        "/api/v1/statistics/private", json={**asked, "epsilon": 5}, headers=analyst
    )
    assert too_much.status_code == 409
    assert "of your allowance is left" in too_much.json()["error"]["fields"][0]["message"]
    denied = client.post(
        "/api/v1/statistics/private", json=asked, headers=bearer(client, "citizen")
    )
    assert denied.status_code == 403


def test_no_department_spends_anothers_privacy_budget(client: TestClient, session: Session) -> None:
    """Finding 9: a public security officer spent taxation's whole budget, and the
    analyst was refused for good."""
    before = left_of(session)
    officer = {**bearer(client, "officer"), "accept-language": "en"}  # public security
    asked = {"dataset": "taxation.people", "statistic": "count", "field": "monthly_income",
             "epsilon": 0.1}  # fmt: skip
    spent = client.post("/api/v1/statistics/private", json=asked, headers=officer)
    assert spent.status_code == 403
    assert spent.json()["error"]["fields"][0] == {
        "field": "dataset", "message": "Ask taxation for an allowance."}  # fmt: skip
    assert left_of(session) == pytest.approx(before)
    # Nor can it hand taxation's budget to itself or anyone else.
    gift = {"dataset": "taxation.people", "consumer": "role:department_officer", "epsilon": 0.1}
    assert (
        client.post("/api/v1/statistics/allowances", json=gift, headers=officer).status_code == 403
    )
    assert left_of(session) == pytest.approx(before)


def test_the_keeping_department_gives_an_allowance_from_what_is_left(
    session: Session, settings: Settings, cast: dict[str, User]
) -> None:
    before = left_of(session)
    officer = cast["officer"]  # public security, not the keeper

    def give(epsilon: float, actor: User, consumer: str = f"user:{officer.id}") -> object:
        return exchange.give_allowance(
            session, dataset_code="taxation.people", consumer=consumer, epsilon=epsilon, actor=actor
        )

    with pytest.raises(Forbidden):
        give(0.1, officer)
    with pytest.raises(Invalid) as bad:
        give(0.1, KEEPER, "wizard")
    assert bad.value.fields[0].field == "consumer"
    with pytest.raises(Conflict):
        give(before + 1, KEEPER)
    given = give(0.1, KEEPER)
    assert isinstance(given, PrivacyAllowance)
    assert left_of(session) == pytest.approx(before - 0.1)  # reserved at once
    entry = ledger.entry(session, given.ledger_seq)
    assert entry is not None and entry.kind == "allowance"
    made = release(session, settings, epsilon=0.05, user=officer)
    assert made.budget_left == pytest.approx(0.05)
    assert left_of(session) == pytest.approx(before - 0.1)  # spent from the allowance
