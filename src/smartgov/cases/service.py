"""What the web, the CLI and other capabilities use of case processing."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from smartgov.cases import documents, jobs, notify, present, review, second_check
from smartgov.cases import sweep as sweeps
from smartgov.cases.intake import Application, submit
from smartgov.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CheckModel,
    Invitation,
    Notification,
    ServiceAlert,
)
from smartgov.cases.present import HomeItem
from smartgov.cases.workflow import State
from smartgov.core.clock import now
from smartgov.core.errors import Conflict, Forbidden, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules

__all__ = [
    "Application",
    "require_owner",
    "add_document",
    "notifications",
    "documents_of",
    "document_of",
    "notification_channel",
    "Case",
    "accept_invitation",
    "invitations",
    "sweep",
    "close_alert",
    "wake_worker",
    "Worker",
    "appeal",
    "decide_batch",
    "events_of",
    "find_case",
    "has_cases",
    "latest_check",
    "my_cases",
    "home_items",
    "open_alert",
    "queue",
    "respond",
    "review_case",
    "submit",
    "train_check",
    "withdraw",
]

Worker = jobs.Worker
notification_channel = notify.channel
decide_batch = jobs.decide_batch
review_case = review.review
amount_proposal = review.amount_proposal
may_review = review.may_review
withdraw = review.withdraw
respond = review.respond
appeal = review.appeal
deliver_notifications = notify.deliver


def find_case(session: Session, ref: str, user: User) -> Case:
    """A case its applicant, its submitting officer or its department's staff may see;
    others are told it does not exist rather than that it is hidden."""
    query = select(Case).where(Case.ref == ref)
    case = session.scalars(query).first()
    if case is None or not can_see(case, user):
        raise NotFound(N_("No case with this reference."))
    return case


def can_see(case: Case, user: User) -> bool:
    if user.id in (case.applicant_id, case.submitted_by):
        return True
    staff = (Role.reviewer, Role.department_officer)
    return user.role in staff and user.department_code == case.department_code


#: States in which a person still works on a case, and may read data for it.
_BINDING = select(
    Case.department_code,
    Case.state,
    Case.unit,
    Case.subject_key,
    Case.applicant_unit,
    Case.applicant_key,
).where(Case.ref == bindparam("ref"))
WORKED_ON = (State.awaiting_review.value, State.needs_information.value, State.appealed.value)


def binds_read(
    session: Session, case_ref: str, department: str | None, subject: exchange.Subject
) -> str | None:
    """The exchange's ``CaseBinding``: None when the case is open, belongs to the
    reader's department and concerns the subject (the applicant, the case's subject,
    or a member of the household it is about); otherwise why not. A case of another
    department is answered like a missing one: its existence is not the reader's."""
    # Every case-bound read runs this: the columns the check needs (not the case with its
    # facts and decision), in a statement built once, run on the connection.
    case = session.connection().execute(_BINDING, {"ref": case_ref}).first()
    if case is None or department is None or case.department_code != department:
        return N_("No case of your department has this reference.")
    if case.state not in WORKED_ON:
        return N_("The case is not open for review; reads for it have ended.")
    concerned = {(case.unit, case.subject_key), (case.applicant_unit, case.applicant_key)}
    if (subject.unit, subject.key) in concerned:
        return None
    member = case.unit == "household" and subject.unit == "person"
    if member and exchange.household_of(session, subject.key) == case.subject_key:
        return None
    return N_("The case is not about this person or enterprise.")


def has_cases(session: Session) -> bool:
    """Whether any application was ever made."""
    return session.scalar(select(Case.id).limit(1)) is not None


def latest_check(session: Session, service_id: str) -> CheckModel | None:
    """The service's current second-check model, if one was trained."""
    return second_check.latest(session, service_id)


def my_cases(session: Session, user: User, limit: int = 100) -> list[Case]:
    """The cases one applied for, or (a counter officer) submitted for others, newest first."""
    mine = or_(Case.applicant_id == user.id, Case.submitted_by == user.id)
    return list(session.scalars(select(Case).where(mine).order_by(Case.id.desc()).limit(limit)))


def home_items(session: Session, settings: Settings, user: User, language: str) -> list[HomeItem]:
    """The few newest applications for a person's home page, each with its next step."""
    return [present.home_item(settings, c, language) for c in my_cases(session, user, limit=5)]


def queue(
    session: Session, user: User, *, state: str | None = None, service_id: str | None = None,
    overdue: bool = False, limit: int = 100,
) -> list[Case]:  # fmt: skip
    """A reviewer's queue: their department's cases waiting for a person, the most
    urgent first (priority, then due date)."""
    if user.role not in (Role.reviewer, Role.department_officer) or not user.department_code:
        raise Forbidden(N_("Only a department's reviewers have a queue."))
    states = [state] if state else [State.awaiting_review.value, State.appealed.value]
    query = select(Case).where(Case.department_code == user.department_code, Case.state.in_(states))
    if service_id:
        query = query.where(Case.service_id == service_id)
    if overdue:
        query = query.where(Case.due_at < now())
    query = query.order_by(Case.priority.desc(), Case.due_at, Case.id).limit(limit)
    return list(session.scalars(query))


def events_of(session: Session, case: Case) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def train_check(session: Session, settings: Settings, service_id: str, *, actor: str) -> CheckModel:
    return second_check.train(session, rules.get_service(settings, service_id), actor=actor)


def open_alert(
    session: Session, settings: Settings, service_id: str, *, kind: str, note: str, by: str
) -> ServiceAlert:
    """Open an alert: until it is closed, every new case of the service goes to a person."""
    rules.get_service(settings, service_id)  # refuses an unknown service
    alert = ServiceAlert(service_id=service_id, kind=kind, note=note, opened_by=by)
    session.add(alert)
    session.flush()
    ledger.record(session, "alert", {"action": "open", "alert": alert.id, "service": service_id,
                                     "alert_kind": kind, "by": by})  # fmt: skip
    return alert


def close_alert(session: Session, service_id: str, alert_id: int, *, by: str) -> ServiceAlert:
    alert = session.get(ServiceAlert, alert_id)
    if alert is None or alert.service_id != service_id:
        raise NotFound(N_("No such alert on this service."))
    if alert.closed_at is None:
        alert.closed_at = now()
        ledger.record(session, "alert", {"action": "close", "alert": alert.id,
                                         "service": service_id, "by": by})  # fmt: skip
    return alert


def invitations(session: Session, user: User) -> list[Invitation]:
    return sweeps.invitations_for(session, user)


def accept_invitation(
    session: Session, settings: Settings, *, user: User, ref: str, consent: bool, key: str
) -> Case:
    """One click: the invitation becomes an application (with the consent it shows)."""
    invitation = sweeps.find_invitation(session, user, ref)
    sweeps.check_open(invitation)
    case, _made = submit(
        session, settings, actor=user,
        app=Application(service_id=invitation.service_id, idempotency_key=key,
                        channel="online", consent=consent),
        invited=True,
    )  # fmt: skip
    sweeps.accepted(session, invitation, case, user)
    return case


sweep = sweeps.sweep


def require_owner(settings: Settings, user: User, service_id: str) -> None:
    """Models, alerts and sweeps of a service are its own department's business."""
    service = rules.get_service(settings, service_id)
    if user.department_code != service.definition.department:
        raise Forbidden(N_("Only the department that owns the service can do this."))


def documents_of(session: Session, case: Case) -> list[CaseDocument]:
    return list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id)))


def notifications(session: Session, user: User, *, limit: int = 20) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.id.desc()).limit(limit)
        )
    )  # fmt: skip


def document_of(
    session: Session, settings: Settings, case: Case, number: int
) -> tuple[CaseDocument, bytes] | None:
    """A document of ``case`` and its bytes; None if it has no such document."""
    found = session.get(CaseDocument, number)
    if found is None or found.case_id != case.id:
        return None
    path = documents.folder(settings) / found.sha256
    return (found, path.read_bytes()) if path.is_file() else None


def add_document(session: Session, settings: Settings, case: Case, *, user: User, kind: str,
                 filename: str, data: bytes) -> CaseDocument:  # fmt: skip
    """An applicant adds a document while the case is open for them to change."""
    if case.applicant_id != user.id and case.submitted_by != user.id:
        raise Forbidden(N_("Only the applicant can do this."))
    if case.state not in (State.submitted.value, State.needs_information.value):
        raise Conflict(N_("This cannot be done to the case in its present state."))
    return documents.store(session, settings, case, kind=kind, filename=filename, data=data)


def wake_worker(state: object) -> None:
    """Start the in-server worker's next batch now (the embedded default runs one)."""
    worker = getattr(state, "jobs", {}).get("case_worker")
    if worker is not None:
        worker.wake()
