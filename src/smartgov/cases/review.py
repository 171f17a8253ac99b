"""What people do to cases: reviewers decide or ask for information, applicants
answer, withdraw and appeal. Every action checks who may take it and the case's state,
and a decision or an override goes to the ledger."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.cases import decide, jobs, notify
from smartgov.cases.models import Case
from smartgov.cases.workflow import State, move
from smartgov.core.clock import now
from smartgov.core.errors import Conflict, FieldError, Forbidden, Invalid
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.ledger import service as ledger

DECISIONS = ("approve", "reject", "ask")


def _reviewer(case: Case, user: User) -> None:
    if user.role != Role.reviewer or user.department_code != case.department_code:
        raise Forbidden(N_("Only a reviewer of the department that owns the service can do this."))
    if case.applicant_id == user.id or case.submitted_by == user.id:
        raise Forbidden(N_("You cannot review an application you made."))


def _applicant(case: Case, user: User) -> None:
    if case.applicant_id != user.id:
        raise Forbidden(N_("Only the applicant can do this."))


def review(
    session: Session,
    case: Case,
    *,
    reviewer: User,
    action: str,
    version: int,
    justification: str = "",
) -> Case:
    """A reviewer's decision on a case awaiting review or under appeal.

    ``approve`` or ``reject`` decides it; going against the automated outcome (an
    override) or changing an appealed decision needs a written justification. ``ask``
    sends it back to the applicant for more information."""
    _reviewer(case, reviewer)
    justification = justification.strip()
    if action not in DECISIONS:
        raise Invalid(
            N_("Choose approve, reject or ask."),
            [FieldError("action", N_("Choose approve, reject or ask."))],
        )
    appeal = case.state == State.appealed
    actor = f"user:{reviewer.id}"
    if action == "ask":
        if not justification:
            raise Invalid(
                N_("Say what information is needed."),
                [FieldError("justification", N_("Say what the applicant should send."))],
            )
        move(session, case, State.needs_information, action="ask_information", actor=actor,
             reason=justification, expected_version=version)  # fmt: skip
        notify.case_changed(session, case, "needs_information")
        return case
    outcome = "eligible" if action == "approve" else "ineligible"
    before = case.outcome if appeal else case.automated_outcome
    override = before is not None and before != "undetermined" and before != outcome
    if override and not justification:
        raise Invalid(
            N_("Going against the earlier outcome needs a written justification."),
            [FieldError("justification", N_("Explain why the outcome differs."))],
        )
    move(session, case, State.decided, action="appeal_decide" if appeal else "review_decide",
         actor=actor, reason=justification or None, expected_version=version)  # fmt: skip
    if appeal:
        case.appeal_result = "changed" if override else "upheld"
    case.outcome = outcome
    if outcome == "ineligible":
        case.amount = 0.0
    elif case.decision is not None:
        case.amount = case.decision.get("amount")
    case.reviewer_id = reviewer.id
    case.justification = justification or None
    case.decided_at = now()
    case.decision_seq = ledger.record(
        session, "appeal" if appeal else "review",
        {"case": case.ref, "service": case.service_id, "outcome": outcome,
         "automated_outcome": case.automated_outcome, "override": override,
         "appeal_result": case.appeal_result, "reviewer": actor,
         "justification_hash": decide.commitment(case.salt, justification)
         if justification else None, "input_hash": case.input_hash},
    )  # fmt: skip
    notify.case_changed(session, case, "appeal_decided" if appeal else "decided")
    return case


def withdraw(session: Session, case: Case, *, user: User, version: int) -> Case:
    _applicant(case, user)
    move(session, case, State.withdrawn, action="withdraw", actor=f"user:{user.id}",
         expected_version=version)  # fmt: skip
    return case


def respond(session: Session, case: Case, *, user: User, version: int, answer: str) -> Case:
    """The applicant sends what was asked; the case goes back to the worker."""
    _applicant(case, user)
    if not answer.strip():
        raise Invalid(
            N_("Write your answer."),
            [FieldError("answer", N_("Write what the reviewer asked for."))],
        )
    move(session, case, State.submitted, action="respond", actor=f"user:{user.id}",
         reason=answer.strip(), expected_version=version)  # fmt: skip
    jobs.announce(session)
    return case


def appeal(session: Session, case: Case, *, user: User, version: int, reason: str) -> Case:
    _applicant(case, user)
    if not reason.strip():
        raise Invalid(
            N_("Say why you appeal."),
            [FieldError("reason", N_("Write why the decision is wrong."))],
        )
    if case.appeal_result is not None:
        raise Conflict(
            N_("This decision was already appealed."),
            [FieldError("reason", N_("An appeal was decided on this case."))],
        )
    move(session, case, State.appealed, action="appeal", actor=f"user:{user.id}",
         reason=reason.strip(), expected_version=version)  # fmt: skip
    case.appeal_reason = reason.strip()
    ledger.record(session, "appeal_lodged", {"case": case.ref, "service": case.service_id})
    return case
