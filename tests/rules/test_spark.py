"""The population query transpiled to Spark SQL gives DuckDB's results, row for row."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from smartgov.demo import fields
from smartgov.rules import population, spark
from smartgov.rules.compiled import Service
from tests.rules.conftest import SHIPPED
from tests.rules.test_equivalence import same

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def session_spark():  # type: ignore[no-untyped-def]
    if shutil.which("java") is None or not _has_pyspark():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the Spark test: install Java 17 and the spark extra")
        pytest.skip("pyspark or Java 17 is not installed (pip install smartgov[spark])")
    session = spark.local_session(threads=1)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _has_pyspark() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def views(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("population")
    paths = {}
    with Session(engine) as session:
        for unit in ("person", "household", "enterprise"):
            paths[unit] = folder / f"{unit}.parquet"
            pq.write_table(fields.population(session, unit), paths[unit])
    return paths


@pytest.mark.parametrize("service_id", SHIPPED)
def test_it_runs_the_same_decisions_on_spark(
    session_spark,
    views: dict[str, Path],
    shipped: dict[str, Service],
    service_id: str,  # type: ignore[no-untyped-def]
) -> None:
    service = shipped[service_id]
    path = views[service.definition.unit]
    key = {"person": "person_id", "household": "household_id", "enterprise": "enterprise_id"}[
        service.definition.unit
    ]
    on = date(2026, 6, 1)
    expected = population.evaluate(service, path, on=on, keep=[key]).to_pylist()
    rows = spark.evaluate(service, path, on=on, spark=session_spark, keep=[key]).collect()
    found = {row[key]: row.asDict() for row in rows}
    assert len(found) == len(expected) > 0
    outcomes = {r["outcome"] for r in expected}
    assert "eligible" in outcomes and "ineligible" in outcomes
    for row in expected:
        other = found[row[key]]
        for column, value in row.items():
            assert same(value, other[column]), (service_id, row[key], column, value, other[column])
