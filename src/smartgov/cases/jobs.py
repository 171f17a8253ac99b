"""The decision worker: claims submitted cases, decides them and writes the results,
one transaction per batch. A crash anywhere before the commit leaves every case of the
batch as it was (submitted), after it every case fully decided: there is no state in
between that survives a crash.

Claiming: on PostgreSQL, ``SELECT ... FOR UPDATE SKIP LOCKED``, so several workers
take different cases and never wait for each other. SQLite has one writer at a time:
the worker reads and decides without a lock, then takes the write lock (BEGIN
IMMEDIATE) only to write, keeping the cases nobody changed in between; a second worker
that decided the same cases finds them taken and writes nothing for them."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from smartgov.cases import decide, notify, second_check
from smartgov.cases.models import Case, ServiceAlert
from smartgov.cases.workflow import State, log_many, shift
from smartgov.core.clock import now, today
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.settings import Settings
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules

log = logging.getLogger(__name__)

BATCH = 50
WORKER = "worker"


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text."""
    return json.loads(json.dumps(value, default=str))


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def claim(session: Session, limit: int) -> list[Case]:
    """The next submitted cases. On PostgreSQL they are locked for this transaction and
    skipped by other workers; on SQLite they are only read (see ``still_submitted``)."""
    query = select(Case).where(Case.state == State.submitted.value).order_by(Case.id).limit(limit)
    if _postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def still_submitted(session: Session, cases: list[Case]) -> list[Case]:
    """SQLite: take the database's write lock now, after the reading and deciding, so
    applications keep arriving while a batch is worked out; then keep only the cases
    nobody changed meanwhile (another worker, a withdrawal). The rest are left as they
    are, for whoever changed them."""
    session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    rows = session.execute(
        select(Case.id, Case.version).where(
            Case.id.in_([c.id for c in cases]), Case.state == State.submitted.value
        )
    )
    current = {case_id: version for case_id, version in rows}
    kept = [c for c in cases if current.get(c.id) == c.version]
    for case in cases:
        if case not in kept:
            session.expunge(case)
    return kept


def _alerts(session: Session) -> set[str]:
    return set(
        session.scalars(select(ServiceAlert.service_id).where(ServiceAlert.closed_at.is_(None)))
    )


def decide_batch(factory: sessionmaker[Session], settings: Settings, *, limit: int = BATCH,
                 on: date | None = None) -> int:  # fmt: skip
    """Decide up to ``limit`` submitted cases; how many were decided or sent to review.

    Everything is read and worked out first, service by service (one read of each
    dataset for all the service's cases), and written at the end in one go: the cases'
    results, their events, and one ledger append for the batch's reads and second_check."""
    with transaction(factory) as session:
        cases = claim(session, limit)
        if not cases:
            return 0
        day = on or today()
        recorder = ledger.Deferred()
        alerts = _alerts(session)
        catalogue = rules.services(settings)
        verdicts: dict[int, decide.Verdict | None] = {}
        by_service: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            by_service[case.service_id].append(case)
        for service_id, group in by_service.items():
            service = catalogue.get(service_id)
            if service is None:  # withdrawn from publication since it was applied for
                verdicts.update({c.id: None for c in group})
                continue
            model = second_check.latest(session, service_id)
            reads = decide.read_inputs(session, settings, service, group, recorder)
            for case, read in zip(group, reads, strict=True):
                try:
                    verdicts[case.id] = decide.check(
                        case, service, read, model=model, alert_open=service_id in alerts,
                        on=day,
                    )  # fmt: skip
                except Exception as exc:  # noqa: BLE001 - one bad case must not stall the queue
                    log.warning("check of %s failed: %s", case.ref, type(exc).__name__)
                    verdicts[case.id] = decide.failed(case, service, read)
        if not _postgres(session):
            cases = still_submitted(session, cases)
        events: list[dict[str, object]] = []
        places = {}
        for case in cases:
            events.append(shift(case, State.checking, action="check", actor=WORKER))
            found = verdicts[case.id]
            if found is None:
                case.review_reasons = ["service_withdrawn"]
                events.append(shift(case, State.awaiting_review, action="route_to_review",
                                    actor=WORKER, reason="service_withdrawn"))  # fmt: skip
            else:
                kind = "decision" if found.automated else "check"
                places[case.id] = recorder.add(kind, _entry(case, found))
        positions = recorder.flush(session)
        for case in cases:
            found = verdicts[case.id]
            if found is not None:
                events.append(_write(session, case, found, positions[places[case.id]]))
        session.flush()  # the cases' updates, each checked against the version read
        log_many(session, events)
        return len(cases)


def _entry(case: Case, verdict: decide.Verdict) -> dict[str, Any]:
    """The ledger's record of a check: enough to re-run it, nothing that names anyone."""
    return {
        "case": case.ref,
        "service": case.service_id,
        "rule_version": verdict.payload["version"],
        "model_version": verdict.model_version,
        "model_score": round(verdict.score.eligible, 4) if verdict.score else None,
        "input_hash": verdict.input_hash,
        "subject": verdict.subject,
        "outcome": verdict.outcome,
        "amount": verdict.amount,
        "automated": verdict.automated,
        "review_reasons": verdict.reasons,
    }


def _write(session: Session, case: Case, verdict: decide.Verdict, seq: int) -> dict[str, object]:
    case.automated_outcome = verdict.outcome
    case.rule_version = verdict.payload["version"]
    case.model_version = verdict.model_version
    case.model_score = verdict.score.eligible if verdict.score else None
    case.input_hash = verdict.input_hash
    case.facts = _plain(verdict.facts)
    case.sources = verdict.sources
    case.decision = _plain(
        {**verdict.payload, "contributions": verdict.score.contributions if verdict.score else []}
    )
    case.review_reasons = verdict.reasons
    case.decision_seq = seq
    if verdict.automated:
        case.outcome, case.amount, case.automated, case.decided_at = (
            verdict.outcome, verdict.amount, True, now())  # fmt: skip
        notify.case_changed(session, case, "decided")
        return shift(case, State.decided, action="decide", actor=WORKER, reason="automated")
    case.automated = False
    notify.case_changed(session, case, "in_review")
    return shift(case, State.awaiting_review, action="route_to_review", actor=WORKER,
                 reason=", ".join(verdict.reasons))  # fmt: skip


CHANNEL = "smartgov_cases"


def announce(session: Session) -> None:
    """Tell workers in other processes that a case waits (PostgreSQL delivers the
    notification when the transaction commits, and only then)."""
    if _postgres(session):
        session.execute(text(f"NOTIFY {CHANNEL}"))


class _Listener:
    """A PostgreSQL connection that LISTENs for ``announce``: a worker in its own
    process wakes when a case is submitted instead of at its next poll."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        engine = factory.kw["bind"]
        self._conn: Any = None
        if engine.dialect.name == "postgresql":
            raw = engine.raw_connection()
            raw.detach()  # ours for the worker's life, not the pool's
            self._conn = raw.dbapi_connection
            self._conn.autocommit = True
            self._conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, wake: threading.Event, seconds: float) -> None:
        """Until a notification, ``wake`` (a submission in this process, or ``stop``),
        or ``seconds``, whichever comes first."""
        if self._conn is None:
            wake.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        while not wake.is_set() and (left := deadline - time.monotonic()) > 0:
            for _ in self._conn.notifies(timeout=min(left, 0.25), stop_after=1):
                return

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class Worker:
    """The decision loop in a thread: ``smartgov serve`` runs one on the embedded
    default, ``smartgov worker`` runs it in the foreground. ``wake`` lets a fresh
    submission start a batch at once instead of at the next poll."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings, *,
                 poll: float = 0.2, limit: int = BATCH,
                 channel: notify.Channel | None = None) -> None:  # fmt: skip
        self._factory, self._settings, self._poll, self._limit = factory, settings, poll, limit
        self._channel = channel
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def run(self, until: Callable[[], bool] = lambda: False) -> int:
        """Decide batches until stopped (or ``until`` says so); how many cases."""
        done = 0
        listener = _Listener(self._factory)
        while not self._stop.is_set() and not until():
            try:
                taken = decide_batch(self._factory, self._settings, limit=self._limit)
            except Exception as exc:  # noqa: BLE001 - the batch rolled back; try again later
                # The kind only: a traceback's messages can quote a case's facts.
                log.error(
                    "decision batch failed (%s); its cases stay submitted", type(exc).__name__
                )
                taken = 0
            done += taken
            if self._channel is not None:
                self._deliver(self._channel)
            if taken < self._limit:
                listener.wait(self._wake, self._poll)
                self._wake.clear()
        listener.close()
        return done

    def _deliver(self, channel: notify.Channel) -> None:
        try:
            with transaction(self._factory) as session:
                notify.deliver(session, channel, language=self._settings.language)
        except Exception as exc:  # noqa: BLE001 - notices stay unsent and go out next time
            log.error("sending notifications failed (%s)", type(exc).__name__)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="case-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)


def in_server(state: Any) -> Worker | None:  # noqa: ANN401 - the app's state
    """The in-server decision worker (a capability job): on the embedded default, or
    when the settings ask for one. It has an engine of its own, disposed with the app's."""
    settings: Settings = state.settings
    if not settings.runs_case_worker:
        return None
    engine = make_engine(settings)
    state.engines.append(engine)
    return Worker(make_sessionmaker(engine), settings, channel=notify.channel(settings))
