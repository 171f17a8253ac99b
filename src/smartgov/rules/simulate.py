"""Comparing a reform with today's rules over a whole population, in one DuckDB query.

The reformed service's query reads the baseline's result, so the population is
scanned once; the breakdowns are one GROUPING SETS aggregation over both."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import numpy as np
import sqlglot.expressions as exp

from smartgov.core.i18n import N_
from smartgov.exchange import service as exchange
from smartgov.rules import population
from smartgov.rules.compiled import Service
from smartgov.rules.definition import Text
from smartgov.rules.expressions import Checked, check
from smartgov.rules.sqlcode import Translator, population_query, to_sql

#: Groups to compare, per unit: a name and an expression of the rule language over
#: the registry view (the income decile is ranked in SQL from the `income` entry).
DIMENSIONS: dict[str, dict[str, str]] = {
    "person": {
        "district": "district_code",
        "age_band": "CASE WHEN YEARS_BETWEEN(birth_date, decision_date) < 18 THEN '0-17' "
        "WHEN YEARS_BETWEEN(birth_date, decision_date) < 40 THEN '18-39' "
        "WHEN YEARS_BETWEEN(birth_date, decision_date) < 60 THEN '40-59' "
        "WHEN YEARS_BETWEEN(birth_date, decision_date) < 80 THEN '60-79' ELSE '80+' END",
        "gender": "gender",
        "disability": "CASE WHEN disability_grade = 0 THEN 'none' "
        "WHEN disability_grade <= 2 THEN 'severe' ELSE 'moderate' END",
        "income": "household_income / household_size",
    },
    "household": {
        "district": "district_code",
        "age_band": "CASE WHEN YEARS_BETWEEN(head_birth_date, decision_date) < 40 THEN '18-39' "
        "WHEN YEARS_BETWEEN(head_birth_date, decision_date) < 60 THEN '40-59' "
        "WHEN YEARS_BETWEEN(head_birth_date, decision_date) < 80 THEN '60-79' ELSE '80+' END",
        "gender": "head_gender",
        "disability": "CASE WHEN disabled_members > 0 THEN 'some' ELSE 'none' END",
        "income": "income / size",
    },
    "enterprise": {
        "district": "district_code",
        "size": "size",
        "industry": "industry",
        "age_band": "CASE WHEN YEARS_BETWEEN(founded_on, decision_date) < 1 THEN '0' "
        "WHEN YEARS_BETWEEN(founded_on, decision_date) < 3 THEN '1-2' "
        "WHEN YEARS_BETWEEN(founded_on, decision_date) < 5 THEN '3-4' "
        "WHEN YEARS_BETWEEN(founded_on, decision_date) < 10 THEN '5-9' ELSE '10+' END",
    },
}
DIMENSION_LABELS = {
    "district": N_("District"),
    "age_band": N_("Age band"),
    "gender": N_("Gender"),
    "disability": N_("Disability"),
    "income_decile": N_("Income decile"),
    "size": N_("Enterprise size"),
    "industry": N_("Industry"),
}
PERIODS_PER_YEAR = {"month": 12, "year": 1, "once": 1}


#: The fewest people a released figure may rest on (``exchange.privacy.MIN_CELL``): a
#: count below it (but above 0) is withheld, and so is a cost or average that rests on
#: such a count.
MIN_CELL = exchange.MIN_CELL


Noise = Callable[[np.ndarray[Any, Any], float, float], np.ndarray[Any, Any]]


@dataclass(frozen=True)
class Privacy:
    """How a simulation over registry data is released: with Laplace noise (``noise``:
    values, sensitivity, epsilon) spending ``epsilon`` in all, each subject's yearly
    cost counted up to ``cost_bound``, and only groups whose names are public
    (``keys``: dimension -> group names), so neither a cell's presence nor its figures
    single anyone out."""

    epsilon: float
    cost_bound: float
    keys: dict[str, list[str]]
    noise: Noise


#: The epsilon a simulation over registry data spends on each dataset it reads unless
#: the analyst asks for another, and the most a subject's yearly cost counts for; with
#: the largest each may be.
EPSILON = 0.5
COST_BOUND = 50_000.0
MAX_EPSILON = 5.0
MAX_COST_BOUND = 1e9
#: How much one subject moves a group's counts (people, beneficiaries before and after,
#: winners or losers, undetermined before and after): 1 + 1 + 1 + 1, since being a
#: beneficiary and being undetermined exclude each other, as do winning and losing.
COUNT_SENSITIVITY = 4


@dataclass(frozen=True)
class Group:
    """Figures of one group; None where a figure is withheld (fewer than MIN_CELL)."""

    people: int | None
    base_beneficiaries: int | None
    reform_beneficiaries: int | None
    base_cost: float | None  # per year
    reform_cost: float | None
    winners: int | None
    losers: int | None
    base_undetermined: int | None
    reform_undetermined: int | None

    @property
    def base_average(self) -> float | None:
        return _average(self.base_cost, self.base_beneficiaries)

    @property
    def reform_average(self) -> float | None:
        return _average(self.reform_cost, self.reform_beneficiaries)

    @property
    def cost_change(self) -> float | None:
        if self.reform_cost is None or self.base_cost is None:
            return None
        return self.reform_cost - self.base_cost

    def withheld(self, min_cell: int) -> Group:
        """This group with every count below ``min_cell`` (but not 0) withheld, and the
        costs that rest on a withheld count of beneficiaries."""

        def small(count: int | None) -> bool:
            return count is not None and 0 < count < min_cell

        def keep(count: int | None) -> int | None:
            return None if small(count) else count

        return Group(
            keep(self.people), keep(self.base_beneficiaries), keep(self.reform_beneficiaries),
            None if small(self.base_beneficiaries) else self.base_cost,
            None if small(self.reform_beneficiaries) else self.reform_cost,
            keep(self.winners), keep(self.losers), keep(self.base_undetermined),
            keep(self.reform_undetermined),
        )  # fmt: skip


def _average(cost: float | None, count: int | None) -> float | None:
    if cost is None or count is None:
        return None
    return cost / count if count else 0.0


@dataclass
class Comparison:
    service: str
    reform: Text | None
    on: date
    total: Group
    breakdowns: dict[str, dict[str, Group]] = field(default_factory=dict)
    seconds: float = 0.0
    #: Set when the figures are released with differential privacy: epsilon, the cost
    #: bound, and the breakdowns left out because their groups are not public.
    privacy: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        def group(g: Group) -> dict[str, Any]:
            return {
                **g.__dict__,
                "base_average": rounded(g.base_average),
                "reform_average": rounded(g.reform_average),
                "cost_change": rounded(g.cost_change),
            }

        return {
            "service": self.service,
            "reform": self.reform.model_dump() if self.reform else None,
            "on": self.on.isoformat(),
            "seconds": round(self.seconds, 4),
            "privacy": self.privacy,
            "total": group(self.total),
            "breakdowns": {
                d: {k: group(g) for k, g in groups.items()} for d, groups in self.breakdowns.items()
            },
        }


def _annual(service: Service, amount: exp.Expression, duration: exp.Expression) -> exp.Expression:
    """Cost of one decision over a year: monthly amounts for at most the benefit's months."""
    period = service.definition.outcome.period
    if period != "month":
        return amount
    months = exp.Least(
        this=exp.Coalesce(this=duration, expressions=[exp.Literal.number(12)]),
        expressions=[exp.Literal.number(12)],
    )
    return exp.Mul(this=amount, expression=months)


def compare(
    base: Service,
    reformed: Service,
    data: population.Data,
    *,
    on: date,
    reform_name: Text | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    min_cell: int = MIN_CELL,
    private: Privacy | None = None,
) -> Comparison:
    """Baseline and reform over ``data``: totals and a breakdown per dimension, every
    figure resting on fewer than ``min_cell`` people withheld. With ``private``, the
    figures are released with differential privacy before anything is withheld."""
    started = time.perf_counter()
    con = con or population.connect()
    columns = population.register(con, data)
    population.check_columns(base, columns)
    unit = base.definition.unit
    fields = exchange.unit_fields(unit)
    # Those dimensions whose columns the population lacks are left out.
    checked = _dimensions(unit)
    dims = {n: c for n, c in checked.items() if c.names - {"decision_date"} <= set(columns)}
    left_out: list[str] = []
    if private is not None:
        # Only groups with public names; income deciles are ranks, so one person more
        # moves others between them: no noise covers that, they are left out.
        left_out = sorted(n for n in dims if n not in private.keys)
        dims = {n: c for n, c in dims.items() if n in private.keys}
    needed = sorted({name for c in dims.values() for name in c.names} - {"decision_date"})
    inputs = base.inputs
    baseline = population_query(base, on=on, keep=needed, prefix="b")
    passthrough = [exp.column(c, quoted=True) for c in dict.fromkeys([*needed, *inputs])]
    base_result = exp.select(
        *passthrough,
        exp.alias_(exp.column("outcome", quoted=True), "_b_outcome", quoted=True),
        exp.alias_(exp.column("amount", quoted=True), "_b_amount", quoted=True),
        exp.alias_(exp.column("duration", quoted=True), "_b_duration", quoted=True),
    ).from_(baseline.subquery("base"))
    keep = [*needed, "_b_outcome", "_b_amount", "_b_duration"]
    both = population_query(
        reformed, on=on, source=base_result.subquery("baseline"), keep=keep, prefix="r"
    )
    bound = private.cost_bound if private is not None else None
    sql = _aggregate_sql(base, to_sql(both), dims, list(fields), on, bound)
    rows = con.sql(sql).fetchall()
    comparison = Comparison(base.id, reform_name, on, _empty())
    for dimension, group, *values in rows:
        people, base_n, reform_n, base_cost, reform_cost, *counts = values
        numbers = Group(
            int(people),
            int(base_n),
            int(reform_n),
            float(base_cost or 0),
            float(reform_cost or 0),
            *(int(c) for c in counts),
        )
        if dimension == "total":
            comparison.total = numbers
        else:
            key = "unknown" if group is None else str(group)
            comparison.breakdowns.setdefault(dimension, {})[key] = numbers
    if private is not None:
        _release(comparison, private)
        comparison.privacy = {"epsilon": private.epsilon, "cost_bound": private.cost_bound,
                              "left_out": left_out}  # fmt: skip
    comparison.total = comparison.total.withheld(min_cell)
    for groups in comparison.breakdowns.values():
        ordered = sorted(groups.items(), key=lambda item: _order_key(item[0]))
        groups.clear()
        groups.update((key, g.withheld(min_cell)) for key, g in ordered)
    comparison.seconds = time.perf_counter() - started
    return comparison


def _release(comparison: Comparison, private: Privacy) -> None:
    """Replace every figure with its noisy release. The total and each breakdown are
    separate releases (epsilon split evenly among them); within a breakdown a subject
    is in one group only, so its groups share one release. Half of each share goes to
    the counts, half to the costs."""
    parts: list[dict[str, Group]] = [{"": comparison.total}]
    for name, keys in private.keys.items():
        if name in comparison.breakdowns:
            found = comparison.breakdowns[name]
            parts.append({key: found.get(key, _empty()) for key in keys})
            comparison.breakdowns[name] = parts[-1]
    share = private.epsilon / len(parts) / 2
    for part in parts:
        groups = list(part.values())
        counts = np.array([[g.people, g.base_beneficiaries, g.reform_beneficiaries, g.winners,
                            g.losers, g.base_undetermined, g.reform_undetermined]
                           for g in groups], dtype=float)  # fmt: skip
        costs = np.array([[g.base_cost, g.reform_cost] for g in groups], dtype=float)
        counts = private.noise(counts.ravel(), COUNT_SENSITIVITY, share).reshape(counts.shape)
        costs = private.noise(costs.ravel(), 2 * private.cost_bound, share).reshape(costs.shape)
        counts = np.maximum(np.rint(counts), 0).astype(int)
        costs = np.maximum(costs, 0.0)
        for key, n, c in zip(list(part), counts, costs, strict=True):
            people, base_n, reform_n, winners, losers, base_u, reform_u = (int(v) for v in n)
            part[key] = Group(people, base_n, reform_n, float(c[0]), float(c[1]), winners,
                              losers, base_u, reform_u)  # fmt: skip
    comparison.total = parts[0][""]


def _dimensions(unit: str) -> dict[str, Checked]:
    """The unit's dimensions, each parsed and typed against its registry fields."""
    fields = exchange.unit_fields(unit)
    env = {name: f.type for name, f in fields.items()} | {"decision_date": "date"}
    return {name: check(source, env) for name, source in DIMENSIONS[unit].items()}


def dimension_fields(unit: str) -> list[str]:
    """The registry fields the breakdowns of ``unit`` are made from."""
    names = {n for checked in _dimensions(unit).values() for n in checked.names}
    return sorted(names - {"decision_date"})


def public_keys(unit: str, districts: list[str]) -> dict[str, list[str]]:
    """The groups of each dimension whose names are known without looking at anyone:
    the outcomes of a CASE, a field's code list, or the city's districts. Dimensions
    without such a list (income deciles, industries) have none."""
    fields = exchange.unit_fields(unit)
    found: dict[str, list[str]] = {}
    for name, checked in _dimensions(unit).items():
        tree = checked.tree
        if isinstance(tree, exp.Case):
            outcomes = [branch.args["true"] for branch in tree.args["ifs"]]
            outcomes.append(tree.args["default"])
            found[name] = [str(o.this) for o in outcomes if isinstance(o, exp.Literal)]
        elif isinstance(tree, exp.Column):
            column = tree.name
            values = list(districts) if column == "district_code" else list(fields[column].values)
            if values:
                found[name] = [*values, "unknown"]
    return found


def _empty() -> Group:
    return Group(0, 0, 0, 0.0, 0.0, 0, 0, 0, 0)


def _order_key(key: str) -> tuple[int, float | str]:
    head = key.split("-")[0].rstrip("+")
    try:
        return (0, float(head))
    except ValueError:
        return (1, key)


def _aggregate_sql(
    service: Service, decided: str, dims: dict[str, Checked], fields: list[str], on: date,
    bound: float | None = None,
) -> str:  # fmt: skip
    names: dict[str, exp.Expression] = {n: exp.column(n, quoted=True) for n in fields}
    names["decision_date"] = exp.cast(exp.Literal.string(on.isoformat()), "DATE")
    t = Translator(names)
    income = dims.pop("income", None)
    selects = [f'{t.sql(c.tree).sql(dialect="duckdb")} AS "{n}"' for n, c in dims.items()]
    groups = list(dims)
    base_annual = _annual(
        service, exp.column("_b_amount", quoted=True), exp.column("_b_duration", quoted=True)
    ).sql(dialect="duckdb")
    reform_annual = _annual(
        service, exp.column("amount", quoted=True), exp.column("duration", quoted=True)
    ).sql(dialect="duckdb")
    if bound is not None:  # each subject's yearly cost counted between 0 and the bound
        base_annual = f"LEAST(GREATEST({base_annual}, 0), {float(bound)!r})"
        reform_annual = f"LEAST(GREATEST({reform_annual}, 0), {float(bound)!r})"
    if income is not None:
        income_sql = t.sql(income.tree).sql(dialect="duckdb")
        selects.append(
            f"CASE WHEN ({income_sql}) IS NULL THEN NULL ELSE "
            f"NTILE(10) OVER (PARTITION BY ({income_sql}) IS NULL ORDER BY {income_sql}) END "
            f'AS "income_decile"'
        )
        groups.append("income_decile")
    dimension = " ".join(f"WHEN GROUPING(\"{g}\") = 0 THEN '{g}'" for g in groups)
    group_value = ", ".join(f'CAST("{g}" AS VARCHAR)' for g in groups) or "NULL"
    sets = ", ".join(["()", *(f'("{g}")' for g in groups)])
    return f"""
WITH decided AS ({decided}),
scored AS (
  SELECT *, {", ".join(selects) + "," if selects else ""}
         COALESCE({base_annual}, 0) AS _base_annual, COALESCE({reform_annual}, 0) AS _reform_annual
  FROM decided
)
SELECT CASE {dimension} ELSE 'total' END AS dimension,
       COALESCE({group_value}) AS grp,
       COUNT(*),
       COUNT(*) FILTER (WHERE _b_outcome = 'eligible'),
       COUNT(*) FILTER (WHERE outcome = 'eligible'),
       SUM(_base_annual), SUM(_reform_annual),
       COUNT(*) FILTER (WHERE _reform_annual > _base_annual + 0.005
                        AND outcome <> 'undetermined' AND _b_outcome <> 'undetermined'),
       COUNT(*) FILTER (WHERE _reform_annual < _base_annual - 0.005
                        AND outcome <> 'undetermined' AND _b_outcome <> 'undetermined'),
       COUNT(*) FILTER (WHERE _b_outcome = 'undetermined'),
       COUNT(*) FILTER (WHERE outcome = 'undetermined')
FROM scored
GROUP BY GROUPING SETS ({sets})
"""  # noqa: S608 - every name is a checked identifier or our own
