"""The population query on Spark, for populations beyond one machine.

The DuckDB query is transpiled by sqlglot (dialects pinned on both sides) and run with
Spark SQL over Parquet or CSV files. pyspark is an optional extra (`smartgov[spark]`,
which needs Java 17); nothing here is imported unless it is used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from smartgov.rules.compiled import Service
from smartgov.rules.sqlcode import population_query, to_sql


def spark_sql(
    service: Service, *, on: date, keep: Sequence[str] = (), source: str = "population"
) -> str:
    return to_sql(population_query(service, on=on, keep=keep, source=source), dialect="spark")


def local_session(threads: int = 2) -> Any:
    """A local Spark session with its web UI off (tests, single-machine trials)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("smartgov-rules")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(threads))
        .getOrCreate()
    )


def evaluate(
    service: Service, data: Path, *, on: date, spark: Any, keep: Sequence[str] = ()
) -> Any:
    """A Spark DataFrame of every row decided (same columns as `population.evaluate`)."""
    reader = spark.read.parquet if data.suffix.lower() == ".parquet" else spark.read.csv
    frame = (
        reader(str(data))
        if reader is spark.read.parquet
        else reader(str(data), header=True, inferSchema=True)
    )
    missing = [n for n in service.inputs if n not in frame.columns]
    if missing:
        raise ValueError(f"the population has no column {', '.join(missing)}")
    frame.createOrReplaceTempView("population")
    shown = [n for n, s in service.symbols.items() if s.kind not in ("parameter", "builtin")]
    keep = [c for c in keep if c in frame.columns]
    wanted = [*dict.fromkeys([*keep, "outcome", "amount", "duration", *shown])]
    return spark.sql(spark_sql(service, on=on, keep=keep)).select(*wanted)
