"""A case's facts and a reviewer's words enter the ledger only as keyed hashes whose
salt stays in the case row: someone holding the whole log, and every fact of a case but
the applicant's birth date, cannot find that date by trying every day of a century."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import decide
from smartgov.cases import service as cases
from smartgov.cases.models import Case
from smartgov.core.db import transaction
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo.models import Person
from smartgov.ledger import service as ledger


def plain_hash(facts: dict[str, Any]) -> str:
    """How an input hash was made before: SHA-256 of the facts, with no key."""
    text = json.dumps(facts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def decided_case(
    factory: sessionmaker[Session], settings: Settings, counter: User, *, human: bool = False
) -> Case:
    with factory() as session:
        resident = session.scalars(select(Person.resident_id).order_by(Person.birth_date)).first()
    with transaction(factory) as session:
        case, _ = cases.submit(
            session, settings, actor=counter,
            app=cases.Application(service_id="old-age-allowance", idempotency_key=uuid.uuid4().hex,
                                  channel="counter", consent=True, resident_id=resident,
                                  human_decision=human),
        )  # fmt: skip
        ref = case.ref
    while cases.decide_batch(factory, settings):
        pass
    with factory() as session:
        return session.scalars(select(Case).where(Case.ref == ref)).one()


def test_a_dictionary_attack_on_a_birth_date_fails(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    case = decided_case(factory, settings, cast["counter"])
    assert case.facts is not None and case.decision_seq is not None
    with factory() as session:
        entry = ledger.entry(session, case.decision_seq)
        assert entry is not None
        logged = entry.record["input_hash"]
    true_date = case.facts["birth_date"]
    days = [str(date(1900, 1, 1) + timedelta(days=d)) for d in range(46_000)]  # to 2025
    assert true_date in days
    # Against an unkeyed hash the attack works: the dictionary holds the answer.
    unkeyed = {plain_hash({**case.facts, "birth_date": d}): d for d in days}
    assert unkeyed[plain_hash(case.facts)] == true_date
    # Against what the ledger holds, no guess matches: the salt is not in the log.
    assert logged not in unkeyed
    assert all(
        decide.commitment(b"\x00" * 16, {**case.facts, "birth_date": d}) != logged
        for d in days[:2000]
    )
    # Whoever holds the case row can still show the log recorded exactly these facts.
    assert decide.commitment(case.salt, case.facts) == logged
    assert decide.commitment(case.salt, {**case.facts, "birth_date": days[0]}) != logged


def test_a_reviewers_justification_stays_in_the_case_row(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    case = decided_case(factory, settings, cast["counter"], human=True)  # a person decides
    words = "Seen in person: the applicant's hospital stay explains the gap."
    with transaction(factory) as session:
        found = cases.find_case(session, case.ref, cast["reviewer"])
        assert found.state == "awaiting_review"
        action = "reject" if found.automated_outcome == "eligible" else "approve"
        cases.review_case(session, found, reviewer=cast["reviewer"], action=action,
                          version=found.version, justification=words)  # fmt: skip
        seq, salt = found.decision_seq, found.salt
    with factory() as session:
        entry = ledger.entry(session, seq)
        assert entry is not None
        assert "hospital" not in entry.body and "justification" not in entry.record
        assert entry.record["justification_hash"] == decide.commitment(salt, words)
