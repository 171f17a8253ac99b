"""The second check stays independent of the rules: it learns only from decisions people
made, sees each past case as its check did (ages on the day the rules ran), and its
disagreement with the rules is reported per month, so drift shows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import second_check
from smartgov.cases import service as cases
from smartgov.cases.models import Case, CheckModel
from smartgov.core.clock import now
from smartgov.core.db import transaction
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo.models import Person
from smartgov.rules import service as rules
from tests.cases.helpers import decided, trained
from tests.conftest import bearer

SERVICE = "old-age-allowance"  # standard risk: with a model, cases are decided alone


@pytest.fixture(scope="module")
def later(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> Iterator[list[str]]:
    """A model trained on reviewed decisions, then new cases the worker decides with it.
    The models made here are removed afterwards: other modules expect the service to
    have none until they train one."""
    with factory() as session:
        before = set(session.scalars(select(CheckModel.id)))
    trained(factory, settings, cast, SERVICE)
    with factory() as session:
        middle = session.scalars(
            select(Person.resident_id).order_by(Person.birth_date).offset(150).limit(40)
        )
        chosen = list(middle)
    refs = decided(factory, settings, cast["counter"], chosen, SERVICE)
    yield refs
    with transaction(factory) as session:
        kept = CheckModel.id.not_in(before)
        session.execute(delete(CheckModel).where(CheckModel.service_id == SERVICE, kept))


def _count(session: Session, *where: object) -> int:
    query = select(func.count()).select_from(Case).where(Case.service_id == SERVICE, *where)
    return session.scalar(query) or 0  # type: ignore[arg-type]


def test_it_learns_only_from_decisions_people_made(
    factory: sessionmaker[Session], settings: Settings, later: list[str]
) -> None:
    with factory() as session:
        alone = _count(session, Case.state == "decided", Case.reviewer_id.is_(None))
        by_people = _count(session, Case.state == "decided", Case.reviewer_id.is_not(None))
    assert alone > 0, "the worker decided none of the new cases alone"
    service = rules.get_service(settings, SERVICE)
    with factory() as session:
        model = cases.train_check(session, settings, SERVICE, actor="test")
        session.rollback()
        x, labels = second_check.training_set(session, service)
    assert model.trained_on == by_people == len(labels) == len(x)


def test_past_cases_are_seen_on_the_day_their_rules_ran(
    factory: sessionmaker[Session], settings: Settings, later: list[str]
) -> None:
    service = rules.get_service(settings, SERVICE)
    column = second_check.feature_names(service).index("birth_date")
    with factory() as session:
        people = list(session.scalars(
            select(Case).where(Case.service_id == SERVICE, Case.state == "decided",
                               Case.reviewer_id.is_not(None)).order_by(Case.id)
        ))  # fmt: skip
        ran_on = date(2016, 3, 1)  # as if every reviewed case had been checked ten years ago
        born = [case.facts.get("birth_date") for case in people]
        for case in people:
            case.decision = {**(case.decision or {}), "on": ran_on.isoformat()}
        session.flush()
        x, _labels = second_check.training_set(session, service)
        session.rollback()
    days = [None if b is None else date.fromisoformat(str(b)[:10]) for b in born]

    def ages(on: date) -> np.ndarray:  # type: ignore[type-arg]
        return np.array([np.nan if b is None else (on - b).days / 365.25 for b in days])

    assert np.allclose(x[:, column], ages(ran_on), equal_nan=True)
    assert not np.allclose(x[:, column], ages(now().date()), equal_nan=True)


def test_disagreement_with_the_rules_is_reported_per_month(
    client: TestClient, factory: sessionmaker[Session], later: list[str]
) -> None:
    with factory() as session:
        scored = list(session.scalars(
            select(Case).where(Case.service_id == SERVICE, Case.model_version.is_not(None),
                               Case.automated_outcome.in_(("eligible", "ineligible")))
        ))  # fmt: skip
    assert scored, "no case was scored by the model"
    answer = client.get(
        f"/api/v1/cases-metrics?service={SERVICE}", headers=bearer(client, "analyst")
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["disagreement"]
    month = now().strftime("%Y-%m")
    assert [(r["service"], r["month"]) for r in rows] == [(SERVICE, month)]
    assert rows[0]["checked"] == len(scored)
    assert rows[0]["disagreed"] == sum("disagreement" in c.review_reasons for c in scored)
    assert rows[0]["share"] == pytest.approx(rows[0]["disagreed"] / rows[0]["checked"])
    assert client.get("/api/v1/cases-metrics", headers=bearer(client, "citizen")).status_code == 403
