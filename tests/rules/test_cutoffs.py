"""Comparisons on date differences become comparisons with a cutoff date in the SQL
(`age >= 80` as `birth_date <= DATE '1946-06-01'`); they must mean exactly what the
one-case evaluator computes, on month ends, leap days and dates on either side."""

from __future__ import annotations

import operator
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot.expressions as exp
from hypothesis import given, settings
from hypothesis import strategies as st

from smartgov.rules.expressions import between, check
from smartgov.rules.sqlcode import Translator, to_sql

OPERATORS = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le}
# Month ends and leap days are where whole months are easiest to get wrong.
EDGES = [date(2024, 2, 29), date(2023, 2, 28), date(2024, 1, 31), date(2024, 3, 31)]
dates = st.one_of(st.dates(date(1890, 1, 1), date(2040, 12, 31)), st.sampled_from(EDGES))


@settings(max_examples=150, deadline=None)
@given(
    function=st.sampled_from(["YEARS_BETWEEN", "MONTHS_BETWEEN", "DAYS_BETWEEN"]),
    fixed_first=st.booleans(),
    op=st.sampled_from(list(OPERATORS)),
    bound=st.one_of(st.integers(-400, 1500), st.floats(-50, 150).map(lambda f: round(f, 1))),
    bound_first=st.booleans(),
    on=dates,
    rows=st.lists(st.one_of(st.none(), dates), min_size=1, max_size=30),
)
def test_a_cutoff_means_what_the_evaluator_computes(
    function: str,
    fixed_first: bool,
    op: str,
    bound: float,
    bound_first: bool,
    on: date,
    rows: list[date | None],
) -> None:
    args = "decision_date, x" if fixed_first else "x, decision_date"
    difference = f"{function}({args})"
    flipped = {">=": "<=", ">": "<", "<": ">", "<=": ">="}[op]
    source = f"{bound} {flipped} {difference}" if bound_first else f"{difference} {op} {bound}"
    tree = check(source, {"x": "date", "decision_date": "date"}).tree
    names: dict[str, exp.Expr] = {
        "x": exp.column("x", quoted=True),
        "decision_date": exp.cast(exp.Literal.string(on.isoformat()), "DATE"),
    }
    sql = to_sql(Translator(names, {"decision_date": on}).sql(tree))
    con = duckdb.connect()
    con.register("t", pa.table({"x": pa.array(rows, pa.date32())}))
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM t").fetchall()]  # noqa: S608

    def expected(x: date | None) -> Any:
        if x is None:
            return None
        value = between(function, on, x) if fixed_first else between(function, x, on)
        return OPERATORS[op](value, bound)

    assert got == [expected(x) for x in rows], sql


def test_a_variable_defined_as_an_age_is_compared_as_a_date() -> None:
    tree = check("age >= 80", {"age": "integer"}).tree
    age = check(
        "YEARS_BETWEEN(birth_date, decision_date)",
        {"birth_date": "date"} | {"decision_date": "date"},
    ).tree
    names = {"age": exp.column("age"), "birth_date": exp.column("birth_date")}
    sql = to_sql(Translator(names, {"decision_date": date(2026, 6, 1)}, {"age": age}).sql(tree))
    assert sql == "(birth_date <= CAST('1946-06-01' AS DATE))"
