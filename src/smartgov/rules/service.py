"""What other capabilities, the CLI and the web use of the rules: the catalogue of
services, deciding a case, checking and testing services, and simulating reforms."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from smartgov.core.deployment import Finding
from smartgov.core.errors import FieldError, Invalid, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.settings import ConfigError, Settings
from smartgov.exchange import service as exchange
from smartgov.rules import evaluate, population, reforms, simulate, tables
from smartgov.rules import explain as explain_module
from smartgov.rules.casetests import CaseResult, run_tests
from smartgov.rules.compiled import Service
from smartgov.rules.definition import Text
from smartgov.rules.evaluate import NOT_IN_FORCE, Decision
from smartgov.rules.evaluate import decide as _decide
from smartgov.rules.explain import explanation, trace
from smartgov.rules.loader import Catalogue, catalogue, load_service, service_folders
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
    "simulate_registry",
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
        "proposed_amount": decision.proposed_amount,
        "maximum": decision.maximum,
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


def prepare_reform(
    service: Service, reform: Mapping[str, Any] | Path, *, on: date
) -> tuple[Service, Text | None, float]:
    """The reformed service from a reform (a YAML file or a mapping), its name, and
    the seconds spent setting it up; raises ``LoadError`` or ``Invalid``."""
    started = time.perf_counter()
    if isinstance(reform, Path):
        definition, located = reforms.load_reform(reform)
    else:
        definition, located = reforms.reform_from_data(reform)
    reformed = reforms.apply(service, definition, located)
    if not service.is_effective(on):
        raise Invalid(NOT_IN_FORCE, [FieldError("on", NOT_IN_FORCE)])
    return reformed, definition.name, time.perf_counter() - started


def simulate_reform(
    service: Service, reform: Mapping[str, Any] | Path, data: population.Data, *, on: date
) -> tuple[simulate.Comparison, float]:
    """Apply a reform and compare it with the baseline over ``data``, a population the
    caller holds (a Parquet or CSV file: its own data, not the registries').

    Returns the comparison and the seconds spent setting the reform up."""
    reformed, name, setup = prepare_reform(service, reform, on=on)
    return simulate.compare(service, reformed, data, on=on, reform_name=name), setup


#: The purpose under which analysts read whole populations to simulate reforms: the
#: departments that keep the data grant it, and every such read is listed publicly.
SIMULATION_PURPOSE = exchange.POLICY_SIMULATION
population_cache = exchange.population_cache
#: What the other capabilities use of the rules beside the functions above: the facts
#: typed as a service reads them, a whole population decided at once, a name picked in
#: the reader's language.
coerce_facts = evaluate.coerce_facts
evaluate_population = population.evaluate
pick = explain_module.pick


def simulate_registry(
    session: Session, settings: Settings, user: User, service: Service,
    reform: Mapping[str, Any] | Path, *, on: date, epsilon: float = simulate.EPSILON,
    cost_bound: float = simulate.COST_BOUND, cache: exchange.PopulationCache | None = None,
) -> tuple[simulate.Comparison, float]:  # fmt: skip
    """A reform compared over the registries' population, read through the exchange
    for the analyst: their grants for policy simulation must cover the service's
    registry inputs (the breakdowns use what else they are granted), the read is
    listed publicly, and the figures are released with differential privacy, charging
    ``epsilon`` to every dataset read (the analyst's allowances, given by the keeping
    departments). Raises ``Refused`` (recorded) when a grant or an allowance is short."""
    if not 0 < epsilon <= simulate.MAX_EPSILON:
        raise Invalid(N_("The simulation cannot be released."),
                      [FieldError("epsilon", N_("Give an epsilon above 0, at most {most}."),
                                  {"most": simulate.MAX_EPSILON})])  # fmt: skip
    if not 0 < cost_bound <= simulate.MAX_COST_BOUND:
        raise Invalid(N_("The simulation cannot be released."),
                      [FieldError("cost_bound", N_("Give a yearly cost above 0, at most {most}."),
                                  {"most": f"{simulate.MAX_COST_BOUND:.0e}"})])  # fmt: skip
    # The reform is checked before anything is read: a wrong one costs no read.
    reformed, name, setup = prepare_reform(service, reform, on=on)
    unit = service.definition.unit
    consumer = exchange.Consumer.user(user)
    inputs = [n for n, spec in service.definition.inputs.items() if spec.source == "registry"]
    granted = set(exchange.granted_fields(session, consumer, SIMULATION_PURPOSE, unit))
    wanted = [*inputs, *(n for n in simulate.dimension_fields(unit) if n in granted)]
    data = exchange.read_population(
        session, settings, consumer=consumer, unit=unit, fields=list(dict.fromkeys(wanted)),
        purpose=SIMULATION_PURPOSE, per_subject=False, cache=cache,
    )  # fmt: skip
    keys = simulate.public_keys(unit, exchange.district_codes(session))
    private = simulate.Privacy(epsilon, cost_bound, keys, exchange.laplace)
    comparison = simulate.compare(service, reformed, data, on=on, reform_name=name, private=private)
    located = exchange.locate(session, unit, data.column_names)
    datasets: dict[str, list[str]] = {}
    for column in data.column_names:
        if column in located:
            datasets.setdefault(located[column].dataset, []).append(column)
    left = exchange.spend_privacy(
        session, datasets=list(datasets), epsilon=epsilon, statistic=f"simulation:{service.id}",
        fields=datasets, bounds=(0.0, cost_bound), user=user,
    )  # fmt: skip
    assert comparison.privacy is not None
    comparison.privacy["budget_left"] = left
    return comparison, setup


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
            types={n: service.symbols[n].type for n in registry},
        )  # fmt: skip
        made[service_id] = len(asked)
    exchange.revoke_other_services(session, published)
    return made


def deployment_findings(settings: Settings) -> list[Finding]:
    """`smartgov check`: a services folder (SG007) whose services all load (SG008)."""
    root = settings.services_dir
    if not root.is_dir():
        return [Finding("SG007", "warning", f"no services folder at {root}; set "
                        "SMARTGOV_SERVICES_DIR to the folder of service definitions.")]  # fmt: skip
    try:
        problems = services(settings).problems
    except ConfigError:  # the city's registries do not plug in: SG009 says so
        return []
    return [
        Finding("SG008", "error", f"service {sid} does not load: {problems[sid][0]} "
                "(run `smartgov rules check`)")
        for sid in sorted(problems)
    ]  # fmt: skip


def service_names(settings: Settings) -> dict[str, dict[str, str]]:
    """Each published service's name in Chinese and English (a consumer of data)."""
    return {
        sid: {"zh": s.definition.name.zh, "en": s.definition.name.en}
        for sid, s in services(settings).services.items()
    }
