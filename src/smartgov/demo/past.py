"""The demo city's past: for every published service, applications made at the counter
for residents (or enterprises) drawn from the registries, checked by the worker and
decided by a reviewer of the owning department, the same code paths as real cases.
Each service's second-check model is then trained on that past, so new applications
can be decided without a person. Nothing here runs in production."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.core.db import transaction
from smartgov.core.errors import DomainError
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.demo import city
from smartgov.rules import service as rules


@dataclass(frozen=True)
class History:
    service: str
    cases: int
    model_version: int | None
    accuracy: float | None


def _staff(session: Session, role: Role, department: str | None = None) -> User | None:
    query = select(User).where(User.role == role.value, User.active.is_(True))
    if department:
        query = query.where(User.department_code == department)
    return session.scalars(query.order_by(User.id)).first()


def history(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    per_service: int = 800,
    seed: int = 1,
    progress: Callable[[str], None] = lambda _line: None,
) -> list[History]:
    """Applications at the counter for each service, decided by the worker, reviewed by
    the demo's reviewer, and a check model trained on them; ``progress`` hears each step
    (the whole takes a minute or two)."""
    rng = np.random.default_rng(seed)
    made: list[History] = []
    with factory() as session:
        counter = _staff(session, Role.counter_officer)
        people = city.identifiers(session, "person")
        firms = city.identifiers(session, "enterprise")
    if counter is None:
        raise DomainError("no counter officer: run `smartgov demo accounts` first")
    for service_id, service in sorted(rules.services(settings).services.items()):
        with factory() as session:
            reviewer = _staff(session, Role.reviewer, service.definition.department)
            if reviewer is None or cases.latest_check(session, service_id) is not None:
                continue
        pool = firms if service.definition.unit == "enterprise" else people
        progress(f"{service_id}: {min(per_service, len(pool))} applications at the counter")
        chosen = [
            pool[i] for i in rng.choice(len(pool), min(per_service, len(pool)), replace=False)
        ]
        with transaction(factory) as session:
            refs = []
            for index, code in enumerate(chosen):
                app = cases.Application(
                    service_id=service_id, idempotency_key=uuid.uuid4().hex,
                    channel="counter" if index % 3 else "phone", consent=True,
                    resident_id=None if service.definition.unit == "enterprise" else code,
                    credit_code=code if service.definition.unit == "enterprise" else None,
                )  # fmt: skip
                case, _ = cases.submit(session, settings, actor=counter, app=app)
                refs.append(case.ref)
        progress(f"{service_id}: deciding and reviewing")
        while cases.decide_batch(factory, settings, limit=200):
            pass
        with transaction(factory) as session:
            made_now = set(refs)
            waiting = cases.queue(
                session, reviewer, state="awaiting_review", service_id=service_id, limit=100_000
            )
            for case in (c for c in waiting if c.ref in made_now):
                # The demo reviewer agrees with the rules where they decided; where they
                # could not (missing data), the case is refused, as a person would.
                action = "approve" if case.automated_outcome == "eligible" else "reject"
                cases.review_case(session, case, reviewer=reviewer, action=action,
                              version=case.version,
                              justification="" if case.automated_outcome != "undetermined"
                              else "Registry data missing.")  # fmt: skip
        progress(f"{service_id}: training its second check")
        try:
            with transaction(factory) as session:
                model = cases.train_check(session, settings, service_id, actor="demo-history")
                made.append(History(service_id, len(refs), model.version,
                                    model.metrics.get("cross_validated_accuracy")))  # fmt: skip
        except DomainError:
            made.append(History(service_id, len(refs), None, None))
    return made


def has_history(session: Session) -> bool:
    return cases.has_cases(session)
