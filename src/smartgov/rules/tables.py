"""Static checks of decision tables: overlaps, gaps and unreachable rows.

Row conditions compare names with constants (`age >= 80`, `grade IN (1, 2)`). Every
such comparison splits a name's values into a few stretches; one value from each
stretch, combined across names, meets every way the rows can be true together. So
evaluating the rows on that grid decides overlaps, gaps and shadowed rows exactly
when every comparison has a constant side, and is reported as a sampled check when
some do not (two names compared with each other, or arithmetic on a name).

Parameters are constants too: the grid is built for each parameter epoch, since a
change of value on some date may open a gap that did not exist before."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import sqlglot.expressions as exp

from smartgov.rules.compiled import Service, TableRule
from smartgov.rules.expressions import literal_value
from smartgov.rules.pycode import Emitter, helpers
from smartgov.rules.source import Problem

MAX_POINTS = 50_000
_OTHER = "\u0000other"  # a text value no list names


def analyse(service: Service) -> list[Problem]:
    problems: list[Problem] = []
    for table in service.tables.values():
        seen: set[str] = set()
        for day in service.epochs:
            for problem in _analyse_table(service, table, day):
                key = problem.message.split(" (parameters of")[0]
                if key not in seen:  # the same finding in several epochs: once
                    seen.add(key)
                    problems.append(problem)
    return problems


def _analyse_table(service: Service, table: TableRule, day: date) -> Iterator[Problem]:
    params = {name: value for name, (value, _s) in service.parameters_on(day).items()}
    base = ("tables", table.name)
    source = service.source
    cuts: dict[str, set[Any]] = {}
    exact = True
    for condition in table.conditions:
        exact &= _collect_cuts(condition.tree, params, cuts)
    dims = sorted(cuts)
    axes = [_representatives(service.symbols[d].type, cuts[d]) for d in dims]
    size = math.prod(len(a) for a in axes)
    if size > MAX_POINTS:
        yield source.problem(
            base,
            f"too many combinations ({size}) to check this table; split it into smaller tables",
            "warning",
        )
        return
    evaluate = _row_function(table, dims, params)
    points = list(itertools.product(*axes))
    hits = [evaluate(point, day) for point in points]
    hit = table.definition.hit
    when = f" (parameters of {day.isoformat()})" if len(service.epochs) > 1 else ""
    n_rows = len(table.conditions)

    def witness(point: tuple[Any, ...]) -> str:
        shown = [f"{d} = {_show(v)}" for d, v in zip(dims, point, strict=True)]
        return ", ".join(shown) or "every case"

    for row in range(n_rows):
        matching = [i for i, h in enumerate(hits) if h[row] is True]
        row_path = (*base, "rows", row)
        if not matching:
            yield source.problem(row_path, f"row {row + 1} can never apply{when}")
        elif hit == "first" and all(any(hits[i][r] is True for r in range(row)) for i in matching):
            yield source.problem(
                row_path,
                f"row {row + 1} is unreachable: earlier rows "
                f"already match every case it matches{when}",
            )
    if hit == "unique":
        for a, b in itertools.combinations(range(n_rows), 2):
            both = next(
                (p for p, h in zip(points, hits, strict=True) if h[a] is True and h[b] is True),
                None,
            )
            if both is not None:
                yield source.problem(
                    (*base, "rows", b),
                    f"rows {a + 1} and {b + 1} overlap, "
                    f"for example when {witness(both)}; hit policy unique allows one{when}",
                )
    if hit in ("unique", "first") and table.default is None:
        gap = next(
            (p for p, h in zip(points, hits, strict=True) if not any(v is True for v in h)), None
        )
        if gap is not None:
            yield source.problem(
                base, f"no row matches when {witness(gap)}; add a row or a default{when}"
            )
    if not exact:
        yield source.problem(
            base,
            "some conditions compare names with expressions; overlaps "
            "and gaps were checked on sample values only",
            "warning",
        )


def _collect_cuts(
    node: exp.Expression, params: Mapping[str, Any], cuts: dict[str, set[Any]]
) -> bool:
    """Record each name's comparison constants; False if some comparison is not simple."""
    exact = True
    for column in node.find_all(exp.Column):
        if column.name not in params:
            cuts.setdefault(column.name, set())
    for cmp in node.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In):
        sides = [cmp.this, *(cmp.expressions if isinstance(cmp, exp.In) else [cmp.expression])]
        names = [s.name for s in sides if isinstance(s, exp.Column) and s.name not in params]
        values = [_constant(s, params) for s in sides]
        constants = [v for v in values if v is not _NOT_CONSTANT]
        if len(names) == 1 and len(constants) == len(sides) - 1:
            cuts[names[0]].update(constants)
        elif names:
            exact = False
    for other in node.walk():
        if isinstance(other, exp.Column):
            continue
        if not isinstance(other, _SIMPLE):
            exact = False
    return exact


_SIMPLE = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Literal,
    exp.Boolean,
    exp.Identifier,
    exp.Is,
    exp.Null,
    exp.Neg,
    exp.Cast,
    exp.DataType,
)
_NOT_CONSTANT = object()


def _constant(node: exp.Expression, params: Mapping[str, Any]) -> Any:
    if isinstance(node, exp.Column):
        return params.get(node.name, _NOT_CONSTANT)
    if isinstance(node, exp.Literal | exp.Boolean | exp.Cast | exp.Null) or (
        isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
    ):
        return literal_value(node)
    return _NOT_CONSTANT


def _representatives(kind: str, cuts: set[Any]) -> list[Any]:
    """One value from every stretch the constants split a name's values into."""
    if kind == "boolean":
        return [False, True]
    if kind == "text":
        return sorted(str(c) for c in cuts) + [_OTHER]
    if kind == "date":
        days = sorted(c for c in cuts if isinstance(c, date)) or [date(2000, 1, 1)]
        return sorted({d + timedelta(n) for d in days for n in (-1, 0, 1)})
    numbers = sorted(float(c) for c in cuts if isinstance(c, int | float)) or [0.0]
    if kind == "integer":
        return sorted(
            {
                v
                for c in numbers
                for v in (math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1)
            }
        )
    between = [(a + b) / 2 for a, b in itertools.pairwise(numbers)]
    return sorted({numbers[0] - 1, *numbers, *between, numbers[-1] + 1})


def _row_function(table: TableRule, dims: list[str], params: Mapping[str, Any]) -> Any:
    em = Emitter()
    names = {name: em.constant(value) for name, value in params.items()}
    names["decision_date"] = "s_decision_date"
    for index, dim in enumerate(dims):
        names[dim] = f"s_{dim}"
        em.emit(f"s_{dim} = point[{index}]", 1)
    atoms = [em.expr(c.tree, names, 1) for c in table.conditions]
    em.emit(f"return ({', '.join(atoms)},)", 1)
    code = "def _rows(point, s_decision_date):\n" + "\n".join(em.lines) + "\n"
    namespace: dict[str, Any] = {**helpers(), **em.constants}
    exec(compile(code, f"<table:{table.name}>", "exec"), namespace)  # noqa: S102 - from checked trees
    return namespace["_rows"]


def _show(value: Any) -> str:
    if value == _OTHER:
        return "any other value"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)
