"""Service pages: the catalogue, each service's rules beside its legal basis, and the
simulation page where an analyst edits parameters and compares the reform."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartgov.core import i18n
from smartgov.core.clock import today
from smartgov.core.db import attempt
from smartgov.core.errors import DomainError, FieldError
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.core.settings import Settings
from smartgov.exchange import registries
from smartgov.rules import report, service, simulate
from smartgov.rules.explain import pick
from smartgov.rules.permissions import RULES_SIMULATE
from smartgov.rules.simulate import DIMENSION_LABELS, MIN_CELL
from smartgov.web.deps import Lang, OptionalUser, SessionDep, SettingsDep, check_csrf, require
from smartgov.web.templating import organisation_names, render

router = APIRouter(include_in_schema=False)
Analyst = Annotated[User, require(RULES_SIMULATE)]


@router.get("/services", dependencies=[require(Permission.public)])
def services_page(
    request: Request, settings: SettingsDep, user: OptionalUser, lang: Lang
) -> HTMLResponse:
    catalogue = service.services(settings)
    return render(request, "services.html", lang=lang, user=user,
                  services=list(catalogue.services.values()), pick=pick)  # fmt: skip


@router.get("/services/{service_id}", dependencies=[require(Permission.public)])
def service_page(
    request: Request, service_id: str, settings: SettingsDep, user: OptionalUser, lang: Lang
) -> HTMLResponse:
    svc = service.get_service(settings, service_id)
    translate = i18n.translator(lang)
    known = registries.fields(svc.definition.unit)
    field_words = {n: translate(known[n].label) for n in svc.definition.inputs if n in known}
    return render(request, "service.html", lang=lang, user=user, svc=svc, d=svc.definition,
                  pick=pick, on=today(), values=svc.parameters_on(today()),
                  field_words=field_words)  # fmt: skip


@router.get("/services/{service_id}/simulate")
def simulate_form(
    request: Request, service_id: str, settings: SettingsDep, user: Analyst, lang: Lang
) -> HTMLResponse:
    svc = service.get_service(settings, service_id)
    return _simulation(request, svc, user, lang, on=today(), edited={})


@router.post("/services/{service_id}/simulate")
async def simulate_run(request: Request, service_id: str, settings: SettingsDep,
                       session: SessionDep, user: Analyst, lang: Lang) -> HTMLResponse:  # fmt: skip
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    # The form is read on the event loop; the simulation (a population read, DuckDB, a
    # chart) runs in a thread, so the server answers other requests meanwhile.
    return await run_in_threadpool(
        _simulate_run, request, service_id, settings, session, user, lang, text
    )


def _simulate_run(
    request: Request, service_id: str, settings: Settings, session: Session, user: User,
    lang: str, form: dict[str, str],
) -> HTMLResponse:  # fmt: skip
    svc = service.get_service(settings, service_id)
    errors: list[FieldError] = []
    on = _date(str(form.get("on", "")), errors)
    current = svc.parameters_on(on or today())
    edited: dict[str, Any] = {}
    for name, parameter in svc.definition.parameters.items():
        raw = str(form.get(f"p.{name}", "")).strip()
        if raw == "" or parameter.type == "text":
            continue
        value = _number(raw, parameter.type, name, errors)
        if value is not None and value != current[name][0]:
            edited[name] = value
    privacy = Privacy()
    for name in ("epsilon", "cost_bound"):
        raw = str(form.get(name, "")).strip()
        value = _number(raw, "number", name, errors, field=name) if raw else None
        if value is not None:
            privacy = replace(privacy, **{name: value})
    if errors or on is None:
        return _simulation(request, svc, user, lang, on=on or today(), edited=edited,
                           errors=errors, status=422, privacy=privacy)  # fmt: skip
    reform = {
        "name": {"zh": "页面上调整的参数", "en": "Parameters edited on the page"},
        "service": svc.id,
        "parameters": edited,
    }
    cache = service.population_cache(request.app.state)
    try:
        done = attempt(session, lambda: service.simulate_registry(
            session, settings, user, svc, reform, on=on, epsilon=privacy.epsilon,
            cost_bound=privacy.cost_bound, cache=cache,
        ))  # fmt: skip
    except service.LoadError as error:
        errors = [FieldError.literal(p.where or "reform", p.message) for p in error.problems]
        return _simulation(request, svc, user, lang, on=on, edited=edited, errors=errors,
                           status=422, privacy=privacy)  # fmt: skip
    if isinstance(done, DomainError):
        # A refusal (a grant or an allowance short) keeps its record: the page's
        # transaction commits it, as it would any refused read.
        return _simulation(request, svc, user, lang, on=on, edited=edited, errors=done.fields,
                           status=done.status, privacy=privacy)  # fmt: skip
    comparison, setup = done
    districts, _departments = organisation_names(request, lang)
    # Groups by their words, in the chart as on the page: districts, and the codes the
    # capabilities label (genders, disability bands).
    translate = i18n.translator(lang)
    codes = {k: translate(v) for k, v in request.app.state.templates.globals["labels"].items()}
    return _simulation(
        request, svc, user, lang, on=on, edited=edited, comparison=comparison, setup=setup,
        chart=report.svg(comparison, lang, {**codes, **districts}), labels=districts,
        privacy=privacy,
    )  # fmt: skip


def _simulation(request: Request, svc: service.Service, user: User, lang: str, *, on: date,
                edited: dict[str, Any], errors: list[FieldError] | None = None,
                status: int = 200, **context: Any) -> HTMLResponse:  # fmt: skip
    context.setdefault("labels", {})
    privacy = context.pop("privacy", None) or Privacy()
    context.update(epsilon=privacy.epsilon, cost_bound=privacy.cost_bound)
    return render(
        request, "simulate.html", lang=lang, user=user, svc=svc, d=svc.definition, pick=pick,
        on=on, values=svc.parameters_on(on), edited=edited, errors=errors or [],
        status_code=status, dimension_labels=DIMENSION_LABELS, min_cell=MIN_CELL, **context,
    )  # fmt: skip


@dataclass(frozen=True)
class Privacy:
    """What the analyst asked of the release (shown again in the form)."""

    epsilon: float = simulate.EPSILON
    cost_bound: float = simulate.COST_BOUND


def _date(raw: str, errors: list[FieldError]) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else today()
    except ValueError:
        errors.append(FieldError("on", "Enter a date as YYYY-MM-DD."))
        return None


def _number(
    raw: str, kind: str, name: str, errors: list[FieldError], field: str | None = None
) -> Any:
    try:
        if kind == "integer":
            return int(raw)
        if kind == "boolean":
            return raw.lower() in ("1", "true", "yes")
        return float(raw)
    except ValueError:
        message = "Enter a whole number." if kind == "integer" else "Enter a number."
        errors.append(FieldError(field or f"p.{name}", message))
        return None
