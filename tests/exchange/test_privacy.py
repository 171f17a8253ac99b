"""Differentially private statistics: close to the truth with a large epsilon, charged
to the dataset's budget, refused beyond it, and every release logged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov.core.errors import Invalid
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.exchange.models import Dataset, Person
from smartgov.ledger import service as ledger
from tests.conftest import bearer


def release(session: Session, settings: Settings, **args: object) -> exchange.privacy.Release:
    base = {"dataset_code": "taxation.people", "statistic": "count", "field": "monthly_income",
            "epsilon": 0.2, "by": "test"}  # fmt: skip
    return exchange.release_statistic(session, settings, **{**base, **args})  # type: ignore[arg-type]


def test_it_releases_a_noisy_count_and_mean_near_the_truth(
    session: Session, settings: Settings
) -> None:
    session.get(Dataset, "taxation.people").privacy_budget = 50  # type: ignore[union-attr]
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
    budget = session.get(Dataset, "taxation.people")
    assert budget is not None and budget.privacy_spent == 0
    release(session, settings, epsilon=0.6)
    with pytest.raises(exchange.Refused) as refused:
        release(session, settings, epsilon=0.6)
    assert refused.value.status == 409 and "0.4" in refused.value.fields[0].text()
    last = ledger.entry(session, ledger.size(session) - 1)
    assert last is not None and '"outcome":"refused"' in last.body
    assert release(session, settings, epsilon=0.4).budget_left == pytest.approx(0)


def test_it_checks_the_statistic_it_is_asked_for(session: Session, settings: Settings) -> None:
    with pytest.raises(Invalid) as invalid:
        release(session, settings, statistic="mean", field="nope")
    assert {f.field for f in invalid.value.fields} == {"field", "lower"}
    with pytest.raises(Invalid):
        release(session, settings, dataset_code="housing.people", statistic="mean",
                field="household_housing", bounds=(0.0, 1.0))  # fmt: skip


def test_it_serves_private_statistics_to_analysts(client: TestClient) -> None:
    asked = {"dataset": "hrss.people", "statistic": "count", "field": "insurance_months",
             "epsilon": 0.3}  # fmt: skip
    made = client.post("/api/v1/statistics/private", json=asked, headers=bearer(client, "analyst"))
    assert made.status_code == 200, made.text
    assert made.json()["budget_left"] == pytest.approx(0.7)
    too_much = client.post(
        "/api/v1/statistics/private",
        json={**asked, "epsilon": 5},
        headers=bearer(client, "analyst"),
    )
    assert too_much.status_code == 409
    denied = client.post(
        "/api/v1/statistics/private", json=asked, headers=bearer(client, "citizen")
    )
    assert denied.status_code == 403
