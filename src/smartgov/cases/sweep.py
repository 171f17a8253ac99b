"""Benefits without applying: evaluate the whole population against a service (the
rules' population evaluation, in DuckDB) and invite everyone eligible who has no case
and no invitation yet. Accepting an invitation is a one-click application."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.cases.intake import new_ref
from smartgov.cases.models import Case, Invitation, Notification
from smartgov.core.clock import now, today
from smartgov.core.db import write_rows
from smartgov.core.errors import Conflict, Forbidden, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules


@dataclass(frozen=True)
class SweepReport:
    service: str
    population: int
    eligible: int
    invited: int  # new invitations this sweep
    seconds: float
    ledger_index: int


def sweep(session: Session, settings: Settings, service_id: str, *, on: date | None = None,
          by: str = "system") -> SweepReport:  # fmt: skip
    started = time.perf_counter()
    service = rules.get_service(settings, service_id)
    unit = service.definition.unit
    key = exchange.unit_key(unit)
    # Through the exchange's door: the service's grants, each dataset's provider, and an
    # access record for every subject read, which each can see in "who used my data".
    registry = [n for n, spec in service.definition.inputs.items() if spec.source == "registry"]
    data = exchange.read_population(
        session, settings, consumer=exchange.Consumer.service(service.id), unit=unit,
        fields=registry, purpose=rules.purpose_of(service), key_name=key, per_subject=True,
    )  # fmt: skip
    decided = rules.evaluate_population(service, data, on=on or today(), keep=[key], trace=False)
    eligible = decided.filter(pc.equal(decided["outcome"], "eligible"))
    keys = np.asarray(eligible[key].to_numpy(zero_copy_only=False), dtype=np.int64)
    amounts = np.asarray(eligible["amount"].to_numpy(zero_copy_only=False), dtype=float)
    # Everyone with a case (not withdrawn) or an invitation already is left alone.
    cased = select(Case.subject_key).where(Case.service_id == service_id, Case.state != "withdrawn")
    invited = select(Invitation.subject_key).where(Invitation.service_id == service_id)
    known = set(session.scalars(cased)) | set(session.scalars(invited))
    fresh = ~np.isin(keys, np.fromiter(known, dtype=np.int64, count=len(known)))
    at = now()
    rows = [
        (new_ref("I"), service_id, unit, int(k), float(a), at, "open")
        for k, a in zip(keys[fresh], amounts[fresh], strict=True)
    ]
    write_rows(session.connection(), Invitation.__tablename__,
               ["ref", "service_id", "unit", "subject_key", "amount", "created_at", "status"],
               rows)  # fmt: skip
    _notify_accounts(session, service, unit, [r[3] for r in rows])
    seq = ledger.record(
        session, "sweep",
        {"service": service_id, "rule_version": service.definition.version,
         "population": data.num_rows, "eligible": len(keys), "invited": len(rows), "by": by},
    )  # fmt: skip
    return SweepReport(
        service_id, data.num_rows, len(keys), len(rows), time.perf_counter() - started, seq
    )


def _notify_accounts(session: Session, service: rules.Service, unit: str, keys: list[int]) -> None:
    """An in-app notice for invited people who have an account (a household's members)."""
    if not keys:
        return
    accounts = exchange.accounts_for(session, unit, keys)
    name = {"zh": service.definition.name.zh, "en": service.definition.name.en}
    session.add_all(
        Notification(
            user_id=user_id,
            kind="invited",
            params={"service": name["en"], "service_zh": name["zh"], "service_id": service.id},
        )
        for user_id in accounts
    )


def invitations_for(session: Session, user: User) -> list[Invitation]:
    subjects = exchange.subjects_of_account(session, user)
    if not subjects:
        return []
    found: list[Invitation] = []
    for unit, key in subjects:
        found += session.scalars(
            select(Invitation).where(Invitation.unit == unit, Invitation.subject_key == key)
        )
    return sorted(found, key=lambda i: i.id, reverse=True)


def find_invitation(session: Session, user: User, ref: str) -> Invitation:
    for invitation in invitations_for(session, user):
        if invitation.ref == ref:
            return invitation
    raise NotFound(N_("No invitation with this reference."))


def check_open(invitation: Invitation) -> None:
    if invitation.status != "open":
        raise Conflict(N_("This invitation was already accepted."))


def accepted(session: Session, invitation: Invitation, case: Case, user: User) -> None:
    if case.subject_key != invitation.subject_key:
        raise Forbidden(N_("This invitation is for someone else."))
    invitation.status = "accepted"
    invitation.case_id = case.id
