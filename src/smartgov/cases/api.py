"""Applications, cases, the review queue, appeals, second-check models, alerts and
case figures. Record-level rules (who may act on which case, in which state) live in
the service; routes parse, call and shape."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from smartgov.cases import metrics, present
from smartgov.cases import service as cases
from smartgov.cases.models import Case, ServiceAlert
from smartgov.cases.permissions import (
    CASES_APPLY,
    CASES_MANAGE,
    CASES_METRICS,
    CASES_READ,
    CASES_REVIEW,
)
from smartgov.cases.schemas import (
    AcceptIn,
    AlertIn,
    AlertOut,
    AppealIn,
    ApplicationIn,
    CaseOut,
    CaseSummary,
    CheckModelOut,
    DisagreementOut,
    DocumentOut,
    FiguresOut,
    InvitationOut,
    MetricsOut,
    NotificationOut,
    RespondIn,
    ReviewIn,
    Submitted,
    SweepOut,
    WithdrawIn,
)
from smartgov.core.db import Natural
from smartgov.core.models import User
from smartgov.web.deps import Lang, SessionDep, SettingsDep, require

router = APIRouter(tags=["cases"])


def _out(request: Request, session: SessionDep, case: Case, lang: str, user: User) -> CaseOut:
    settings = request.app.state.settings
    events = cases.events_of(session, case)
    return present.case_out(session, settings, case, lang, events, viewer=user)


@router.post("/cases", status_code=201)
def apply(
    body: ApplicationIn,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    lang: Lang,
    user: Annotated[User, require(CASES_APPLY)],
) -> Submitted:
    """Apply for a service (a counter officer names the resident or enterprise), with
    the documents it requires, as the web form does: the same checks in one service
    function. The same idempotency key returns the first case with 200 instead of
    making another."""
    case, created = cases.submit(
        session, settings, actor=user,
        app=cases.Application(
            service_id=body.service, idempotency_key=body.idempotency_key,
            channel=body.channel, answers=body.answers, consent=body.consent,
            human_decision=body.human_decision, resident_id=body.resident_id,
            credit_code=body.credit_code,
            documents={k: (d.filename, d.content) for k, d in body.documents.items()},
        ),
    )  # fmt: skip
    if created:  # woken after the request's transaction has committed, so it finds it
        background.add_task(cases.wake_worker, request.app.state)
    else:
        response.status_code = 200
    return Submitted(case=_out(request, session, case, lang, user), created=created)


@router.get("/cases/{ref}")
def get_case(
    ref: str,
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: Annotated[User, require(CASES_READ)],
) -> CaseOut:
    """A case with its decision, the facts used and where each came from, and its events."""
    return _out(request, session, cases.find_case(session, ref, user), lang, user)


@router.get("/me/cases")
def my_cases(session: SessionDep, user: Annotated[User, require(CASES_READ)]) -> list[CaseSummary]:
    return [present.summary(c) for c in cases.my_cases(session, user)]


@router.get("/review/queue")
def review_queue(
    session: SessionDep,
    user: Annotated[User, require(CASES_REVIEW)],
    state: Annotated[str | None, Query(pattern="^(awaiting_review|appealed)$")] = None,
    service: str | None = None,
    overdue: bool = False,
) -> list[CaseSummary]:
    """Your department's cases waiting for a person: highest priority, then earliest due."""
    found = cases.queue(session, user, state=state, service_id=service, overdue=overdue)
    return [present.summary(c) for c in found]


@router.post("/cases/{ref}/review")
def review(
    ref: str,
    body: ReviewIn,
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: Annotated[User, require(CASES_REVIEW)],
) -> CaseOut:
    """Approve, reject, or ask the applicant for information. Going against the
    automated outcome needs a justification; a stale ``version`` is refused (409)."""
    case = cases.find_case(session, ref, user)
    cases.review_case(session, case, reviewer=user, action=body.action, version=body.version,
                      justification=body.justification, amount=body.amount)  # fmt: skip
    return _out(request, session, case, lang, user)


@router.post("/cases/{ref}/appeal")
def appeal(
    ref: str,
    body: AppealIn,
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: Annotated[User, require(CASES_READ)],
) -> CaseOut:
    case = cases.find_case(session, ref, user)
    cases.appeal(session, case, user=user, version=body.version, reason=body.reason)
    return _out(request, session, case, lang, user)


@router.post("/cases/{ref}/respond")
def respond(
    ref: str,
    body: RespondIn,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    lang: Lang,
    user: Annotated[User, require(CASES_READ)],
) -> CaseOut:
    """Send the information a reviewer asked for; the case is checked again."""
    case = cases.find_case(session, ref, user)
    cases.respond(session, case, user=user, version=body.version, answer=body.answer)
    background.add_task(cases.wake_worker, request.app.state)  # after the commit
    return _out(request, session, case, lang, user)


@router.post("/cases/{ref}/withdraw")
def withdraw(
    ref: str,
    body: WithdrawIn,
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: Annotated[User, require(CASES_READ)],
) -> CaseOut:
    case = cases.find_case(session, ref, user)
    cases.withdraw(session, case, user=user, version=body.version)
    return _out(request, session, case, lang, user)


@router.get("/cases-metrics")
def case_metrics(
    session: SessionDep,
    _user: Annotated[User, require(CASES_METRICS)],
    since: datetime | None = None,
    service: str | None = None,
) -> MetricsOut:
    """Share decided automatically, manual intervention rate, time to decision (median,
    95th percentile), overrides and appeals, per service and channel; and per month, how
    often the second check disagreed with the rules."""
    found = metrics.figures(session, since=since, service_id=service)
    drift = metrics.disagreement_by_month(session, service_id=service)
    return MetricsOut(
        since=since or metrics.default_since(),
        overall=metrics.overall(found),
        services=[FiguresOut.model_validate(f, from_attributes=True) for f in found],
        disagreement=[DisagreementOut.model_validate(d, from_attributes=True) for d in drift],
    )


@router.post("/services/{service_id}/check-model", status_code=201)
def train_check(
    service_id: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(CASES_MANAGE)],
) -> CheckModelOut:
    """Train a new version of the service's second-check model on its past decisions."""
    cases.require_owner(settings, user, service_id)
    model = cases.train_check(session, settings, service_id, actor=f"user:{user.id}")
    return CheckModelOut(service=model.service_id, version=model.version,
                         created_at=model.created_at, trained_on=model.trained_on,
                         metrics=model.metrics, ledger_index=model.ledger_seq)  # fmt: skip


@router.post("/services/{service_id}/sweep", status_code=201)
def sweep(
    service_id: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(CASES_MANAGE)],
) -> SweepOut:
    """Invite everyone the rules find eligible for the service who has not applied."""
    cases.require_owner(settings, user, service_id)
    report = cases.sweep(session, settings, service_id, by=f"user:{user.id}")
    return SweepOut(service=report.service, population=report.population,
                    eligible=report.eligible, invited=report.invited,
                    seconds=report.seconds, ledger_index=report.ledger_index)  # fmt: skip


@router.post("/services/{service_id}/alerts", status_code=201)
def open_alert(
    service_id: str,
    body: AlertIn,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(CASES_MANAGE)],
) -> AlertOut:
    """While an alert is open, every new case of the service goes to a person."""
    cases.require_owner(settings, user, service_id)
    alert = cases.open_alert(
        session, settings, service_id, kind=body.kind, note=body.note, by=f"user:{user.id}"
    )
    return _alert_out(alert)


@router.delete("/services/{service_id}/alerts/{alert_id}")
def close_alert(
    service_id: str,
    alert_id: Natural,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(CASES_MANAGE)],
) -> AlertOut:
    cases.require_owner(settings, user, service_id)
    return _alert_out(cases.close_alert(session, service_id, alert_id, by=f"user:{user.id}"))


def _alert_out(alert: ServiceAlert) -> AlertOut:
    return AlertOut(id=alert.id, service=alert.service_id, kind=alert.kind, note=alert.note,
                    opened_by=alert.opened_by, opened_at=alert.opened_at,
                    closed_at=alert.closed_at)  # fmt: skip


@router.get("/me/invitations")
def my_invitations(
    session: SessionDep,
    settings: SettingsDep,
    lang: Lang,
    user: Annotated[User, require(CASES_APPLY)],
) -> list[InvitationOut]:
    """Services a sweep found you eligible for, without your applying."""
    return [
        present.invitation(session, settings, i, lang) for i in cases.invitations(session, user)
    ]


@router.post("/me/invitations/{ref}/accept", status_code=201)
def accept_invitation(
    ref: str,
    body: AcceptIn,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    lang: Lang,
    user: Annotated[User, require(CASES_APPLY)],
) -> CaseOut:
    """Apply with one click; the consent covers the reads the service lists."""
    case = cases.accept_invitation(
        session, settings, user=user, ref=ref, consent=body.consent, key=f"invitation-{ref}"
    )
    background.add_task(cases.wake_worker, request.app.state)  # after the commit
    return _out(request, session, case, lang, user)


@router.get("/me/notifications")
def my_notifications(
    session: SessionDep, lang: Lang, user: Annotated[User, require(CASES_READ)]
) -> list[NotificationOut]:
    """What happened to your applications, newest first."""
    return [present.notification(n, lang) for n in cases.notifications(session, user)]


@router.post("/cases/{ref}/documents", status_code=201)
async def add_document(
    ref: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(CASES_READ)],
    kind: Annotated[str, Form(max_length=64)],
    file: UploadFile,
) -> DocumentOut:
    """Add a document (PDF, PNG or JPEG, up to SMARTGOV_MAX_UPLOAD_BYTES) to a case that
    is submitted or waiting for information; it is stored with its SHA-256."""
    data = await file.read(settings.max_upload_bytes + 1)
    case = await run_in_threadpool(cases.find_case, session, ref, user)
    document = await run_in_threadpool(
        cases.add_document, session, settings, case, user=user, kind=kind,
        filename=file.filename or kind, data=data,
    )  # fmt: skip
    return DocumentOut(kind=document.kind, filename=document.filename, size=document.size,
                       content_type=document.content_type, sha256=document.sha256)  # fmt: skip
