"""Case processing end to end in process: applying, the decision worker, the review
policy with its second-check model, reviewers, appeals and the rules on who may act."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.cases.models import Case, CaseEvent, CheckModel
from smartgov.core.db import transaction
from smartgov.core.errors import Conflict, Forbidden, Invalid
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo.models import Person
from smartgov.ledger import service as ledger
from tests.conftest import open_case, papers

SERVICE = "old-age-allowance"


def key() -> str:
    return uuid.uuid4().hex


def residents(factory: sessionmaker[Session], n: int, offset: int = 0) -> list[str]:
    with factory() as session:
        return list(
            session.scalars(select(Person.resident_id).order_by(Person.id).offset(offset).limit(n))
        )


def apply_at_counter(
    factory: sessionmaker[Session], settings: Settings, counter: User, resident: str,
    service: str = SERVICE,
) -> str:  # fmt: skip
    with transaction(factory) as session:
        case, made = cases.submit(
            session, settings, actor=counter,
            app=cases.Application(service_id=service, idempotency_key=key(), channel="counter",
                                  consent=True, resident_id=resident),
        )  # fmt: skip
        assert made
        return case.ref


def get(factory: sessionmaker[Session], ref: str) -> Case:
    with factory() as session:
        return session.scalars(select(Case).where(Case.ref == ref)).one()


def test_it_makes_one_case_for_the_same_submission_twice(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    app = cases.Application(service_id="childcare-subsidy", idempotency_key=key(), consent=True,
                            documents=papers(settings, "childcare-subsidy"))  # fmt: skip
    with transaction(factory) as session:
        first, made = cases.submit(session, settings, actor=cast["citizen"], app=app)
    with transaction(factory) as session:
        again, made_again = cases.submit(session, settings, actor=cast["citizen"], app=app)
    assert made and not made_again and first.id == again.id
    other = cases.Application(service_id=SERVICE, idempotency_key=app.idempotency_key, consent=True)
    with transaction(factory) as session, pytest.raises(Conflict):
        cases.submit(session, settings, actor=cast["citizen"], app=other)


def test_it_refuses_applications_that_cannot_be_made(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    with factory() as session:
        with pytest.raises(Forbidden):  # a citizen for an enterprise subsidy
            cases.submit(session, settings, actor=cast["citizen"], app=cases.Application(
                service_id="startup-subsidy", idempotency_key=key(), consent=True))  # fmt: skip
        with pytest.raises(Invalid) as no_consent:
            cases.submit(session, settings, actor=cast["citizen"], app=cases.Application(
                service_id=SERVICE, idempotency_key=key()))  # fmt: skip
        assert [f.field for f in no_consent.value.fields] == ["consent"]
        with pytest.raises(Invalid) as unknown:
            cases.submit(session, settings, actor=cast["counter"], app=cases.Application(
                service_id=SERVICE, idempotency_key=key(), channel="counter", consent=True,
                resident_id="110101190001011234"))  # fmt: skip
        assert [f.field for f in unknown.value.fields] == ["resident_id"]
        with pytest.raises(Invalid) as channel:
            cases.submit(session, settings, actor=cast["citizen"], app=cases.Application(
                service_id=SERVICE, idempotency_key=key(), channel="counter",
                consent=True))  # fmt: skip
        assert [f.field for f in channel.value.fields] == ["channel"]


def test_it_reviews_until_a_check_model_exists_then_decides_alone(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    with transaction(factory) as session:  # whatever another module trained before
        session.execute(delete(CheckModel).where(CheckModel.service_id == SERVICE))
    refs = [apply_at_counter(factory, settings, cast["counter"], r) for r in residents(factory, 60)]
    while cases.decide_batch(factory, settings):
        pass
    for ref in refs:
        case = get(factory, ref)
        assert case.state == "awaiting_review" and "no_check_model" in case.review_reasons
        assert case.facts and case.sources and case.decision_seq is not None
    # Reviewers decide them (agreeing with the rules), which gives the model its past.
    with transaction(factory) as session:
        for ref in refs:
            case = cases.find_case(session, ref, cast["reviewer"])
            action = "approve" if case.automated_outcome == "eligible" else "reject"
            cases.review_case(
                session, case, reviewer=cast["reviewer"], action=action, version=case.version
            )
    with transaction(factory) as session:
        model = cases.train_check(session, settings, SERVICE, actor="test")
    assert model.version >= 1 and model.ledger_seq is not None
    fresh = apply_at_counter(factory, settings, cast["counter"], residents(factory, 1, 70)[0])
    cases.decide_batch(factory, settings)
    case = get(factory, fresh)
    if case.state == "decided":  # decided alone: the model agreed and was confident
        assert case.automated and case.review_reasons == [] and case.outcome
    else:
        assert set(case.review_reasons) <= {"disagreement", "low_confidence"}
    assert case.model_version == model.version and case.model_score is not None
    with factory() as session:
        entry = ledger.entries(session, case.decision_seq, case.decision_seq + 1)[0]
        actions = [e.action for e in cases.events_of(session, case)]
    assert entry.kind in ("decision", "check") and fresh in entry.body
    assert actions[:2] == ["submit", "check"]


def test_it_sends_high_impact_cases_to_a_person_and_needs_a_justification_to_override(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    resident = residents(factory, 1, 80)[0]
    ref = apply_at_counter(factory, settings, cast["counter"], resident, "minimum-living-allowance")
    cases.decide_batch(factory, settings)
    case = get(factory, ref)
    assert case.state == "awaiting_review" and "high_impact" in case.review_reasons
    against = "reject" if case.automated_outcome == "eligible" else "approve"
    with transaction(factory) as session:
        case = cases.find_case(session, ref, cast["reviewer"])
        with pytest.raises(Invalid) as missing:
            cases.review_case(
                session, case, reviewer=cast["reviewer"], action=against, version=case.version
            )
        # Approving what the rules refused needs an amount as well as the reasons.
        needed = ["justification", "amount"] if against == "approve" else ["justification"]
        assert [f.field for f in missing.value.fields] == needed
    with transaction(factory) as session:
        case = cases.find_case(session, ref, cast["reviewer"])
        cases.review_case(session, case, reviewer=cast["reviewer"], action=against,
                          version=case.version, justification="Checked the papers.",
                          amount=300.0 if against == "approve" else None)  # fmt: skip
    decided = get(factory, ref)
    assert decided.state == "decided" and decided.reviewer_id == cast["reviewer"].id
    with factory() as session:
        entry = ledger.entries(session, decided.decision_seq, decided.decision_seq + 1)[0]
    assert entry.kind == "review" and '"override":true' in entry.body


def test_it_keeps_reviewers_to_their_department_and_off_their_own_cases(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    ref = apply_at_counter(factory, settings, cast["counter"], residents(factory, 1, 90)[0],
                           "unemployment-insurance-benefit")  # fmt: skip
    cases.decide_batch(factory, settings)
    with factory() as session:
        case = session.scalars(select(Case).where(Case.ref == ref)).one()
        with pytest.raises(Forbidden):
            cases.review_case(
                session, case, reviewer=cast["reviewer"], action="approve", version=case.version
            )


def test_it_lets_only_one_of_two_reviewers_acting_at_once_succeed(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    ref = apply_at_counter(
        factory, settings, cast["counter"], residents(factory, 1, 95)[0], "minimum-living-allowance"
    )
    cases.decide_batch(factory, settings)
    first, second = factory(), factory()
    try:
        a = cases.find_case(first, ref, cast["reviewer"])
        b = cases.find_case(second, ref, cast["reviewer"])
        cases.review_case(first, a, reviewer=cast["reviewer"], action="ask", version=a.version,
                          justification="Send the lease.")  # fmt: skip
        first.commit()
        with pytest.raises(Exception) as lost:  # noqa: B017, PT011 - stale write or lock
            cases.review_case(second, b, reviewer=cast["reviewer"], action="approve",
                              version=b.version, justification="ok", amount=300.0)  # fmt: skip
            second.commit()
        assert "StaleData" in type(lost.value).__name__ or isinstance(lost.value, Conflict)
    finally:
        first.close()
        second.rollback()
        second.close()
    case = get(factory, ref)
    assert case.state == "needs_information"
    with factory() as session:
        events = session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id))
        assert list(events).count("ask_information") == 1


def test_two_reviews_at_once_end_in_one_decision_and_a_conflict(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    """Finding 14: the second of two concurrent reviews answered 500 (StaleDataError)."""
    ref = open_case(factory, settings, cast["citizen"])
    first, second = factory(), factory()
    try:
        mine = cases.find_case(first, ref, cast["reviewer"])
        theirs = cases.find_case(second, ref, cast["reviewer"])
        seen = mine.version
        assert theirs.version == seen
        cases.review_case(second, theirs, reviewer=cast["reviewer"], action="approve",
                          version=seen, justification="seen in person", amount=300.0)  # fmt: skip
        second.commit()
        with pytest.raises(Conflict) as late:
            cases.review_case(first, mine, reviewer=cast["reviewer"], action="approve",
                              version=seen, justification="seen", amount=300.0)  # fmt: skip
        assert late.value.fields[0].field == "version"
        first.rollback()
    finally:
        first.close()
        second.close()
    assert get(factory, ref).state == "decided"
