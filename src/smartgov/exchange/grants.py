"""Purpose-bound grants: who may read which fields of which dataset, why, until when.

A service's grants are derived from its rules' inputs and nothing else, and made only
when the department keeping the data approves them (``requests``); people get grants
through their role (optionally within one department) or by name; another
smartgov node gets a ``node`` grant. Every change is recorded in the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, bindparam, or_, select
from sqlalchemy.orm import Session

from smartgov.core.clock import aware, now
from smartgov.core.errors import FieldError, Forbidden, Invalid, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.exchange import catalogue
from smartgov.exchange.models import Dataset, Grant
from smartgov.exchange.schemas import GrantIn
from smartgov.ledger import service as ledger


@dataclass(frozen=True)
class Consumer:
    """Who reads: a service deciding cases, a person at work, or another node."""

    kind: str  # service, user or node
    id: str  # service id, username or node name
    role: str | None = None
    department: str | None = None
    ref: str = ""  # how the ledger names it: never a person's name

    @classmethod
    def service(cls, service_id: str) -> Consumer:
        return cls("service", service_id, ref=f"service:{service_id}")

    @classmethod
    def user(cls, user: User) -> Consumer:
        return cls("user", user.username, user.role, user.department_code, f"user:{user.id}")

    @classmethod
    def node(cls, name: str) -> Consumer:
        return cls("node", name, ref=f"node:{name}")

    def matches(self) -> list[tuple[str, str]]:
        """The (kind, consumer) pairs of grants that apply to this consumer."""
        if self.kind != "user":
            return [(self.kind, self.id)]
        pairs = [("user", self.id), ("role", str(self.role))]
        if self.department:
            pairs.append(("role", f"{self.role}@{self.department}"))
        return pairs


def in_force(at: datetime) -> list[ColumnElement[bool]]:
    return [
        Grant.revoked_at.is_(None),
        Grant.valid_from <= at,
        or_(Grant.expires_at.is_(None), Grant.expires_at > at),
    ]


_GRANTS = cast(Table, Grant.__table__)
# Plain rows, not ORM objects: a read runs this every time, and loading entities
# costs several times more than the query.
# Only the columns a read checks: each time column more is one more conversion per row.
_APPLICABLE = select(
    *(
        _GRANTS.c[name]
        for name in (
            "id",
            "consumer_kind",
            "consumer",
            "dataset_code",
            "fields",
            "purpose",
            "legal_basis",
            "identified",
            "reveal",
            "may_hold",
            "valid_from",
            "expires_at",
        )
    )
).where(
    _GRANTS.c.consumer.in_(bindparam("consumers", expanding=True)),
    _GRANTS.c.purpose == bindparam("purpose"),
    _GRANTS.c.dataset_code.in_(bindparam("datasets", expanding=True)),
    _GRANTS.c.revoked_at.is_(None),
)


def applicable(
    session: Session, consumer: Consumer, purpose: str, datasets: Iterable[str]
) -> list[Row[Any]]:
    """Every grant of this consumer and purpose on these datasets, expired ones too
    (so a refusal can say that a grant expired rather than that there is none), as
    rows with the grant's columns."""
    pairs = consumer.matches()
    params = {"consumers": [c for _, c in pairs], "purpose": purpose, "datasets": list(datasets)}
    found = session.connection().execute(_APPLICABLE, params)
    return [g for g in found if (g.consumer_kind, g.consumer) in pairs]


def is_active(grant: Grant | Row[Any], at: datetime) -> bool:
    expires = grant.expires_at
    return aware(grant.valid_from) <= at and (expires is None or aware(expires) > at)


def granted_fields(session: Session, consumer: Consumer, purpose: str, unit: str) -> list[str]:
    """Every field of ``unit`` that this consumer's grants in force let it read for
    ``purpose``, in the catalogue's order."""
    codes = list(session.scalars(select(Dataset.code).where(Dataset.unit == unit)))
    at = now()
    allowed = {
        name
        for g in applicable(session, consumer, purpose, codes)
        if is_active(g, at)
        for name in g.fields
    }
    listed = catalogue.fields_of(session, codes)
    return [f.name for code in codes for f in listed[code] if f.name in allowed]


def listing(session: Session, *, include_ended: bool = False) -> list[Grant]:
    query = select(Grant).order_by(Grant.dataset_code, Grant.consumer, Grant.id)
    if not include_ended:
        query = query.where(*in_force(now()))
    return list(session.scalars(query))


def _entry(grant: Grant, action: str, by: str) -> dict[str, object]:
    return {
        "action": action,
        "grant": grant.id,
        "consumer": f"{grant.consumer_kind}:{grant.consumer}",
        "dataset": grant.dataset_code,
        "fields": sorted(grant.fields),
        "purpose": grant.purpose,
        "legal_basis": grant.legal_basis,
        "identified": grant.identified,
        "reveal": grant.reveal,
        "may_hold": grant.may_hold,
        "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
        "review_on": grant.review_on.isoformat() if grant.review_on else None,
        "by": by,
    }


def record_grant(session: Session, grant: Grant, by: str) -> Grant:
    grant.created_by = by
    grant.valid_from = grant.created_at = now()
    grant.ledger_seq = -1  # set below, once the grant has its id
    session.add(grant)
    session.flush()
    grant.ledger_seq = ledger.record(session, "grant", _entry(grant, "created", by))
    return grant


def _may_manage(actor: User | None, dataset: Dataset) -> None:
    if actor is None or actor.role == Role.administrator:
        return
    if actor.role == Role.department_officer and actor.department_code == dataset.department_code:
        return
    raise Forbidden(N_("Only the department that keeps a dataset can grant access to it."))


def create(
    session: Session, spec: GrantIn, *, actor: User | None, given_by: str | None = None
) -> Grant:
    """Grant a role, a user or a node access; checked against the catalogue. ``actor``
    None: the system, naming whom it acts for in ``given_by`` (the demo's set-up)."""
    dataset = session.get(Dataset, spec.dataset)
    if dataset is None:
        raise Invalid(
            N_("The grant cannot be made."),
            [FieldError("dataset", N_("No dataset has this code."))],
        )
    _may_manage(actor, dataset)
    known = {f.name: f for f in catalogue.fields_of(session, [dataset.code])[dataset.code]}
    problems = []
    for index, name in enumerate(spec.fields):
        if name not in known:
            problems.append(
                FieldError(
                    f"fields.{index}",
                    N_("The dataset has no field {name}; it has: {known}."),
                    {"name": name, "known": ", ".join(known)},
                )
            )
        elif known[name].sensitivity == "secret" and spec.consumer_kind != "node":
            problems.append(
                FieldError(
                    f"fields.{index}",
                    N_("{name} is secret: only a service deciding cases may read it."),
                    {"name": name},
                )
            )
    if spec.expires_at <= now():
        problems.append(FieldError("expires_at", N_("The expiry must be in the future.")))
    if spec.consumer_kind == "role":
        role, _, department = spec.consumer.partition("@")
        if role not in Role.__members__:
            problems.append(
                FieldError(
                    "consumer",
                    N_("No role is called {role}; roles are: {roles}."),
                    {"role": role, "roles": ", ".join(Role.__members__)},
                )
            )
    if problems:
        raise Invalid(N_("The grant cannot be made."), problems)
    grant = Grant(
        consumer_kind=spec.consumer_kind, consumer=spec.consumer, dataset_code=spec.dataset,
        fields=sorted(set(spec.fields)), purpose=spec.purpose, legal_basis=spec.legal_basis,
        identified=spec.identified, reveal=spec.reveal, may_hold=spec.may_hold,
        expires_at=spec.expires_at,
    )  # fmt: skip
    return record_grant(session, grant, given_by or catalogue.actor_ref(actor))


def revoke(session: Session, grant_id: int, *, actor: User | None) -> Grant:
    grant = session.get(Grant, grant_id, with_for_update=True)
    if grant is None:
        raise NotFound(N_("No grant has this number."))
    dataset = session.get(Dataset, grant.dataset_code)
    assert dataset is not None
    _may_manage(actor, dataset)
    if grant.revoked_at is None:
        by = catalogue.actor_ref(actor)
        grant.revoked_at, grant.revoked_by = now(), by
        ledger.record(session, "grant", _entry(grant, "revoked", by))
    return grant


def revoke_other_services(session: Session, services: Iterable[str]) -> int:
    """Revoke the grants of services that are no longer published."""
    keep = list(services)
    ended = session.scalars(
        select(Grant).where(
            Grant.consumer_kind == "service", Grant.consumer.not_in(keep), *in_force(now())
        )
    ).all()
    for grant in ended:
        revoke(session, grant.id, actor=None)
    return len(ended)
