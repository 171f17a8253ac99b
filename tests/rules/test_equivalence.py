"""The one-case evaluator and the population SQL agree on every row, missing values
included: hypothesis draws populations, both engines decide them, every output and
every intermediate value is compared. Half the populations have no missing value,
which the query is compiled differently for."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartgov.exchange.registries import ARROW_TYPES
from smartgov.rules import population
from smartgov.rules.compiled import Service
from smartgov.rules.evaluate import run
from tests.rules.conftest import SHIPPED


def values_for(service: Service, name: str) -> st.SearchStrategy[Any]:
    kind = service.symbols[name].type
    if kind == "integer":
        # Around the thresholds the services use, and anywhere else.
        return st.one_of(st.integers(-3, 130), st.integers(-(10**6), 10**6))
    if kind == "number":
        return st.one_of(
            st.integers(0, 60_000).map(float),
            st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False),
            st.sampled_from([0.0, 1100.0, 2200.0, 52800.0]),
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "date":
        return st.dates(date(1900, 1, 1), date(2030, 12, 31))
    codes = service.codes.get(name) or ("a", "b")
    return st.sampled_from([*codes, "something else"])


@st.composite
def populations(draw: st.DrawFn, service: Service) -> tuple[date, list[dict[str, Any]]]:
    # Populations without missing values take the query's other path (no NULL tests).
    missing = draw(st.booleans())
    row = st.fixed_dictionaries(
        {
            n: st.one_of(st.none(), values_for(service, n)) if missing else values_for(service, n)
            for n in service.inputs
        }
    )
    rows = draw(st.lists(row, min_size=1, max_size=40))
    on = draw(st.dates(service.definition.effective_from, date(2030, 12, 31)))
    return on, rows


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
    return bool(a == b)


def check_population(service: Service, on: date, rows: list[dict[str, Any]]) -> None:
    schema = pa.schema(
        [pa.field(n, ARROW_TYPES[service.symbols[n].type]) for n in service.inputs]  # type: ignore[index]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    result = population.evaluate(service, table, on=on).to_pylist()
    assert len(result) == len(rows)
    for facts, sql_row in zip(rows, result, strict=True):
        decision = run(service, facts, on=on)
        expected = {
            "outcome": decision.outcome,
            "amount": decision.amount,
            "duration": decision.duration,
            **decision.values,
        }
        for key, value in expected.items():
            assert same(value, sql_row[key]), (key, value, sql_row[key], facts, on)


@pytest.mark.parametrize("service_id", SHIPPED)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_it_decides_every_row_as_the_one_case_evaluator(
    shipped: dict[str, Service], service_id: str, data: st.DataObject
) -> None:
    service = shipped[service_id]
    on, rows = data.draw(populations(service))
    check_population(service, on, rows)
