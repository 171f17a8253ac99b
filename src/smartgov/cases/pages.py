"""Case pages: applying (a form generated from the service), the applicant's case with
its decision, facts and appeal, "my applications" with invitations, the reviewer's
queue and review, and the figures. Forms carry a CSRF token; an application form also
carries its idempotency key, so a double click makes one case."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from smartgov.cases import decide, metrics, present
from smartgov.cases import service as cases
from smartgov.cases.intake import OFFICER_CHANNELS
from smartgov.cases.permissions import CASES_APPLY, CASES_METRICS, CASES_READ, CASES_REVIEW
from smartgov.cases.workflow import STATE_LABELS, State
from smartgov.core import i18n
from smartgov.core.db import Natural, attempt
from smartgov.core.errors import DomainError, FieldError, Forbidden, Invalid, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.exchange.permissions import COUNTER_LOOKUP
from smartgov.rules import service as rules
from smartgov.web.deps import Lang, SessionDep, SettingsDep, check_csrf, require
from smartgov.web.templating import organisation_names, render

router = APIRouter(include_in_schema=False)
Applicant = Annotated[User, require(CASES_APPLY)]
#: An amount's period, as a service's outcome names it.
PERIODS = {"month": N_("per month"), "year": N_("per year"), "once": N_("once")}
Reader = Annotated[User, require(CASES_READ)]
Reviewer = Annotated[User, require(CASES_REVIEW)]


def _apply_form(
    request: Request,
    svc: rules.Service,
    user: User,
    lang: str,
    *,
    errors: list[FieldError] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    carried: bool = False,
) -> HTMLResponse:
    officer = user.role == Role.counter_officer
    for_enterprises = svc.definition.unit == "enterprise"
    _ = i18n.translator(lang)
    fields = {"consent": _("Consent"), "resident_id": _("Resident ID number"),
              "credit_code": _("Unified social credit code"), "channel": _("Channel")}  # fmt: skip
    anchors = {}
    for doc in svc.definition.documents:
        fields[f"documents.{doc.id}"] = rules.pick(doc.label, lang)
        anchors[f"documents.{doc.id}"] = f"doc-{doc.id}"
    for name, spec in svc.definition.inputs.items():
        if spec.source == "applicant":
            fields[f"answers.{name}"] = rules.pick(spec.label, lang) if spec.label else name
            anchors[f"answers.{name}"] = f"answer-{name}"
    return render(
        request, "apply.html", lang=lang, user=user, svc=svc, d=svc.definition,
        pick=rules.pick, key=(values or {}).get("idempotency_key") or uuid.uuid4().hex,
        errors=errors or [], values=values or {}, officer=officer, channels=OFFICER_CHANNELS,
        fields=fields, anchors=anchors, carried=carried,
        # Who may apply is said before the form, not after it was filled in.
        may_apply=officer or (user.role == Role.enterprise) == for_enterprises,
        status_code=status,
    )  # fmt: skip


# --- The counter: find a resident, then apply for them ------------------------------

Counter = Annotated[User, require(COUNTER_LOOKUP)]


def _person_services(settings: Settings, lang: str) -> list[tuple[str, str]]:
    """The services a counter officer applies for with a resident ID, by name."""
    return sorted(
        ((s.id, rules.pick(s.definition.name, lang))
         for s in rules.services(settings).services.values()
         if s.definition.unit != "enterprise"),
        key=lambda pair: pair[1],
    )  # fmt: skip


@router.post("/counter/lookup")
def counter_lookup(
    request: Request, session: SessionDep, settings: SettingsDep, user: Counter, lang: Lang,
    resident_id: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:  # fmt: skip
    """The resident's few facts a counter needs (the read recorded), and the services to
    apply for on their behalf. The ID number is posted, never in a URL."""
    check_csrf(request, csrf_token)
    error, person, status = None, None, 200
    try:
        person = exchange.counter_lookup(
            session, settings, user=user, resident_id=resident_id,
            recorder=request.app.state.recorder,
        )  # fmt: skip
    except DomainError as exc:  # a malformed number (422) or nobody registered (404)
        first = exc.fields[0] if exc.fields else None  # the template translates a msgid
        error = first.message if first is not None and not first.params else exc.message
        status = exc.status
    return render(
        request, "counter.html", lang=lang, user=user, person=person, error=error,
        resident_id=resident_id.strip().upper() if person else "",
        services=_person_services(settings, lang) if person else [], status_code=status,
    )  # fmt: skip


@router.post("/counter/apply")
def counter_apply_form(
    request: Request, settings: SettingsDep, user: Applicant, lang: Lang,
    service_id: Annotated[str, Form(max_length=80)] = "",
    resident_id: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:  # fmt: skip
    """The application form for the resident just found, their ID carried over (posted
    again, never in a URL); submitting it is the usual application."""
    check_csrf(request, csrf_token)
    if user.role != Role.counter_officer:
        raise Forbidden(N_("Only a counter officer applies for someone else."))
    values = {"resident_id": resident_id.strip().upper(), "channel": "counter"}
    return _apply_form(request, rules.get_service(settings, service_id), user, lang,
                       values=values, carried=True)  # fmt: skip


@router.get("/services/{service_id}/apply")
def apply_form(
    request: Request, service_id: str, settings: SettingsDep, user: Applicant, lang: Lang
) -> HTMLResponse:
    return _apply_form(request, rules.get_service(settings, service_id), user, lang)


@router.post("/services/{service_id}/apply")
async def apply(
    request: Request,
    service_id: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Applicant,
    lang: Lang,
) -> Response:
    form = await request.form(max_part_size=settings.max_upload_bytes + 1)
    check_csrf(request, str(form.get("csrf_token", "")))
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    uploads = {
        name.removeprefix("doc."): value
        for name, value in form.multi_items()
        if name.startswith("doc.") and isinstance(value, UploadFile) and value.filename
    }
    files = {
        kind: (upload.filename or kind, await upload.read()) for kind, upload in uploads.items()
    }
    # The form is read on the event loop; the work, which queries and writes, in a thread.
    return await run_in_threadpool(
        _apply, request, service_id, session, settings, user, lang, values, files
    )


def _apply(
    request: Request, service_id: str, session: Session, settings: Settings, user: User,
    lang: str, values: dict[str, str], files: dict[str, tuple[str, bytes]],
) -> Response:  # fmt: skip
    svc = rules.get_service(settings, service_id)
    officer = user.role == Role.counter_officer
    answers = {
        name: values[f"answer.{name}"]
        for name, spec in svc.definition.inputs.items()
        if spec.source == "applicant" and values.get(f"answer.{name}")
    }
    app = cases.Application(
        service_id=svc.id,
        idempotency_key=values.get("idempotency_key", ""),
        channel=values.get("channel", "counter") if officer else "online",
        answers=answers,
        consent=values.get("consent") == "yes",
        human_decision=values.get("human") == "yes",
        resident_id=values.get("resident_id") or None,
        credit_code=values.get("credit_code") or None,
        documents=files,
    )
    done = attempt(session, lambda: cases.submit(session, settings, actor=user, app=app))
    if isinstance(done, DomainError):
        return _apply_form(
            request,
            svc,
            user,
            lang,
            errors=done.fields or [FieldError("form", done.message)],
            values=values,
            status=done.status,
        )
    return _to_case(request, done[0].ref)


def _to_case(request: Request, ref: str) -> Response:
    """To the case's page; the worker is woken once the request's transaction has
    committed (a background task runs after it), so it finds the case."""
    return RedirectResponse(
        f"/cases/{ref}",
        status_code=303,
        background=BackgroundTask(cases.wake_worker, request.app.state),
    )


def _case_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    case: cases.Case,
    user: User,
    lang: str,
    *,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> HTMLResponse:
    events = cases.events_of(session, case)
    shown = present.case_out(session, settings, case, lang, events, viewer=user)
    service = rules.services(settings).get(case.service_id)
    reviewing = cases.may_review(case, user)
    return render(
        request,
        "case.html",
        lang=lang,
        user=user,
        case=shown,
        applicant=case.applicant_id == user.id,
        reviewing=reviewing,
        errors=errors or [],
        proposal=cases.amount_proposal(case) if reviewing else None,
        documents=cases.documents_of(session, case),
        refresh=case.state in (State.submitted, State.checking),
        periods={k: i18n.translator(lang)(v) for k, v in PERIODS.items()},
        outcomes={k: i18n.translator(lang)(v) for k, v in present.OUTCOMES.items()},
        steps=present.history(session, events, user, lang, organisation_names(request, lang)[1]),
        asked=present.last_request(events),
        service_documents=service.definition.documents if service else [],
        status_code=status,
    )


@router.get("/cases/{ref}")
def case_page(
    request: Request, ref: str, session: SessionDep, settings: SettingsDep, user: Reader, lang: Lang
) -> HTMLResponse:
    return _case_page(request, session, settings, cases.find_case(session, ref, user), user, lang)


@router.get("/cases/{ref}/documents/{number}")
def document_file(
    ref: str, number: Natural, session: SessionDep, settings: SettingsDep, user: Reader
) -> Response:
    """One document of a case, for those who may see the case, shown by the browser
    itself: only the three kinds checked at upload (PDF, PNG, JPEG, by their bytes),
    never sniffed as anything else, in a sandbox that runs no script, kept by no cache."""
    case = cases.find_case(session, ref, user)
    found = cases.document_of(session, settings, case, number)
    if found is None:
        raise NotFound()
    document, data = found
    sandbox = "" if document.content_type == "application/pdf" else "; sandbox"
    return Response(data, media_type=document.content_type, headers={
        "Content-Disposition": f"inline; filename=document-{document.id}",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; "
                                   f"style-src 'unsafe-inline'; frame-ancestors 'self'{sandbox}",
    })  # fmt: skip


@router.get("/cases/{ref}/receipt")
def receipt_page(
    request: Request, ref: str, session: SessionDep, settings: SettingsDep, user: Reader, lang: Lang
) -> HTMLResponse:
    """The receipt (回执) a counter officer prints for the resident: the reference, the
    service, when it was received and by when it is decided, and a QR code of the
    address where it can be followed. Nothing about the person is printed on it."""
    import segno  # only for receipts

    case = cases.find_case(session, ref, user)
    follow = f"{str(request.base_url).rstrip('/')}/cases/{case.ref}"
    code = segno.make(follow, error="m")
    service = rules.services(settings).get(case.service_id)
    return render(
        request, "receipt.html", lang=lang, user=user, case=case, follow=follow,
        qr=code.svg_data_uri(scale=4, dark="#1b1b1b"),
        service_name=rules.pick(service.definition.name, lang) if service else case.service_id,
        sla_days=service.definition.review.sla_days if service else None,
    )  # fmt: skip


@router.post("/cases/{ref}/{action}")
async def case_action(
    request: Request,
    ref: str,
    action: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Reader,
    lang: Lang,
) -> Response:
    """The applicant's appeal, answer (with files, if asked for) and withdrawal, and the
    reviewer's decision."""
    if action not in ("appeal", "respond", "withdraw", "review"):
        raise NotFound()
    form = await request.form(max_part_size=settings.max_upload_bytes + 1)
    check_csrf(request, str(form.get("csrf_token", "")))
    text = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    files = {
        name.removeprefix("doc."): (value.filename or name, await value.read())
        for name, value in form.multi_items()
        if name.startswith("doc.") and isinstance(value, UploadFile) and value.filename
    }
    return await run_in_threadpool(
        _case_action, request, ref, action, session, settings, user, lang, text, files
    )


def _case_action(
    request: Request, ref: str, action: str, session: Session, settings: Settings, user: User,
    lang: str, text: dict[str, str], files: dict[str, tuple[str, bytes]],
) -> Response:  # fmt: skip
    case = cases.find_case(session, ref, user)

    def act() -> None:
        # A version that is no number is as stale as an old one: the case page says so.
        version = int(text["version"]) if text.get("version", "").isdigit() else 0
        if action == "appeal":
            cases.appeal(session, case, user=user, version=version, reason=text.get("reason", ""))
        elif action == "respond":
            # The files and the answer stand or fall together (one savepoint).
            for kind, (filename, data) in files.items():
                cases.add_document(session, settings, case, user=user, kind=kind,
                                   filename=filename, data=data)  # fmt: skip
            cases.respond(session, case, user=user, version=version, answer=text.get("answer", ""))
        elif action == "withdraw":
            cases.withdraw(session, case, user=user, version=version)
        else:
            decision = text.get("decision", "")
            cases.review_case(
                session,
                case,
                reviewer=user,
                action=decision,
                version=version,
                justification=text.get("justification", ""),
                # The form always carries the proposed amount; it counts on approval only.
                amount=_amount_field(text.get("amount", "")) if decision == "approve" else None,
            )

    done = attempt(session, act)
    if isinstance(done, DomainError):
        session.refresh(case)  # as it stands, without the undone change
        return _case_page(
            request,
            session,
            settings,
            case,
            user,
            lang,
            errors=done.fields or [FieldError("form", done.message)],
            status=done.status,
        )
    return _to_case(request, ref)


def _amount_field(text: str) -> float | None:
    """The review form's amount: empty is none; anything but a number is refused."""
    if not text.strip():
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise Invalid(
            N_("The amount is not a number."),
            [FieldError("amount", N_("Enter the amount as a number, such as 1200.50."))],
        ) from None


@router.get("/me/cases")
def my_cases_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: Reader, lang: Lang
) -> HTMLResponse:
    found = [present.summary(c) for c in cases.my_cases(session, user)]
    invited = [
        present.invitation(session, settings, i, lang) for i in cases.invitations(session, user)
    ]
    return render(
        request,
        "my_cases.html",
        lang=lang,
        user=user,
        cases=found,
        invitations=[i for i in invited if i.status == "open"],
        notices=[present.notification(n, lang) for n in cases.notifications(session, user)],
        labels=STATE_LABELS,
        names={
            s: rules.pick(v.definition.name, lang)
            for s, v in rules.services(settings).services.items()
        },
    )


@router.post("/me/invitations/{ref}/accept")
async def accept_invitation(
    request: Request, ref: str, session: SessionDep, settings: SettingsDep, user: Applicant
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    case = await run_in_threadpool(
        cases.accept_invitation, session, settings, user=user, ref=ref,
        consent=form.get("consent") == "yes", key=f"invitation-{ref}",
    )  # fmt: skip
    return _to_case(request, case.ref)


@router.get("/review")
def queue_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Reviewer,
    lang: Lang,
    service: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(pattern="^(awaiting_review|appealed)?$")] = None,
    overdue: bool = False,
) -> HTMLResponse:
    found = cases.queue(
        session, user, state=state or None, service_id=service or None, overdue=overdue
    )
    mine = {
        s: rules.pick(v.definition.name, lang)
        for s, v in rules.services(settings).services.items()
        if v.definition.department == user.department_code
    }
    return render(
        request,
        "queue.html",
        lang=lang,
        user=user,
        cases=[present.summary(c) for c in found],
        services=mine,
        chosen={"service": service, "state": state, "overdue": overdue},
        labels=STATE_LABELS,
        reasons=decide.REASONS,
    )


@router.get("/cases-metrics")
def metrics_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(CASES_METRICS)],
    lang: Lang,
) -> HTMLResponse:
    found = metrics.figures(session)
    names = {
        s: rules.pick(v.definition.name, lang) for s, v in rules.services(settings).services.items()
    }
    return render(
        request,
        "metrics.html",
        lang=lang,
        user=user,
        figures=found,
        overall=metrics.overall(found),
        drift=metrics.disagreement_by_month(session),
        names=names,
        duration=_duration,
    )


def _duration(seconds: float | None) -> str:
    """Seconds as a person reads them: 0.4 s, 3 min, 2.5 h, 4.0 d."""
    if seconds is None:
        return "—"
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172_800, "h", 3600)):
        if seconds < limit:
            return f"{seconds / size:.1f} {unit}" if unit != "min" else f"{seconds / 60:.0f} min"
    return f"{seconds / 86_400:.1f} d"


def _service_names(settings: Settings, lang: str) -> dict[str, str]:
    """Every published service's name in the page's language."""
    return {
        s: rules.pick(v.definition.name, lang) for s, v in rules.services(settings).services.items()
    }
