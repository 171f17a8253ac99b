"""The purpose-bound read: check the grants, read the providers, pseudonymise, and
record the access (or the refusal) in the ledger, with an index row for the citizen.

A refusal is recorded before it is raised, and ``Refused`` tells the transaction to
commit that record: a refused read leaves a trace like a granted one."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, cast

import pyarrow as pa
from sqlalchemy import Row, Table
from sqlalchemy.orm import Session

from smartgov.core.clock import now, today
from smartgov.core.errors import DomainError, FieldError
from smartgov.core.i18n import N_
from smartgov.core.settings import Settings
from smartgov.exchange import catalogue, grants, providers, purposes, remote
from smartgov.exchange.grants import Consumer
from smartgov.exchange.models import Access, PopulationRead
from smartgov.ledger import service as ledger

MASK = "••••"
_INDEX = cast(Table, Access.__table__)


class Refused(DomainError):
    """A read the exchange would not make; its record commits with it."""

    keep_writes = True

    def __init__(self, message: str, fields: list[FieldError], status: int) -> None:
        super().__init__(message, fields, status, "refused")


@dataclass(frozen=True)
class Subject:
    unit: str
    key: int

    @property
    def ref(self) -> str:
        return f"{self.unit}:{self.key}"


@dataclass
class Fetched:
    """What a read returned, and what a page may show of it."""

    seq: int | None  # None when the recorder appends later (a worker's batch)
    subject: str  # the pseudonym this purpose sees
    values: dict[str, Any]
    datasets: dict[str, list[str]]
    sensitivity: dict[str, str]
    reveal: set[str] = field(default_factory=set)

    def shown(self) -> tuple[dict[str, Any], list[str], list[str]]:
        """Values for a page: secret fields withheld, sensitive ones masked unless a
        grant reveals them. Returns (values, masked, withheld)."""
        values: dict[str, Any] = {}
        masked, withheld = [], []
        for name, value in self.values.items():
            level = self.sensitivity[name]
            if level == "secret":
                withheld.append(name)
            elif level == "sensitive" and name not in self.reveal:
                masked.append(name)
                values[name] = MASK
            else:
                values[name] = value
        return values, masked, withheld


def pseudonym_key(settings: Settings) -> bytes:
    """Derived from the secret key: pseudonyms stay stable while the key does."""
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"smartgov exchange pseudonyms", hashlib.sha256).digest()


def pseudonym(key: bytes, purpose: str, value: str) -> str:
    """Keyed per purpose: two purposes see two unlinkable names for one person."""
    mac = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def subject_index(key: bytes, subject: Subject) -> str:
    """The name under which a subject finds the accesses to their data."""
    return pseudonym(key, "smartgov/subject-index", subject.ref)


def _coerce(value: Any, type_: str) -> Any:
    """Providers differ (SQLite returns dates as text, booleans as 0/1; JSON has no
    dates); the catalogue's type decides."""
    if value is None:
        return None
    if type_ == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if type_ == "boolean":
        return bool(value)
    if type_ == "number":
        return float(value)
    if type_ == "integer":
        return int(value)
    return str(value)


class Recorder(Protocol):
    def __call__(
        self, session: Session, kind: str, body: dict[str, Any], follow: ledger.Follow
    ) -> int | None:
        """Append ``body`` to the ledger, insert ``follow`` with its position in the
        same transaction, and return the position (None: known only later, as with
        ``ledger.Deferred``)."""


def in_transaction(session: Session, kind: str, body: dict[str, Any], follow: ledger.Follow) -> int:
    """The default: the record commits with the caller's transaction."""
    seq = ledger.record(session, kind, body)
    ledger.insert_followers(session, [(seq, follow)])
    return seq


def group_commit(writer: ledger.Writer) -> Recorder:
    """Records committed by ``writer`` in batches, before the read's data is returned;
    the API's fetches use it, so concurrent reads share one flush to disk."""

    def record(session: Session, kind: str, body: dict[str, Any], follow: ledger.Follow) -> int:
        return writer.write(kind, body, follow)

    return record


@dataclass
class _Read:
    """One fetch in progress: what the ledger and the index will say about it."""

    session: Session
    key: bytes
    consumer: Consumer
    subject: Subject
    purpose: str
    case: str | None
    on_behalf_of: str | None
    hold_until: date | None
    datasets: dict[str, list[str]] = field(default_factory=dict)
    legal_basis: str = ""
    recorder: Recorder = in_transaction

    @property
    def pseudonym(self) -> str:
        """The subject as this purpose sees it."""
        return pseudonym(self.key, self.purpose, self.subject.ref)

    def record(self, outcome: str, reason: str | None = None) -> int | None:
        body, index = self.entry(outcome, reason)
        return self.recorder(self.session, "access", body, (_INDEX, index))

    def entry(
        self, outcome: str, reason: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ledger body of this read and its index row (the subject's way to it)."""
        body = {
            "outcome": outcome,
            "consumer": self.consumer.ref,
            "role": self.consumer.role,
            "department": self.consumer.department,
            "on_behalf_of": self.on_behalf_of,
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "case": self.case,
            "subject": self.pseudonym,
            "unit": self.subject.unit,
            "fields": self.datasets,
            "hold_until": self.hold_until.isoformat() if self.hold_until else None,
            "reason": reason,
        }
        index = dict(
            subject=subject_index(self.key, self.subject), at=now(), outcome=outcome,
            consumer_kind=self.consumer.kind, consumer=self.consumer.ref,
            department_code=self.consumer.department, purpose=self.purpose or "-",
            legal_basis=self.legal_basis, case_ref=self.case, fields=self.datasets,
            reason=reason, hold_until=self.hold_until,
        )  # fmt: skip
        return body, index

    def refuse(self, message: str, problems: list[FieldError], status: int) -> Refused:
        reason = "; ".join(p.text() for p in problems) or message
        self.record("refused", reason)
        return Refused(message, problems, status)


def fetch(
    session: Session,
    settings: Settings,
    *,
    consumer: Consumer,
    subject: Subject,
    fields: Sequence[str],
    purpose: str,
    case: str | None = None,
    on_behalf_of: str | None = None,
    hold_until: date | None = None,
    recorder: Recorder = in_transaction,
    binding: purposes.CaseBinding | None = None,
    own_door: bool = False,
) -> Fetched:
    """Read ``fields`` of ``subject`` for ``purpose``, or raise ``Refused`` (recorded).
    The record goes through ``recorder``: by default it commits with ``session``.
    ``binding`` checks the case of a case-bound purpose; ``own_door`` says the caller
    is the door a purpose of ``purposes.OWN_DOOR`` must come through."""
    (result,) = fetch_many(
        session, settings, consumer=consumer, subjects=[subject], fields=fields,
        purpose=purpose, cases=[case], on_behalf_of=on_behalf_of, hold_until=hold_until,
        recorder=recorder, binding=binding, own_door=own_door,
    )  # fmt: skip
    if isinstance(result, Refused):
        raise result
    return result


def fetch_many(
    session: Session,
    settings: Settings,
    *,
    consumer: Consumer,
    subjects: Sequence[Subject],
    fields: Sequence[str],
    purpose: str,
    cases: Sequence[str | None] | None = None,
    on_behalf_of: str | None = None,
    hold_until: date | None = None,
    recorder: Recorder = in_transaction,
    binding: purposes.CaseBinding | None = None,
    own_door: bool = False,
) -> list[Fetched | Refused]:
    """``fetch`` for several subjects of one unit at once (a decision worker's batch):
    the catalogue and the grants are checked once, each dataset is read with one query,
    and every subject still gets its own access record, granted or refused. Returns,
    for each subject in order, what was read or the (recorded) refusal."""
    key = pseudonym_key(settings)
    unit = subjects[0].unit if subjects else ""
    reads = [
        _Read(session, key, consumer, subject, purpose.strip(), case, on_behalf_of,
              hold_until, recorder=recorder)
        for subject, case in zip(subjects, cases or [None] * len(subjects), strict=True)
    ]  # fmt: skip
    if not reads:
        return []
    if any(subject.unit != unit for subject in subjects):
        raise ValueError("fetch_many reads subjects of one unit")
    first = reads[0]
    if not first.purpose:
        return [
            r.refuse(N_("Say why the data is read."),
                     [FieldError("purpose", N_("A purpose is required for every read."))], 422)
            for r in reads
        ]  # fmt: skip
    located = catalogue.locate(session, unit, fields)
    datasets: dict[str, list[str]] = {}
    for name in fields:
        if name in located:
            datasets.setdefault(located[name].dataset, []).append(name)
    for read in reads:
        read.datasets = {code: list(names) for code, names in datasets.items()}
    unknown = [n for n in fields if n not in located]
    if unknown:
        problems = [
            FieldError(
                "fields", N_("No dataset holds {name} for a {unit}."), {"name": n, "unit": unit}
            )
            for n in unknown
        ]
        return [
            r.refuse(N_("Some fields are in no dataset of the catalogue."), problems, 422)
            for r in reads
        ]
    used, refusal = _check_grants(first, set(fields))
    if refusal is None:
        refusal = _check_door(first, own_door)
    if refusal is not None:
        return [r.refuse(*refusal) for r in reads]
    # Per subject: a case-bound purpose needs a case that binds this read.
    unbound = [_check_case(r, binding) for r in reads]
    legal_basis = "; ".join(sorted({g.legal_basis for g in used}))
    for read in reads:
        read.legal_basis = legal_basis
    keys = [r.subject.key for r, why in zip(reads, unbound, strict=True) if why is None]
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    for code, names in datasets.items():
        provider = providers.provider_for(located[names[0]].provider, settings)
        try:
            rows[code] = provider.read_many(session, keys, names, first.purpose) if keys else {}
        except remote.RemoteError as exc:
            problem = [FieldError("fields", N_("{dataset} could not be read from its peer."),
                                  {"dataset": code})]  # fmt: skip
            return [r.refuse(exc.message, problem, 502) for r in reads]
    identified = {n for g in used if g.identified for n in g.fields}
    sensitivity = {n: w.sensitivity for n, w in located.items()}
    reveal = {n for g in used if g.reveal for n in g.fields}
    results: list[Fetched | Refused] = []
    for read, why in zip(reads, unbound, strict=True):
        if why is not None:
            results.append(read.refuse(*why))
            continue
        missing = [code for code in datasets if read.subject.key not in rows[code]]
        if missing:
            results.append(read.refuse(
                N_("The registry has no such subject."),
                [FieldError("subject", N_("{dataset} has no {unit} with this number."),
                            {"dataset": missing[0], "unit": unit})],
                404,
            ))  # fmt: skip
            continue
        values: dict[str, Any] = {}
        for code in datasets:
            values.update(rows[code][read.subject.key])
        for name, where in located.items():
            values[name] = _coerce(values[name], where.type)
            if where.identifier and name not in identified and values[name] is not None:
                values[name] = pseudonym(read.key, read.purpose, str(values[name]))
        seq = read.record("granted")
        results.append(Fetched(
            seq=seq, subject=read.pseudonym, values={n: values[n] for n in fields},
            datasets=read.datasets, sensitivity=sensitivity, reveal=reveal,
        ))  # fmt: skip
    return results


Refusal = tuple[str, list[FieldError], int]


def _check_door(read: _Read, own_door: bool) -> Refusal | None:
    if read.purpose in purposes.OWN_DOOR and not own_door and read.consumer.kind == "user":
        return (
            N_("This purpose is served only at its own door."),
            [FieldError("purpose", N_("Look the person up at the counter with their full "
                                      "resident ID number."))],
            403,
        )  # fmt: skip
    return None


def _check_case(read: _Read, binding: purposes.CaseBinding | None) -> Refusal | None:
    """Why the read's case does not bind it, if its purpose is case-bound and a person
    reads (a service's worker names the cases it decides itself)."""
    if read.purpose not in purposes.CASE_BOUND or read.consumer.kind != "user":
        return None
    message = N_(
        "A read for this purpose needs an open case of your department about this subject."
    )
    if not read.case:
        return message, [FieldError("case", N_("Name the case the data is read for."))], 422
    if binding is None:
        return message, [FieldError("case", N_("Cases cannot be checked here."))], 403
    why = binding(read.session, read.case, read.consumer.department, read.subject)
    if why is not None:
        return message, [FieldError("case", why)], 403
    return None


def _check_grants(read: _Read, wanted: set[str]) -> tuple[list[Row[Any]], Refusal | None]:
    """The active grants that cover the read, or why they do not (message, field
    problems, HTTP status): the caller records the refusal for each subject."""
    at = now()
    found = grants.applicable(read.session, read.consumer, read.purpose, read.datasets)
    active = [g for g in found if grants.is_active(g, at)]
    covered: dict[str, set[str]] = defaultdict(set)
    for grant in active:
        covered[grant.dataset_code].update(grant.fields)
    problems = []
    for code, names in read.datasets.items():
        for name in names:
            if name in covered[code]:
                continue
            expired = [g for g in found if g.dataset_code == code and name in g.fields]
            if expired:
                assert expired[0].expires_at is not None
                problems.append(
                    FieldError(name, N_("The grant for {name} ended on {date}."),
                               {"name": name, "date": expired[0].expires_at.date().isoformat()})
                )  # fmt: skip
            else:
                problems.append(
                    FieldError(
                        name,
                        N_("No grant lets you read {name} of {dataset} for this purpose."),
                        {"name": name, "dataset": code},
                    )
                )
    if problems:
        return [], (N_("This read is outside your grants."), problems, 403)
    used = [g for g in active if wanted & set(g.fields)]
    if read.hold_until is not None:
        if read.hold_until <= today():
            return [], (
                N_("A legal hold must end in the future."),
                [FieldError("hold_until", N_("Give a date after today."))],
                422,
            )
        if not all(g.may_hold for g in used):
            return [], (
                N_("Only a grant for an investigation may keep a read from its subject."),
                [FieldError("hold_until", N_("Your grants do not allow legal holds."))],
                403,
            )
    return used, None


# --- Whole populations ------------------------------------------------------------------

#: Arrow types of the catalogue's field types, so every provider's rows come out alike.
_ARROW = {"date": pa.date32(), "number": pa.float64(), "integer": pa.int64(),
          "boolean": pa.bool_(), "text": pa.string()}  # fmt: skip


def read_population(
    session: Session,
    settings: Settings,
    *,
    consumer: Consumer,
    unit: str,
    fields: Sequence[str],
    purpose: str,
    key_name: str = "key",
    per_subject: bool,
    recorder: Recorder = in_transaction,
    cache: PopulationCache | None = None,
) -> pa.Table:
    """Every subject of ``unit`` with ``fields``, as Arrow, through the same door as one
    subject's read: the catalogue says where each field is kept, the consumer's grants
    for ``purpose`` must cover every field, each dataset is read through its provider,
    and the read is recorded. ``per_subject``: one access record per subject read
    (a sweep acts on people: each sees the read); otherwise one ``population`` entry
    with the fields, purpose and row count (a statistical use), listed publicly.
    Raises ``Refused`` (recorded) when a grant is missing. With a ``cache``, the rows of
    a recent identical read are reused: the grants are checked and the read recorded
    every time all the same, so revoking a grant stops the next use at once."""
    located = catalogue.locate(session, unit, fields)
    unknown = [n for n in fields if n not in located]
    if unknown:
        raise Refused(N_("Some fields are in no dataset of the catalogue."), [
            FieldError("fields", N_("No dataset holds {name} for a {unit}."),
                       {"name": n, "unit": unit}) for n in unknown], 422)  # fmt: skip
    datasets: dict[str, list[str]] = {}
    for name in fields:
        datasets.setdefault(located[name].dataset, []).append(name)
    probe = _Read(session, pseudonym_key(settings), consumer, Subject(unit, 0), purpose, None,
                  None, None, datasets=datasets, recorder=recorder)  # fmt: skip
    used, refusal = _check_grants(probe, set(fields))
    if refusal is not None:
        message, problems, status = refusal
        _record_population(probe, "refused", 0)
        raise Refused(message, problems, status)
    wanted = (unit, tuple(fields))
    joined = cache.get(wanted) if cache is not None else None
    if joined is None:
        joined = _read_all(session, settings, located, datasets)
        if cache is not None:
            cache.put(wanted, joined)
    probe.legal_basis = "; ".join(sorted({g.legal_basis for g in used}))
    if per_subject:
        _record_each(probe, joined["key"].to_pylist())
    else:
        _record_population(probe, "granted", joined.num_rows)
    return joined.select(["key", *fields]).rename_columns([key_name, *fields])


def _read_all(session: Session, settings: Settings, located: dict[str, catalogue.Located],
              datasets: dict[str, list[str]]) -> pa.Table:  # fmt: skip
    """Each dataset read whole through its provider, joined on the subject's key."""
    joined: pa.Table | None = None
    for code, names in datasets.items():
        provider = providers.provider_for(located[names[0]].provider, settings)
        if not hasattr(provider, "read_all"):
            raise Refused(N_("Whole populations are read where their registry is kept."), [
                FieldError("fields", N_("{dataset} is kept by a peer node."),
                           {"dataset": code})], 422)  # fmt: skip
        part = provider.read_all(session, names)
        part = pa.table({"key": part["key"].cast(pa.int64()), **{
            n: part[n].cast(_ARROW[located[n].type]) for n in names}})  # fmt: skip
        joined = part if joined is None else joined.join(part, "key", join_type="inner")
    assert joined is not None
    return joined.sort_by("key")


def _record_population(read: _Read, outcome: str, rows: int) -> None:
    """The ``population`` entry, and its row in the public list of statistical reads."""
    seq = ledger.record(read.session, "population", {
        "outcome": outcome, "consumer": read.consumer.ref, "purpose": read.purpose,
        "legal_basis": read.legal_basis, "unit": read.subject.unit,
        "fields": read.datasets, "rows": rows,
    })  # fmt: skip
    read.session.add(PopulationRead(
        seq=seq, at=now(), outcome=outcome, consumer=read.consumer.ref,
        department_code=read.consumer.department, purpose=read.purpose,
        unit=read.subject.unit, fields=read.datasets, rows=rows,
    ))  # fmt: skip


class PopulationCache:
    """Whole-population reads kept for ``seconds`` per process, so a run of simulations
    does not read every registry each time: the grants are checked and the read
    recorded on every use (``read_population``). Aggregates made from a read (the
    district figures a home page shows) are kept here too, under their own key."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._kept: dict[tuple[str, tuple[str, ...]], tuple[float, pa.Table]] = {}
        self._lock = threading.Lock()

    def get(self, wanted: tuple[str, tuple[str, ...]]) -> pa.Table | None:
        with self._lock:
            found = self._kept.get(wanted)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def put(self, wanted: tuple[str, tuple[str, ...]], table: pa.Table) -> None:
        with self._lock:
            self._kept[wanted] = (time.monotonic(), table)


def _record_each(probe: _Read, keys: Sequence[int]) -> None:
    """One access record per subject, appended in one batch with their index rows."""
    bodies, follows = [], []
    for key in keys:
        read = _Read(probe.session, probe.key, probe.consumer, Subject(probe.subject.unit, key),
                     probe.purpose, None, None, None, datasets=probe.datasets,
                     legal_basis=probe.legal_basis)  # fmt: skip
        body, index = read.entry("granted")
        bodies.append({**body, "kind": "access"})
        follows.append(index)
    positions = ledger.append(probe.session, bodies)
    pairs = zip(positions, follows, strict=True)
    ledger.insert_followers(probe.session, [(seq, (_INDEX, index)) for seq, index in pairs])
