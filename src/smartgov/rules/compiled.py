"""A service ready to run: its definition with every name resolved, every expression
parsed and typed, and the order in which its variables and tables are computed.

`build` collects every problem it finds instead of stopping at the first, so one run
of `smartgov rules check` lists all that a policy author has to fix."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from smartgov.rules.definition import (
    CaseTest,
    LegalBasis,
    Scalar,
    ServiceDefinition,
    Table,
    Text,
)
from smartgov.rules.expressions import Checked, ExpressionError, check, literal_sql, parse
from smartgov.rules.source import LoadError, Located, Problem

#: Names every expression may use without declaring them.
BUILTINS = {"decision_date": "date"}
#: Names the decision itself reports; a service may not define them.
RESERVED = {"outcome", "amount", "duration", "missing", "eligible", "decision_date"}
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "text": (str,),
    "date": (date,),
}


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # input, parameter, variable, output, condition, builtin
    type: str
    label: Text | None = None
    reference: str | None = None


@dataclass(frozen=True)
class TableRule:
    name: str
    definition: Table
    conditions: list[Checked]
    outputs: list[dict[str, Checked]]
    default: dict[str, Checked] | None


@dataclass
class Service:
    definition: ServiceDefinition
    source: Located
    symbols: dict[str, Symbol]
    expressions: dict[str, Checked]  # variables and conditions
    tables: dict[str, TableRule]
    steps: list[tuple[str, str]]  # ("variable" | "table", name), in dependency order
    amount: Checked
    duration: Checked | None
    maximum: Checked | None  # the most a reviewer may grant per period, from parameters
    depends: dict[str, frozenset[str]]  # every symbol to the inputs it reads, transitively
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # text inputs' code lists
    folder: Path | None = None
    tests: list[CaseTest] = field(default_factory=list)
    tests_source: Located | None = None
    _compiled: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def inputs(self) -> list[str]:
        return list(self.definition.inputs)

    @property
    def references(self) -> dict[str, LegalBasis]:
        return {ref.id: ref for ref in self.definition.legal_basis}

    @cached_property
    def epochs(self) -> list[date]:
        """The days on which some parameter takes a new value (sorted)."""
        days = {self.definition.effective_from}
        for parameter in self.definition.parameters.values():
            days.update(d for d in parameter.values if d >= self.definition.effective_from)
        return sorted(days)

    def epoch(self, on: date) -> int:
        return max(bisect.bisect_right(self.epochs, on) - 1, 0)

    def parameters_on(self, on: date) -> dict[str, tuple[Scalar, date]]:
        """Each parameter's value on ``on`` with the day that value took effect."""
        values = {}
        for name, parameter in self.definition.parameters.items():
            since = max((d for d in parameter.values if d <= on), default=None)
            if since is None:
                since = min(parameter.values)
            value = parameter.values[since]
            # Numbers are doubles everywhere, as in the population SQL.
            values[name] = (float(value) if parameter.type == "number" else value, since)
        return values

    def is_effective(self, on: date) -> bool:
        end = self.definition.effective_to
        return self.definition.effective_from <= on and (end is None or on <= end)

    def compiled(self, key: Any, make: Callable[[], Any]) -> Any:
        """Cache of compiled forms: evaluators per parameter epoch, SQL per day."""
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = make()
        return found


def build(definition: ServiceDefinition, source: Located, fields: Mapping[str, Any]) -> Service:
    """Resolve and type a validated definition; ``fields`` is the unit's registry catalogue."""
    problems: list[Problem] = []
    symbols = _symbols(definition, source, fields, problems)
    _check_references(definition, source, problems)
    parsed = _parse_all(definition, source, symbols, problems)
    steps, depends = _order(definition, source, symbols, parsed, problems)
    if not depends and any("circular definition" in p.message for p in problems):
        raise LoadError(problems)  # nothing downstream of a cycle can be typed
    expressions: dict[str, Checked] = {}
    tables: dict[str, TableRule] = {}
    env = {name: s.type for name, s in symbols.items() if s.kind != "variable"}
    for kind, name in steps:
        if kind == "variable":
            checked = _check(
                definition.variables[name].expr, env, source, ("variables", name, "expr"), problems
            )
            if checked is not None:
                expressions[name] = checked
                env[name] = checked.type if checked.type != "null" else "number"
                symbols[name] = Symbol(
                    name,
                    "variable",
                    env[name],
                    definition.variables[name].label,
                    definition.variables[name].reference,
                )
            else:
                env[name] = "unknown"
        else:
            tables[name] = _check_table(name, definition.tables[name], env, source, problems)
    for index, condition in enumerate(definition.eligibility):
        checked = _check(condition.when, env, source, ("eligibility", index, "when"), problems)
        if checked is not None:
            _expect(checked, {"boolean"}, source, ("eligibility", index, "when"), problems)
            expressions[condition.id] = checked
    outcome = definition.outcome
    amount = _check(outcome.amount, env, source, ("outcome", "amount"), problems)
    if amount is not None:
        _expect(amount, {"integer", "number"}, source, ("outcome", "amount"), problems)
    duration = None
    if outcome.duration is not None:
        duration = _check(outcome.duration, env, source, ("outcome", "duration"), problems)
        if duration is not None:
            _expect(duration, {"integer", "number"}, source, ("outcome", "duration"), problems)
    maximum = None
    if outcome.maximum is not None:
        maximum = _check(outcome.maximum, env, source, ("outcome", "maximum"), problems)
        if maximum is not None:
            _expect(maximum, {"integer", "number"}, source, ("outcome", "maximum"), problems)
            allowed = ("parameter", "builtin")
            other = sorted(
                n for n in maximum.names if getattr(symbols.get(n), "kind", "") not in allowed
            )
            if other:  # a bound known before any data is read, the same for every case
                said = f"the maximum reads parameters only, not {', '.join(other)}"
                problems.append(source.problem(("outcome", "maximum"), said))
    if any(p.severity == "error" for p in problems):
        raise LoadError(problems)
    assert amount is not None
    codes = {
        name: tuple(spec.values or getattr(fields.get(name), "values", ()) or ())
        for name, spec in definition.inputs.items()
        if symbols[name].type == "text"
    }
    return Service(
        definition, source, symbols, expressions, tables, steps, amount, duration, maximum,
        depends, codes,
    )  # fmt: skip


def _symbols(
    definition: ServiceDefinition,
    source: Located,
    fields: Mapping[str, Any],
    problems: list[Problem],
) -> dict[str, Symbol]:
    symbols: dict[str, Symbol] = {n: Symbol(n, "builtin", t) for n, t in BUILTINS.items()}
    places: dict[str, tuple[str | int, ...]] = {}

    def add(symbol: Symbol, path: tuple[str | int, ...]) -> None:
        if symbol.name in RESERVED or symbol.name in symbols or symbol.name in places:
            first = places.get(symbol.name)
            where = f" (first defined at line {source.line(first)})" if first else " (reserved)"
            problems.append(source.problem(path, f"the name `{symbol.name}` is taken{where}"))
            return
        symbols[symbol.name] = symbol
        places[symbol.name] = path

    for name, spec in definition.inputs.items():
        path: tuple[str | int, ...] = ("inputs", name)
        kind = spec.type
        if spec.source == "registry":
            known = fields.get(name)
            if known is None:
                close = ", ".join(sorted(fields))
                problems.append(
                    source.problem(
                        path,
                        f"`{name}` is not a field of the {definition.unit} registry view; "
                        f"fields: {close}",
                    )
                )
                continue
            if kind is not None and kind != known.type:
                problems.append(
                    source.problem(
                        (*path, "type"), f"the registry field is {known.type}, not {kind}"
                    )
                )
            kind = known.type
        elif kind is None:
            problems.append(source.problem(path, "an applicant input needs a `type`"))
            continue
        add(Symbol(name, "input", kind, spec.label), path)
    for name, parameter in definition.parameters.items():
        path = ("parameters", name)
        for day, value in parameter.values.items():
            if not isinstance(value, PYTHON_TYPES[parameter.type]) or (
                parameter.type != "boolean" and isinstance(value, bool)
            ):
                problems.append(
                    source.problem(
                        (*path, "values", str(day)), f"`{value!r}` is not a {parameter.type}"
                    )
                )
        if min(parameter.values) > definition.effective_from:
            problems.append(
                source.problem(
                    (*path, "values"),
                    f"no value on {definition.effective_from}, when the service takes effect",
                )
            )
        add(Symbol(name, "parameter", parameter.type, parameter.label, parameter.reference), path)
    for name in definition.variables:
        add(Symbol(name, "variable", "unknown"), ("variables", name))
    for table_name, table in definition.tables.items():
        for name, output in table.outputs.items():
            add(
                Symbol(name, "output", output.type, output.label, table.reference),
                ("tables", table_name, "outputs", name),
            )
    for index, condition in enumerate(definition.eligibility):
        add(
            Symbol(condition.id, "condition", "boolean", condition.label, condition.reference),
            ("eligibility", index, "id"),
        )
    return symbols


def _check_references(
    definition: ServiceDefinition, source: Located, problems: list[Problem]
) -> None:
    known = [ref.id for ref in definition.legal_basis]
    for index, ref in enumerate(known):
        if ref in known[:index]:
            problems.append(
                source.problem(("legal_basis", index, "id"), f"`{ref}` is listed twice")
            )
    for path, ref in _references(definition):
        if ref not in known:
            problems.append(
                source.problem(path, f"unknown legal basis `{ref}`; listed: {', '.join(known)}")
            )


def _references(d: ServiceDefinition) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for name, p in d.parameters.items():
        yield ("parameters", name, "reference"), p.reference
    for name, v in d.variables.items():
        if v.reference:
            yield ("variables", name, "reference"), v.reference
    for name, t in d.tables.items():
        if t.reference:
            yield ("tables", name, "reference"), t.reference
        for index, row in enumerate(t.rows):
            if row.reference:
                yield ("tables", name, "rows", index, "reference"), row.reference
    for index, c in enumerate(d.eligibility):
        yield ("eligibility", index, "reference"), c.reference
    yield ("outcome", "reference"), d.outcome.reference


def _table_sources(table: Table) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every expression of a table with its path relative to the table."""
    for index, row in enumerate(table.rows):
        yield ("rows", index, "when"), row.when
        for name, value in row.then.items():
            yield ("rows", index, "then", name), _as_expression(value)
    for name, value in (table.default or {}).items():
        yield ("default", name), _as_expression(value)


def _as_expression(value: Scalar) -> str:
    """YAML scalars in `then` are literals unless they are strings (expressions)."""
    return value if isinstance(value, str) else literal_sql(value)


def _parse_all(
    definition: ServiceDefinition,
    source: Located,
    symbols: Mapping[str, Symbol],
    problems: list[Problem],
) -> dict[tuple[str, str], set[str]]:
    """The names each variable, table and condition reads (for ordering)."""
    reads: dict[tuple[str, str], set[str]] = {}

    def names(text: str, path: tuple[str | int, ...]) -> set[str]:
        try:
            tree = parse(text)
        except ExpressionError as error:
            problems.append(source.problem(path, str(error)))
            return set()
        return {c.name for c in tree.find_all(exp.Column)}

    for name, variable in definition.variables.items():
        reads[("variable", name)] = names(variable.expr, ("variables", name, "expr"))
    for name, table in definition.tables.items():
        found: set[str] = set()
        for rel, text in _table_sources(table):
            found |= names(text, ("tables", name, *rel))
        reads[("table", name)] = found
    for index, condition in enumerate(definition.eligibility):
        reads[("condition", condition.id)] = names(condition.when, ("eligibility", index, "when"))
    reads[("outcome", "amount")] = names(definition.outcome.amount, ("outcome", "amount"))
    if definition.outcome.duration:
        reads[("outcome", "duration")] = names(definition.outcome.duration, ("outcome", "duration"))
    return reads


def _order(
    definition: ServiceDefinition,
    source: Located,
    symbols: Mapping[str, Symbol],
    reads: Mapping[tuple[str, str], set[str]],
    problems: list[Problem],
) -> tuple[list[tuple[str, str]], dict[str, frozenset[str]]]:
    """Variables and tables in dependency order; every symbol's input closure."""
    owner: dict[str, tuple[str, str]] = {n: ("variable", n) for n in definition.variables}
    for table_name, table in definition.tables.items():
        owner.update({out: ("table", table_name) for out in table.outputs})
    for condition in definition.eligibility:
        owner[condition.id] = ("condition", condition.id)
    graph = {node: {owner[n] for n in names if n in owner} for node, names in reads.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        cycle = [node[1] for node in error.args[1]]
        path = ("variables", cycle[0]) if cycle[0] in definition.variables else ("tables", cycle[0])
        problems.append(source.problem(path, "circular definition: " + " -> ".join(cycle)))
        return [], {}
    depends: dict[str, frozenset[str]] = {}
    closure: dict[tuple[str, str], frozenset[str]] = {}
    for node in order:
        own = {n for n in reads.get(node, ()) if symbols.get(n, Symbol(n, "", "")).kind == "input"}
        for upstream in graph.get(node, ()):
            own |= closure.get(upstream, frozenset())
        closure[node] = frozenset(own)
    for name, node in owner.items():
        depends[name] = closure.get(node, frozenset())
    for name in ("amount", "duration"):
        if ("outcome", name) in closure:
            depends[name] = closure[("outcome", name)]
    depends["eligible"] = frozenset().union(
        *(closure.get(("condition", c.id), frozenset()) for c in definition.eligibility)
    )
    steps = [node for node in order if node[0] in ("variable", "table")]
    return steps, depends


def _check(
    text: str,
    env: Mapping[str, str],
    source: Located,
    path: tuple[str | int, ...],
    problems: list[Problem],
) -> Checked | None:
    if "unknown" in env.values():
        # A name defined by a failed expression: report only errors of this expression.
        env = {k: ("number" if v == "unknown" else v) for k, v in env.items()}
    try:
        return check(text, env)
    except ExpressionError as error:
        if not any(p.line == source.line(path) for p in problems):
            problems.append(source.problem(path, str(error)))
        return None


def _expect(
    checked: Checked,
    allowed: set[str],
    source: Located,
    path: tuple[str | int, ...],
    problems: list[Problem],
) -> None:
    if checked.type not in allowed and checked.type != "null":
        problems.append(
            source.problem(
                path,
                f"`{checked.source}` is {checked.type}; expected {' or '.join(sorted(allowed))}",
            )
        )


def _check_table(
    name: str, table: Table, env: Mapping[str, str], source: Located, problems: list[Problem]
) -> TableRule:
    base = ("tables", name)
    conditions: list[Checked] = []
    outputs: list[dict[str, Checked]] = []

    def outputs_of(values: Mapping[str, Scalar], path: tuple[str | int, ...]) -> dict[str, Checked]:
        result = {}
        for out in table.outputs:
            if out not in values:
                problems.append(source.problem(path, f"gives no value for the output `{out}`"))
        for out, value in values.items():
            spec = table.outputs.get(out)
            if spec is None:
                problems.append(
                    source.problem(
                        (*path, out),
                        f"`{out}` is not an output of this table; "
                        f"outputs: {', '.join(table.outputs)}",
                    )
                )
                continue
            checked = _check(_as_expression(value), env, source, (*path, out), problems)
            if checked is not None:
                allowed: set[str] = {spec.type}
                if spec.type == "number":
                    allowed = {"integer", "number"}
                _expect(checked, allowed, source, (*path, out), problems)
                result[out] = checked
        return result

    for index, row in enumerate(table.rows):
        path = (*base, "rows", index)
        checked = _check(row.when, env, source, (*path, "when"), problems)
        if checked is not None:
            _expect(checked, {"boolean"}, source, (*path, "when"), problems)
            conditions.append(checked)
        outputs.append(outputs_of(row.then, (*path, "then")))
    if table.aggregate == "sum":
        for out, spec in table.outputs.items():
            if spec.type not in ("integer", "number"):
                problems.append(
                    source.problem(
                        (*base, "outputs", out),
                        "a collect table with aggregate: sum needs numeric outputs",
                    )
                )
    default = outputs_of(table.default, (*base, "default")) if table.default is not None else None
    return TableRule(name, table, conditions, outputs, default)
