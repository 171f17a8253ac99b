"""The decision worker under failure and concurrency: a worker killed mid-batch loses
and half-decides nothing; two workers never take the same case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import service as cases
from smartgov.cases.models import Case, CaseEvent
from smartgov.core.db import transaction
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo.models import Person
from smartgov.ledger import keys
from smartgov.ledger import service as ledger

# Run in a child process: decide one batch, dying (os._exit, no clean-up at all) at the
# chosen point, as a power cut or a kill -9 would.
CHILD = """
import os, sys, json
from pathlib import Path
from smartgov.core.settings import Settings
from smartgov.core.db import make_engine, make_sessionmaker
from smartgov.cases import jobs, decide
config = json.loads(sys.argv[1])
settings = Settings(**config["settings"])
point, after = config["point"], config["after"]
calls = {"n": 0}
def dying(original):
    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            os._exit(17)
        return original(*args, **kwargs)
    return wrapper
if point == "check":
    decide.check = dying(decide.check)
else:
    jobs._write = dying(jobs._write)
jobs.decide_batch(make_sessionmaker(make_engine(settings)), settings, limit=10)
os._exit(0)
"""


def submitted(
    factory: sessionmaker[Session], settings: Settings, counter: User, n: int
) -> list[str]:
    with factory() as session:
        residents = list(session.scalars(select(Person.resident_id).order_by(Person.id).limit(n)))
    refs = []
    with transaction(factory) as session:
        for resident in residents:
            case, _ = cases.submit(
                session, settings, actor=counter,
                app=cases.Application(service_id="old-age-allowance",
                                      idempotency_key=uuid.uuid4().hex, channel="counter",
                                      consent=True, resident_id=resident),
            )  # fmt: skip
            refs.append(case.ref)
    return refs


def drain(factory: sessionmaker[Session], settings: Settings) -> None:
    while cases.decide_batch(factory, settings):
        pass


@pytest.mark.parametrize(("point", "after"), [("check", 4), ("write", 3)])
def test_it_loses_nothing_and_decides_nothing_twice_when_a_worker_dies_mid_batch(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User], point: str,
    after: int,
) -> None:  # fmt: skip
    drain(factory, settings)
    refs = submitted(factory, settings, cast["counter"], 10)
    with factory() as session:
        size_before = ledger.size(session)
    config = {
        "settings": {"environment": "test", "database_url": settings.effective_database_url,
                     "data_dir": str(settings.data_dir),
                     "secret_key": settings.secret_key.get_secret_value(),
                     "services_dir": str(settings.services_dir)},
        "point": point, "after": after,
    }  # fmt: skip
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert child.returncode == 17, child.stderr
    with factory() as session:
        states = set(session.scalars(select(Case.state).where(Case.ref.in_(refs))))
        assert states == {"submitted"}  # untouched: the batch's transaction never committed
        assert ledger.size(session) == size_before
    drain(factory, settings)
    with factory() as session:
        found = session.scalars(select(Case).where(Case.ref.in_(refs))).all()
        assert {c.state for c in found} <= {"decided", "awaiting_review"}
        checks = session.execute(
            select(CaseEvent.case_id, func.count())
            .where(CaseEvent.case_id.in_([c.id for c in found]), CaseEvent.action == "check")
            .group_by(CaseEvent.case_id)
        ).all()
        assert sorted(n for _, n in checks) == [1] * len(refs)  # decided exactly once
        signer = keys.from_settings(settings)
        ledger.sign(session, signer)
        session.commit()
        assert ledger.verify_log(session, signer.verifier).problems == []


def test_it_never_gives_two_workers_the_same_case(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    drain(factory, settings)
    refs = submitted(factory, settings, cast["counter"], 40)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while cases.decide_batch(factory, settings, limit=5):
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with factory() as session:
        ids = list(session.scalars(select(Case.id).where(Case.ref.in_(refs))))
        checks = session.execute(
            select(CaseEvent.case_id, func.count())
            .where(CaseEvent.case_id.in_(ids), CaseEvent.action == "check")
            .group_by(CaseEvent.case_id)
        ).all()
    assert len(checks) == len(refs) and all(n == 1 for _, n in checks)


def test_a_waiting_worker_wakes_for_a_new_application(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User]
) -> None:
    """Polling every 30 s, the worker still decides within seconds: on PostgreSQL a
    NOTIFY at commit wakes it across processes; in one process, ``wake`` does."""
    drain(factory, settings)
    worker = cases.Worker(factory, settings, poll=30)
    worker.start()
    try:
        time.sleep(0.5)  # the worker has looked, found nothing and is waiting
        (ref,) = submitted(factory, settings, cast["counter"], 1)
        if not settings.effective_database_url.startswith("postgresql"):
            worker.wake()
        deadline = time.monotonic() + 10
        state = "submitted"
        while state == "submitted" and time.monotonic() < deadline:
            time.sleep(0.05)
            with factory() as session:
                state = session.scalars(select(Case.state).where(Case.ref == ref)).one()
        assert state in ("decided", "awaiting_review")
    finally:
        worker.stop()


def test_a_case_whose_check_fails_goes_to_a_person_without_stalling_the_rest(
    factory: sessionmaker[Session], settings: Settings, cast: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Fault injection, as in the crash test: the check raises for one case."""
    from smartgov.cases import decide

    drain(factory, settings)
    refs = submitted(factory, settings, cast["counter"], 5)
    real = decide.check

    def failing(case: Case, *args: object, **kwargs: object) -> decide.Verdict:
        if case.ref == refs[2]:
            raise ValueError("a registry value the rules refuse")
        return real(case, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(decide, "check", failing)
    drain(factory, settings)
    with factory() as session:
        found = {c.ref: c for c in session.scalars(select(Case).where(Case.ref.in_(refs)))}
    assert found[refs[2]].state == "awaiting_review"
    assert found[refs[2]].review_reasons == ["check_failed"]
    assert all(found[r].state in ("decided", "awaiting_review") for r in refs)
    assert all("check_failed" not in found[r].review_reasons for r in refs if r != refs[2])
