"""Reforms: parameter changes and replaced variables laid over a service.

A reform is applied by building a new service from the changed definition, so every
check a published service passes (names, types, cycles, table gaps) runs on the
reform too, and a bad reform is refused with the line of the reform file at fault."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from smartgov.exchange import service as exchange
from smartgov.rules import tables
from smartgov.rules.compiled import Service, build
from smartgov.rules.definition import Reform, Scalar
from smartgov.rules.source import LoadError, Located, Problem, read, validate


def load_reform(path: Path) -> tuple[Reform, Located]:
    located = read(path)
    return validate(Reform, located), located


def reform_from_data(data: Mapping[str, Any], name: str = "reform") -> tuple[Reform, Located]:
    """A reform given through the API: the same checks, paths instead of lines."""
    located = Located(name, dict(data))
    return validate(Reform, located), located


def apply(service: Service, reform: Reform, located: Located) -> Service:
    """The reformed service; LoadError names what in the reform is wrong."""
    if reform.service != service.id:
        raise LoadError(
            [
                located.problem(
                    ("service",), f"this reform is for `{reform.service}`, not `{service.id}`"
                )
            ]
        )
    definition = service.definition
    problems = []
    parameters = dict(definition.parameters)
    for name, change in reform.parameters.items():
        current = parameters.get(name)
        if current is None:
            problems.append(_unknown(located, service, "parameter", name, parameters))
            continue
        values: dict[date, Scalar]
        if isinstance(change, dict):
            values = {**current.values, **change}
        else:  # one value for every date
            values = {min(current.values): change}
        parameters[name] = current.model_copy(update={"values": values})
    variables = dict(definition.variables)
    for name, expr in reform.variables.items():
        if name not in variables:
            problems.append(_unknown(located, service, "variable", name, variables))
            continue
        variables[name] = variables[name].model_copy(update={"expr": expr})
    if problems:
        raise LoadError(problems)
    changed = definition.model_copy(
        update={
            "parameters": parameters,
            "variables": variables,
            "version": f"{definition.version}+reform",
        }
    )
    source = _reform_source(service, reform, located)
    reformed = build(changed, source, exchange.unit_fields(definition.unit))
    errors = [p for p in tables.analyse(reformed) if p.severity == "error"]
    if errors:
        raise LoadError(errors)
    return reformed


def _unknown(
    located: Located, service: Service, kind: str, name: str, known: Mapping[str, Any]
) -> Problem:
    names = ", ".join(known) or "none"
    return located.problem(
        (f"{kind}s", name), f"`{name}` is not a {kind} of {service.id}; {kind}s: {names}"
    )


def _reform_source(service: Service, reform: Reform, located: Located) -> Located:
    """Lines for the reformed definition: the reform's own where it changed something."""
    lines: dict[tuple[str | int, ...], int] = {}
    for name in reform.parameters:
        lines[("parameters", name)] = located.line(("parameters", name))
    for name in reform.variables:
        lines[("variables", name)] = located.line(("variables", name))
        lines[("variables", name, "expr")] = located.line(("variables", name))
    return Located(located.file, None, lines)
