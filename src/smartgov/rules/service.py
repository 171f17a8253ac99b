"""What other capabilities, the CLI and the web use of the rules: the catalogue of
services, deciding a case, checking and testing services, and simulating reforms."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from smartgov.core.errors import FieldError, Invalid, NotFound
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.rules import population, reforms, simulate, tables
from smartgov.rules.casetests import CaseResult, run_tests
from smartgov.rules.catalogue import Catalogue, catalogue, load_service, service_folders
from smartgov.rules.evaluate import NOT_IN_FORCE, Decision
from smartgov.rules.evaluate import decide as _decide
from smartgov.rules.explain import explanation, trace
from smartgov.rules.model import Service
from smartgov.rules.source import LoadError, Problem

__all__ = [
    "Decision",
    "LoadError",
    "Problem",
    "Service",
    "check_services",
    "decide",
    "decision_payload",
    "explain",
    "get_service",
    "services",
    "simulate_reform",
    "purpose_of",
    "sync_grants",
    "test_services",
]


def services(settings: Settings) -> Catalogue:
    """The loaded catalogue of ``settings.services_dir`` (last good versions)."""
    return catalogue(settings.services_dir)


def get_service(settings: Settings, service_id: str) -> Service:
    found = services(settings).get(service_id)
    if found is None:
        raise NotFound(f"no service `{service_id}`")
    return found


def decide(service: Service, facts: Mapping[str, Any], *, on: date) -> Decision:
    """Decide one case; `Invalid` names each fact that is wrong."""
    return _decide(service, facts, on=on)


def explain(decision: Decision, language: str) -> str:
    """The decision in sentences, each with its clause."""
    return explanation(decision, language)


def decision_payload(decision: Decision, language: str) -> dict[str, Any]:
    service = decision.service
    return {
        "service": service.id,
        "version": service.definition.version,
        "on": decision.on.isoformat(),
        "outcome": decision.outcome,
        "amount": decision.amount,
        "period": service.definition.outcome.period,
        "duration": decision.duration,
        "missing": list(decision.missing),
        "failed_conditions": decision.failed,
        "explanation": explanation(decision, language),
        "trace": trace(decision, language),
    }


def check_services(root: Path, only: str | None = None) -> tuple[list[str], list[Problem]]:
    """Load every service under ``root`` (or one) afresh and list every problem,
    warnings included. Returns the ids checked and the problems."""
    folders = service_folders(root)
    if only is not None:
        folders = [f for f in folders if f.name == only]
        if not folders:
            raise NotFound(f"no service `{only}` in {root}")
    problems: list[Problem] = []
    for folder in folders:
        try:
            service = load_service(folder, shown_root=root)
        except LoadError as error:
            problems.extend(error.problems)
            continue
        problems.extend(p for p in tables.analyse(service) if p.severity == "warning")
        problems.extend(_warnings(service))
    return [f.name for f in folders], problems


def _warnings(service: Service) -> list[Problem]:
    found = []
    source = service.source
    used: set[str] = set()
    for checked in (*service.expressions.values(), service.amount, service.duration):
        if checked is not None:
            used |= checked.names
    for table in service.tables.values():
        for condition in table.conditions:
            used |= condition.names
        for row in [*table.outputs, table.default or {}]:
            for checked in row.values():
                used |= checked.names
    for name in [*service.definition.inputs, *service.definition.parameters]:
        if name not in used:
            kind = "inputs" if name in service.definition.inputs else "parameters"
            found.append(source.problem((kind, name), f"`{name}` is never used", "warning"))
    for index, ref in enumerate(service.definition.legal_basis):
        if ref.url is None:
            found.append(
                source.problem(
                    ("legal_basis", index),
                    f"`{ref.id}` has no link to the official text",
                    "warning",
                )
            )
    if not service.tests:
        found.append(source.problem((), "the service has no test cases (tests.yaml)", "warning"))
    return found


def test_services(catalogue: Catalogue, only: str | None = None) -> list[CaseResult]:
    chosen = [catalogue.services[only]] if only else list(catalogue.services.values())
    return [result for service in chosen for result in run_tests(service)]


def population_of(session: Session, service: Service) -> population.Data:
    """The registry view of the service's unit, from the database."""
    return exchange.population(session, service.definition.unit)


def simulate_reform(
    service: Service, reform: Mapping[str, Any] | Path, data: population.Data, *, on: date
) -> tuple[simulate.Comparison, float]:
    """Apply a reform (a YAML file or a mapping) and compare it with the baseline.

    Returns the comparison and the seconds spent setting the reform up."""
    started = time.perf_counter()
    if isinstance(reform, Path):
        definition, located = reforms.load_reform(reform)
    else:
        definition, located = reforms.reform_from_data(reform)
    reformed = reforms.apply(service, definition, located)
    setup = time.perf_counter() - started
    if not service.is_effective(on):
        raise Invalid(NOT_IN_FORCE, [FieldError("on", NOT_IN_FORCE)])
    comparison = simulate.compare(service, reformed, data, on=on, reform_name=definition.name)
    return comparison, setup


POPULATION_TTL = 300.0  # seconds a registry view is reused between simulations


def cached_population(state: Any, session: Session, service: Service) -> population.Data:
    """The registry view of ``service``'s unit, read at most every POPULATION_TTL seconds
    per process (``state`` is the app's state object)."""
    cache: dict[str, tuple[float, population.Data]] | None = getattr(
        state, "rules_population", None
    )
    if cache is None:
        cache = {}
        state.rules_population = cache
    unit = service.definition.unit
    found = cache.get(unit)
    if found is None or time.monotonic() - found[0] > POPULATION_TTL:
        found = cache[unit] = (time.monotonic(), population_of(session, service))
    return found[1]


def purpose_of(service: Service) -> str:
    """The purpose under which a service reads registry data: deciding its cases."""
    return f"decision:{service.id}"


def sync_grants(session: Session, settings: Settings) -> dict[str, int]:
    """Ask, for every published service, for exactly the registry fields its rules read,
    under its own legal basis: the departments that keep the data approve the requests
    (``exchange.requests``); what a service no longer reads is revoked at once, and the
    grants of services no longer published end. Returns how many requests each service
    made (0: its grants or pending requests already match)."""
    made = {}
    published = services(settings).services
    for service_id, service in sorted(published.items()):
        registry = [n for n, spec in service.definition.inputs.items() if spec.source == "registry"]
        basis = "; ".join(
            f"{ref.title.en}, {ref.article.en}" for ref in service.definition.legal_basis
        )
        asked = exchange.request_service_grants(
            session, service=service_id, unit=service.definition.unit, fields=registry,
            purpose=purpose_of(service), legal_basis=basis,
        )  # fmt: skip
        made[service_id] = len(asked)
    exchange.revoke_other_services(session, published)
    return made
