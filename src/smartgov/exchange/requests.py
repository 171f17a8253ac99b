"""Grant requests: a service's data needs become requests to the department that keeps
the data, and only an officer of that department turns one into a grant, with an
expiry and a review date, or refuses it. Narrowing what a service reads needs nobody's
approval (the department approved more); widening it does, and until then the service
keeps what it had. Every request and decision is in the ledger."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.core.clock import aware, now, today
from smartgov.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.exchange import catalogue, grants
from smartgov.exchange.models import Dataset, Grant, GrantRequest
from smartgov.ledger import service as ledger

PENDING, APPROVED, REFUSED, WITHDRAWN = "pending", "approved", "refused", "withdrawn"


def _record(session: Session, request: GrantRequest, action: str, by: str, **extra: object) -> None:
    ledger.record(session, "grant_request", {
        "action": action, "request": request.id,
        "consumer": f"{request.consumer_kind}:{request.consumer}",
        "dataset": request.dataset_code, "fields": sorted(request.fields),
        "purpose": request.purpose, "by": by, **extra,
    })  # fmt: skip


def _service_grants(session: Session, service: str) -> list[Grant]:
    return list(session.scalars(
        select(Grant).where(Grant.consumer_kind == "service", Grant.consumer == service,
                            *grants.in_force(now()))
    ))  # fmt: skip


def _pending(session: Session, service: str) -> list[GrantRequest]:
    return list(session.scalars(
        select(GrantRequest).where(GrantRequest.consumer_kind == "service",
                                   GrantRequest.consumer == service,
                                   GrantRequest.status == PENDING)
    ))  # fmt: skip


def _withdraw(session: Session, request: GrantRequest) -> None:
    request.status, request.decided_by, request.decided_at = WITHDRAWN, "system", now()
    _record(session, request, WITHDRAWN, "system")


def request_service_needs(
    session: Session, *, service: str, unit: str, fields: Sequence[str], purpose: str,
    legal_basis: str, types: Mapping[str, str] | None = None,
) -> list[GrantRequest]:  # fmt: skip
    """Bring a service's grants to exactly the fields its rules read ("minimum
    necessary"): what it no longer reads is revoked or narrowed at once; what it reads
    and holds no grant for is requested. Every field must be in the registered
    catalogue, with the type the rules read it as (``types``). Returns the requests
    made."""
    located = catalogue.locate(session, unit, fields)
    missing = [n for n in fields if n not in located]
    if missing:
        raise Invalid(
            N_("The service reads fields that no dataset in the catalogue holds."),
            [FieldError("inputs", N_("No dataset holds {name}."), {"name": name})
             for name in missing],
        )  # fmt: skip
    clashes = [n for n, t in (types or {}).items() if n in located and located[n].type != t]
    if clashes:
        raise Invalid(
            N_("The service reads fields as another type than the catalogue keeps."),
            [FieldError("inputs", N_("{dataset} keeps {name} as {kept}; the rules read {read}."),
                        {"dataset": located[n].dataset, "name": n, "kept": located[n].type,
                         "read": (types or {})[n]}) for n in clashes],
        )  # fmt: skip
    wanted: dict[str, set[str]] = defaultdict(set)
    for name, where in located.items():
        wanted[where.dataset].add(name)
    covered: set[str] = set()
    for grant in _service_grants(session, service):
        need, held = wanted.get(grant.dataset_code), set(grant.fields)
        if need is None or (grant.purpose, grant.legal_basis) != (purpose, legal_basis):
            grants.revoke(session, grant.id, actor=None)
        elif held == need:
            covered.add(grant.dataset_code)
        elif not held <= need:  # it holds fields no longer read: narrow it now
            keep = held & need  # the department approved these already
            if keep:
                narrowed = Grant(
                    consumer_kind="service", consumer=service, dataset_code=grant.dataset_code,
                    fields=sorted(keep), purpose=purpose, legal_basis=legal_basis,
                    identified=False, reveal=False, may_hold=False,
                    expires_at=grant.expires_at, review_on=grant.review_on,
                )  # fmt: skip
                grants.record_grant(session, narrowed, "system")
            grants.revoke(session, grant.id, actor=None)
            if keep == need:
                covered.add(grant.dataset_code)
        # a grant of fewer fields than needed stays until the department approves more
    made = []
    pending = {r.dataset_code: r for r in _pending(session, service)}
    for code, names in sorted(wanted.items()):
        asked = pending.pop(code, None)
        same = asked is not None and (set(asked.fields), asked.purpose, asked.legal_basis) == (
            names, purpose, legal_basis)  # fmt: skip
        if code in covered or not same:
            if asked is not None:
                _withdraw(session, asked)
            if code in covered:
                continue
            request = GrantRequest(
                consumer_kind="service", consumer=service, dataset_code=code,
                fields=sorted(names), purpose=purpose, legal_basis=legal_basis,
                status=PENDING, requested_by="system", requested_at=now(),
            )  # fmt: skip
            session.add(request)
            session.flush()
            _record(session, request, "requested", "system")
            made.append(request)
    for stale in pending.values():  # datasets the service no longer reads
        _withdraw(session, stale)
    return made


def _decidable(session: Session, request_id: int, actor: User | None) -> GrantRequest:
    request = session.get(GrantRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(N_("No grant request has this number."))
    dataset = session.get(Dataset, request.dataset_code)
    assert dataset is not None
    keeper = actor is not None and actor.role == Role.department_officer and (
        actor.department_code == dataset.department_code)  # fmt: skip
    if actor is not None and not keeper:
        raise Forbidden(N_("Only an officer of the department that keeps the data decides."))
    if request.status != PENDING:
        raise Conflict(N_("This request is decided already."))
    return request


def approve(
    session: Session, request_id: int, *, actor: User | None, expires_at: datetime,
    review_on: date, by: str | None = None,
) -> Grant:  # fmt: skip
    """Grant what the request asks, until ``expires_at``, to be looked at again on
    ``review_on``; an earlier grant of the same data to the same service ends."""
    request = _decidable(session, request_id, actor)
    problems = []
    if aware(expires_at) <= now():
        problems.append(FieldError("expires_at", N_("The expiry must be in the future.")))
    elif not today() <= review_on <= aware(expires_at).date():
        problems.append(FieldError("review_on", N_("Give a review date from today to the expiry.")))
    if problems:
        raise Invalid(N_("The request cannot be approved."), problems)
    decided_by = by or catalogue.actor_ref(actor)
    for older in _service_grants(session, request.consumer):
        if older.dataset_code == request.dataset_code:
            grants.revoke(session, older.id, actor=None)
    grant = Grant(
        consumer_kind=request.consumer_kind, consumer=request.consumer,
        dataset_code=request.dataset_code, fields=sorted(request.fields),
        purpose=request.purpose, legal_basis=request.legal_basis, identified=False,
        reveal=False, may_hold=False, expires_at=expires_at, review_on=review_on,
    )  # fmt: skip
    grants.record_grant(session, grant, decided_by)
    request.status, request.decided_by, request.decided_at = APPROVED, decided_by, now()
    request.grant_id = grant.id
    _record(session, request, APPROVED, decided_by, grant=grant.id,
            expires_at=aware(expires_at).isoformat(), review_on=review_on.isoformat())  # fmt: skip
    return grant


def refuse(session: Session, request_id: int, *, actor: User, reason: str) -> GrantRequest:
    """Refuse with a reason for the service's owners; the reason stays in the request's
    row, and the ledger holds its hash."""
    request = _decidable(session, request_id, actor)
    if not reason.strip():
        raise Invalid(N_("The request cannot be refused."),
                      [FieldError("reason", N_("Say why, for the service's owners."))])  # fmt: skip
    by = catalogue.actor_ref(actor)
    request.status, request.decided_by, request.decided_at = REFUSED, by, now()
    request.reason = reason.strip()
    _record(session, request, REFUSED, by,
            reason_hash=hashlib.sha256(request.reason.encode()).hexdigest())  # fmt: skip
    return request


def listing(
    session: Session,
    *,
    department: str | None = None,
    status: str | None = None,
    limit: int | None = 500,
) -> list[GrantRequest]:
    """Requests, newest first: a page of ``limit`` for people to read, or all (None)."""
    query = select(GrantRequest).order_by(GrantRequest.id.desc())
    if department is not None:
        query = query.join(Dataset, Dataset.code == GrantRequest.dataset_code).where(
            Dataset.department_code == department
        )
    if status is not None:
        query = query.where(GrantRequest.status == status)
    return list(session.scalars(query.limit(limit)))
