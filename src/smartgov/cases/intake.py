"""Applying: who may apply for what, on which channel, with which answers, and the
idempotent write of the case. Nothing is decided here; the worker does that."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartgov.cases import documents, jobs, notify
from smartgov.cases.models import Case
from smartgov.cases.workflow import State, event, log_many
from smartgov.core.clock import now, today
from smartgov.core.errors import Conflict, FieldError, Forbidden, Invalid
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.rules import service as rules

CHANNELS = ("online", "mobile", "counter", "phone")
#: Channels an applicant uses alone; an officer applies at a counter or by phone.
SELF_CHANNELS = ("online", "mobile")
OFFICER_CHANNELS = ("counter", "phone")


@dataclass(frozen=True)
class Application:
    """What an applicant (or an officer for them) sends."""

    service_id: str
    idempotency_key: str
    channel: str = "online"
    answers: dict[str, Any] | None = None
    consent: bool = False
    human_decision: bool = False
    resident_id: str | None = None  # at a counter: whom the officer applies for
    credit_code: str | None = None
    #: Uploaded documents by kind: (file name, bytes). Every channel sends them here.
    documents: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)


def new_ref(prefix: str = "C") -> str:
    """A public reference that says nothing about the applicant and cannot be guessed."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone
    return prefix + "-" + "".join(secrets.choice(alphabet) for _ in range(10))


def _applicant(session: Session, actor: User, app: Application, unit: str) -> tuple[str, int]:
    """The registry person or enterprise applying: the actor, or whom an officer names."""
    problems: list[FieldError] = []
    if actor.role == Role.counter_officer:
        if app.channel not in OFFICER_CHANNELS:
            problems.append(FieldError("channel", N_("At a counter, choose counter or phone.")))
        if unit == "enterprise":
            key = exchange.find_enterprise_id(session, app.credit_code or "")
            if key is None:
                problems.append(FieldError("credit_code", N_("No enterprise has this code.")))
        else:
            key = exchange.find_person_id(session, app.resident_id or "")
            if key is None:
                problems.append(FieldError("resident_id", N_("No resident has this number.")))
        if problems:
            raise Invalid(N_("The application cannot be made as it is."), problems)
        assert key is not None
        return ("enterprise" if unit == "enterprise" else "person"), key
    if app.channel not in SELF_CHANNELS:
        problems.append(FieldError("channel", N_("Apply online or on a mobile device.")))
    if unit == "enterprise":
        if actor.role != Role.enterprise or actor.enterprise_id is None:
            raise Forbidden(N_("Only an enterprise's representative can apply for this."))
        result = ("enterprise", actor.enterprise_id)
    else:
        if actor.role != Role.citizen or actor.person_id is None:
            raise Forbidden(N_("Only a resident can apply for this."))
        result = ("person", actor.person_id)
    if problems:
        raise Invalid(N_("The application cannot be made as it is."), problems)
    return result


def _answers(service: rules.Service, given: dict[str, Any]) -> dict[str, Any]:
    """The applicant's own answers: only inputs the service asks the applicant for."""
    asked = {n for n, spec in service.definition.inputs.items() if spec.source == "applicant"}
    problems = [
        FieldError(f"answers.{name}", N_("The service does not ask for this."))
        for name in given
        if name not in asked
    ]
    problems += [
        FieldError(f"answers.{name}", N_("This field is required."))
        for name in sorted(asked)
        if given.get(name) is None
    ]
    if problems:
        raise Invalid(N_("Some answers are not valid."), problems)
    facts = rules.coerce_facts(service, given)
    return {
        n: (v.isoformat() if hasattr(v, "isoformat") else v) for n, v in facts.items() if n in asked
    }


def submit(
    session: Session, settings: Settings, *, actor: User, app: Application, invited: bool = False
) -> tuple[Case, bool]:
    """Store an application as a submitted case: the one path of the API, the pages,
    the counter and accepted invitations, so every check applies to each. The same
    idempotency key from the same account returns the case it made (False: not new)
    rather than a second one; the same key with a different application is refused.
    ``invited``: the city offered it from its own registries (a sweep), so the papers
    an applicant would send to prove eligibility are not asked for."""
    problems: list[FieldError] = []
    if not 8 <= len(app.idempotency_key) <= 64:
        problems.append(FieldError("idempotency_key", N_("Send 8 to 64 characters.")))
    if app.channel not in CHANNELS:
        problems.append(FieldError("channel", N_("Choose online, mobile, counter or phone.")))
    if problems:
        raise Invalid(N_("The application cannot be made as it is."), problems)
    service = rules.services(settings).get(app.service_id)
    if service is None:
        raise Invalid(
            N_("There is no such service."),
            [FieldError("service", N_("Choose a service from the list of services."))],
        )
    if not service.is_effective(today()):
        raise Invalid(
            N_("This service is not open for applications today."),
            [FieldError("service", N_("The service is not in force."))],
        )
    unit = service.definition.unit
    applicant_unit, applicant_key = _applicant(session, actor, app, unit)
    needs_consent = any(s.source == "registry" for s in service.definition.inputs.values())
    if needs_consent and not app.consent:
        raise Invalid(
            N_("The service needs your consent to read your records."),
            [FieldError("consent", N_("Agree to the reads listed to apply."))],
        )
    answers = _answers(service, app.answers or {})
    # The documents rule, for every channel: an applicant sends what the service
    # requires; at a counter the officer sees the papers themselves.
    papers_seen = actor.role == Role.counter_officer or invited
    gaps = [] if papers_seen else documents.missing(service, set(app.documents))
    subject = applicant_key
    if unit == "household":
        household = exchange.household_of(session, applicant_key)
        if household is None:
            raise Invalid(
                N_("The applicant belongs to no registered household."),
                [FieldError("resident_id", N_("No household is registered."))],
            )
        subject = household
    at = now()
    row = {
        "ref": new_ref(), "service_id": service.id,
        "department_code": service.definition.department, "unit": unit,
        "subject_key": subject, "applicant_unit": applicant_unit,
        "applicant_key": applicant_key,
        "applicant_id": actor.id if actor.role in (Role.citizen, Role.enterprise) else
        exchange.account_of(session, applicant_unit, applicant_key),
        "submitted_by": actor.id, "channel": app.channel,
        "idempotency_key": app.idempotency_key, "answers": answers, "consent": app.consent,
        "human_requested": app.human_decision, "state": State.submitted.value, "version": 1,
        "priority": 1 if service.definition.risk == "high_impact" else 0,
        "submitted_at": at, "updated_at": at,
        "due_at": at + timedelta(days=service.definition.review.sla_days),
        "review_reasons": [],
    }  # fmt: skip
    # Insert-or-nothing in one statement: two identical submissions racing each other
    # make one case, whichever database runs it.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    made = session.execute(
        dialect.insert(Case)
        .values(row)
        .on_conflict_do_nothing(index_elements=["submitted_by", "idempotency_key"])
        .returning(Case.id)
    ).scalar()
    if made is None:
        case = session.scalars(
            select(Case).where(
                Case.submitted_by == actor.id, Case.idempotency_key == app.idempotency_key
            )
        ).one()
        same = (case.service_id, case.subject_key, case.answers, case.channel) == (
            service.id, subject, answers, app.channel)  # fmt: skip
        if not same:
            raise Conflict(
                N_("This idempotency key was already used for a different application."),
                [FieldError("idempotency_key", N_("Use a new key for a new application."))],
            )
        return case, False
    if gaps:  # checked only for a new case: sending the same key again returns the first
        raise Invalid(N_("Some required documents are missing."), gaps)
    case = session.get_one(Case, made)
    for kind, (filename, data) in app.documents.items():
        documents.store(session, settings, case, kind=kind, filename=filename, data=data)
    log_many(session, [event(made, at, "submit", None, State.submitted.value,
                             f"user:{actor.id}", app.channel)])  # fmt: skip
    notify.case_changed(session, case, "submitted")
    jobs.announce(session)
    return case, True
