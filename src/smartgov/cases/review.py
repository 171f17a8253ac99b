"""What people do to cases: reviewers decide or ask for information, applicants
answer, withdraw and appeal. Every action checks who may take it and the case's state,
and a decision or an override goes to the ledger."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from smartgov.cases import decide, jobs, notify
from smartgov.cases.models import Case
from smartgov.cases.workflow import State, check_version, move
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


def may_review(case: Case, user: User) -> bool:
    """Whether ``user`` may decide ``case`` now: a reviewer of its department, not its
    applicant or the officer who submitted it, while it waits for a person."""
    waiting = case.state in (State.awaiting_review, State.appealed)
    try:
        _reviewer(case, user)
    except Forbidden:
        return False
    return waiting


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
    amount: float | None = None,
) -> Case:
    """A reviewer's decision on a case awaiting review or under appeal.

    ``approve`` or ``reject`` decides it; going against the automated outcome (an
    override) or changing an appealed decision needs a written justification. ``ask``
    sends it back to the applicant for more information. Approving sets the amount per
    period: the rules' where they set one (``amount`` may change it, with a
    justification), else the reviewer's ``amount``, required and within the service's
    maximum (the form offers the rules' formula on the case's facts)."""
    _reviewer(case, reviewer)
    justification = justification.strip()
    if action not in DECISIONS:
        raise Invalid(
            N_("Choose approve, reject or ask."),
            [FieldError("action", N_("Choose approve, reject or ask."))],
        )
    check_version(case, version)  # a stale page first: what else it says may have changed
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
    problems: list[Invalid] = []
    paid: float | None = None
    try:
        paid = _amount(case, outcome, amount, appeal=appeal)
    except Invalid as bad:
        problems.append(bad)
    override = before is not None and before != "undetermined" and before != outcome
    override = override or (outcome == "eligible" and before == "eligible" and paid is not None
                            and paid != _set_before(case, appeal=appeal))  # fmt: skip
    if override and not justification:
        problems.insert(0, Invalid(
            N_("Going against the earlier outcome needs a written justification."),
            [FieldError("justification", N_("Explain why the outcome differs."))],
        ))  # fmt: skip
    if problems:  # every field that needs mending at once, the first one's message
        raise Invalid(problems[0].message, [f for p in problems for f in p.fields])
    assert paid is not None
    move(session, case, State.decided, action="appeal_decide" if appeal else "review_decide",
         actor=actor, reason=justification or None, expected_version=version)  # fmt: skip
    if appeal:
        case.appeal_result = "changed" if override else "upheld"
    case.outcome = outcome
    case.amount = paid
    case.reviewer_id = reviewer.id
    case.justification = justification or None
    case.decided_at = now()
    case.decision_seq = ledger.record(
        session, "appeal" if appeal else "review",
        {"case": case.ref, "service": case.service_id, "outcome": outcome,
         "automated_outcome": case.automated_outcome, "override": override,
         "appeal_result": case.appeal_result, "reviewer": actor, "amount": paid,
         "justification_hash": decide.commitment(case.salt, justification)
         if justification else None, "input_hash": case.input_hash},
    )  # fmt: skip
    notify.case_changed(session, case, "appeal_decided" if appeal else "decided")
    return case


def _set_before(case: Case, *, appeal: bool) -> float | None:
    """The amount already set for the case: by the decision appealed, or by the rules."""
    if appeal:
        return case.amount if case.outcome == "eligible" else None
    decision = case.decision or {}
    return decision.get("amount") if decision.get("outcome") == "eligible" else None


def amount_proposal(case: Case) -> dict[str, float | bool | None]:
    """What the review form offers for the amount: the amount already set (rules or the
    decision appealed), else the rules' formula on the case's facts; whether the
    reviewer must give one to approve; the service's maximum."""
    decision = case.decision or {}
    known = _set_before(case, appeal=case.state == State.appealed)
    return {
        "amount": known if known is not None else decision.get("proposed_amount"),
        "required": known is None,
        "maximum": decision.get("maximum"),
    }


def _amount(case: Case, outcome: str, asked: float | None, *, appeal: bool) -> float:
    """The amount a decision pays per period: nothing on a refusal; on an approval the
    amount already set unless the reviewer gives another, and the reviewer's where none
    was set, from 0 (exclusive) to the service's maximum on the decision's day."""
    if outcome == "ineligible":
        if asked:
            raise Invalid(
                N_("A refusal pays nothing."),
                [FieldError("amount", N_("Leave the amount empty when you reject."))],
            )
        return 0.0
    if asked is None:
        known = _set_before(case, appeal=appeal)
        if known is None:
            raise Invalid(
                N_("Set the amount to pay."),
                [
                    FieldError(
                        "amount",
                        N_(
                            "The rules set no amount for this case: enter the amount per "
                            "period (the form offers what the rules' formula gives)."
                        ),
                    )
                ],
            )
        return float(known)
    maximum = (case.decision or {}).get("maximum")
    if not math.isfinite(asked) or asked <= 0 or (maximum is not None and asked > maximum):
        bound = N_("Enter an amount above 0 and at most {maximum} per period.")
        raise Invalid(
            N_("The amount is out of bounds."),
            [
                FieldError(
                    "amount",
                    bound if maximum is not None else N_("Enter an amount above 0."),
                    {"maximum": f"{maximum:,.2f}"} if maximum is not None else {},
                )
            ],
        )
    return round(float(asked), 2)


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
