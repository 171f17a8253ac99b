"""Exchange pages: the data catalogue, the citizen's "who used my data", statistical
uses of registry data, and the keeping departments' data requests. (The counter's
lookup is a page of the cases capability, where the officer goes on to apply.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartgov.core import capabilities, i18n
from smartgov.core.clock import today
from smartgov.core.db import Natural, attempt
from smartgov.core.errors import Conflict, DomainError, Invalid
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission, Role
from smartgov.core.settings import Settings
from smartgov.exchange import catalogue, service
from smartgov.exchange.labels import FREQUENCY_LABELS, LABELS, LEVEL_HELP, LEVEL_LABELS
from smartgov.exchange.models import Access
from smartgov.exchange.permissions import GRANTS_MANAGE, OWN_RECORD_READ
from smartgov.exchange.registries import SENSITIVITIES
from smartgov.web.deps import Lang, SessionDep, SettingsDep, check_csrf, require
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[User | None, require(Permission.public)]


@router.get("/catalogue")
def catalogue_page(request: Request, session: SessionDep, user: Public, lang: Lang) -> HTMLResponse:
    found = catalogue.datasets(session)
    return render(
        request, "catalogue.html", lang=lang, user=user, datasets=found,
        fields=catalogue.fields_of(session, [d.code for d in found]),
        sensitivities=SENSITIVITIES, level_labels=LEVEL_LABELS, level_help=LEVEL_HELP,
        frequency_labels=FREQUENCY_LABELS,
    )  # fmt: skip


def consumer_names(settings: Settings, kind: str) -> dict[str, dict[str, str]]:
    """How the capability that owns a kind of consumer names its consumers."""
    found: dict[str, dict[str, str]] = {}
    for _capability, named in capabilities.each("consumer_names"):
        if kind in named:
            found.update(capabilities.resolve(named[kind])(settings))
    return found


@router.get("/me/accesses")
def accesses_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, require(OWN_RECORD_READ)],
    lang: Lang,
    before: Natural | None = None,
) -> HTMLResponse:
    subjects = service.own_subjects(session, user)
    found = service.accesses_to(session, settings, *subjects, before=before)
    about = {service.subject_index_of(settings, s): s.unit for s in subjects}
    # Services are the rules capability's: it names them (the capability registry).
    names = consumer_names(settings, "service")
    translate = i18n.translator(lang)

    def who(access: Access) -> str:
        kind, _, ident = access.consumer.partition(":")
        if kind == "service":
            name = names.get(ident)
            service_name = name["zh" if lang == "zh-Hans" else "en"] if name else ident
            return translate(N_("Automated decision: {service}")).format(service=service_name)
        if kind == "node":
            return translate(N_("Partner node {name}")).format(name=ident)
        return translate(N_("Staff account {number}")).format(number=ident)

    def purpose(access: Access) -> str:
        """Why, in words: a service's name for its own decisions, else the purpose's."""
        # A service's reads are for deciding its cases ("decision:<service>").
        name = names.get(access.purpose.removeprefix("decision:"))
        if name:
            return name["zh" if lang == "zh-Hans" else "en"]
        return translate(LABELS.get(access.purpose, access.purpose))

    return render(
        request, "accesses.html", lang=lang, user=user, accesses=found, who=who, about=about,
        purpose=purpose,
        more=len(found) == service.ACCESS_PAGE,
        field_labels=catalogue.field_labels(session, lang),
    )  # fmt: skip


@router.get("/statistics/population-reads")
def population_reads_page(
    request: Request, session: SessionDep, user: Public, lang: Lang, before: Natural | None = None
) -> HTMLResponse:
    """The public list of whole populations read for statistical uses."""
    found = service.population_reads(session, before=before)
    return render(
        request, "population_reads.html", lang=lang, user=user, reads=found,
        more=len(found) == service.ACCESS_PAGE, field_labels=catalogue.field_labels(session, lang),
    )  # fmt: skip


# --- The keeping department's data requests ------------------------------------------

Keeper = Annotated[User, require(GRANTS_MANAGE)]
STATUS_LABELS = {"pending": N_("Waiting"), "approved": N_("Approved"),
                 "refused": N_("Refused"), "withdrawn": N_("Withdrawn")}  # fmt: skip


@router.get("/grant-requests")
def grant_requests_page(
    request: Request, session: SessionDep, user: Keeper, lang: Lang, error: bool = False
) -> HTMLResponse:
    department = user.department_code if user.role == Role.department_officer else None
    found = service.grant_requests(session, department=department)
    translate = i18n.translator(lang)
    return render(
        request, "grant_requests.html", lang=lang, user=user,
        pending=[r for r in found if r.status == "pending"],
        decided=[r for r in found if r.status != "pending"][:50],
        status_labels={k: translate(v) for k, v in STATUS_LABELS.items()},
        default_expiry=(today() + timedelta(days=365)).isoformat(),
        default_review=(today() + timedelta(days=182)).isoformat(),
        error=translate(DECISION_FAILED) if error else None,
    )  # fmt: skip


#: What the page says when a decision form was refused (the URL carries only a flag).
DECISION_FAILED = N_("The decision could not be made: check the dates and the reason.")


def _back(done: object) -> RedirectResponse:
    """Back to the list: with a notice when the request could not be decided as asked
    (its savepoint undone); anything else refused, such as another department's
    request, goes on to the error page."""
    if isinstance(done, DomainError) and not isinstance(done, Invalid | Conflict):
        raise done
    failed = isinstance(done, DomainError)
    return RedirectResponse(
        "/grant-requests?error=1" if failed else "/grant-requests", status_code=303
    )


@router.post("/grant-requests/{request_id}/approve")
def approve_page(
    request: Request, request_id: Natural, session: SessionDep, user: Keeper,
    expires_on: Annotated[date, Form()], review_on: Annotated[date, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:  # fmt: skip
    check_csrf(request, csrf_token)
    until = datetime.combine(expires_on, time(23, 59), tzinfo=UTC)
    done = attempt(session, lambda: service.approve_request(
        session, request_id, actor=user, expires_at=until, review_on=review_on))  # fmt: skip
    return _back(done)


@router.post("/grant-requests/{request_id}/refuse")
def refuse_page(
    request: Request, request_id: Natural, session: SessionDep, user: Keeper,
    reason: Annotated[str, Form(max_length=2000)] = "", csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:  # fmt: skip
    check_csrf(request, csrf_token)
    done = attempt(
        session, lambda: service.refuse_request(session, request_id, actor=user, reason=reason)
    )
    return _back(done)
