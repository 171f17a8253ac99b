"""Services as rules over the API: read them, decide a case, simulate a reform."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from smartgov.core.clock import today
from smartgov.core.errors import FieldError, Invalid
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.rules import service
from smartgov.rules.explain import pick
from smartgov.rules.permissions import RULES_DECIDE, RULES_SIMULATE
from smartgov.rules.schemas import (
    ComparisonOut,
    DecideRequest,
    DecisionOut,
    ServiceSummary,
    SimulateRequest,
)
from smartgov.web.deps import Lang, SessionDep, SettingsDep, require

router = APIRouter(tags=["services"])


def summary(svc: service.Service, lang: str) -> ServiceSummary:
    d = svc.definition
    return ServiceSummary(
        id=d.id, version=d.version, name=pick(d.name, lang), summary=pick(d.summary, lang),
        department=d.department, unit=d.unit, risk=d.risk, period=d.outcome.period,
    )  # fmt: skip


@router.get("/services", dependencies=[require(Permission.public)])
def list_services(settings: SettingsDep, lang: Lang) -> list[ServiceSummary]:
    """Every published service."""
    return [summary(s, lang) for s in service.services(settings).services.values()]


@router.get("/services/{service_id}", dependencies=[require(Permission.public)])
def show_service(service_id: str, settings: SettingsDep) -> dict[str, Any]:
    """A service's whole definition: legal basis, inputs, parameters, rules."""
    return service.get_service(settings, service_id).definition.model_dump(mode="json")


@router.post("/services/{service_id}/decide")
def decide(
    service_id: str, body: DecideRequest, settings: SettingsDep, lang: Lang,
    user: Annotated[User, require(RULES_DECIDE)],
) -> DecisionOut:  # fmt: skip
    """Decide one case from the given facts; the answer carries the full trace."""
    svc = service.get_service(settings, service_id)
    decision = service.decide(svc, body.facts, on=body.on or today())
    return DecisionOut.model_validate(service.decision_payload(decision, lang))


@router.post("/services/{service_id}/simulate")
def simulate(
    service_id: str, body: SimulateRequest, request: Request, session: SessionDep,
    settings: SettingsDep, user: Annotated[User, require(RULES_SIMULATE)],
) -> ComparisonOut:  # fmt: skip
    """Compare a reform with today's rules over the registries' population, read under
    your grants for policy simulation and released with differential privacy: each
    dataset read is charged ``epsilon`` from your allowance. The read is listed at
    ``/api/v1/statistics/population-reads``."""
    svc = service.get_service(settings, service_id)
    reform = {"service": service_id, **body.reform}
    try:
        comparison, setup = service.simulate_registry(
            session, settings, user, svc, reform, on=body.on or today(), epsilon=body.epsilon,
            cost_bound=body.cost_bound, cache=service.population_cache(request.app.state),
        )  # fmt: skip
    except service.LoadError as error:
        raise Invalid(N_("The reform cannot be applied."), [
            FieldError.literal(f"reform.{p.where}" if p.where else "reform", p.message)
            for p in error.problems
        ]) from None  # fmt: skip
    return ComparisonOut.model_validate({**comparison.as_dict(), "setup_seconds": setup})
