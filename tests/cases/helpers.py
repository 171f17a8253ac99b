"""Building a service's past for tests: applications at the counter, decided by the
worker, reviewed by a person, and a check model trained on them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.cases.models import CheckModel
from smartgov.core.db import transaction
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo.models import Person


def apply_at_counter(factory: sessionmaker[Session], settings: Settings, counter: User,
                     residents: list[str], service: str) -> list[str]:  # fmt: skip
    refs = []
    with transaction(factory) as session:
        for resident in residents:
            case, _ = cases.submit(
                session, settings, actor=counter,
                app=cases.Application(service_id=service, idempotency_key=uuid.uuid4().hex,
                                      channel="counter", consent=True, resident_id=resident),
            )  # fmt: skip
            refs.append(case.ref)
    return refs


def decided(factory: sessionmaker[Session], settings: Settings, counter: User,
            residents: list[str], service: str) -> list[str]:  # fmt: skip
    """Applications at the counter for ``residents``, each checked by the worker."""
    refs = apply_at_counter(factory, settings, counter, residents, service)
    while cases.decide_batch(factory, settings):
        pass
    return refs


def trained(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User], service: str
) -> CheckModel:
    """The service's check model, trained (once) on reviewed decisions for the oldest
    and the youngest residents, so both outcomes are well represented."""
    with factory() as session:
        found = session.scalars(select(CheckModel).where(CheckModel.service_id == service)).first()
        if found is not None:
            return found
        oldest = session.scalars(select(Person.resident_id).order_by(Person.birth_date).limit(30))
        youngest = session.scalars(
            select(Person.resident_id).order_by(Person.birth_date.desc()).limit(30)
        )
        residents = list(oldest) + list(youngest)
    refs = decided(factory, settings, cast["counter"], residents, service)
    with transaction(factory) as session:
        for ref in refs:
            case = cases.find_case(session, ref, cast["reviewer"])
            if case.state != "awaiting_review":
                continue
            action = "approve" if case.automated_outcome == "eligible" else "reject"
            cases.review_case(
                session, case, reviewer=cast["reviewer"], action=action, version=case.version
            )
    with transaction(factory) as session:
        return cases.train_check(session, settings, service, actor="test")
