"""Deciding a whole population at once: the service's SQL run by DuckDB over a registry
view, a Parquet or CSV file, or any Arrow table with the input columns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TypeAlias

import duckdb
import pyarrow as pa

from smartgov.core.errors import FieldError, Invalid
from smartgov.core.i18n import N_
from smartgov.rules.compiled import Service
from smartgov.rules.evaluate import OUTCOMES
from smartgov.rules.sqlcode import population_query, to_sql

Data: TypeAlias = pa.Table | Path
BAD_POPULATION = N_("The population cannot be used.")


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB; nothing is written to disk, no extension is loaded."""
    config: dict[str, str | bool | int | float | list[str]] = (
        {"threads": threads} if threads else {}
    )
    return duckdb.connect(":memory:", config=config)


def register(con: duckdb.DuckDBPyConnection, data: Data, name: str = "population") -> list[str]:
    """Make ``data`` queryable as ``name``; returns its column names."""
    if isinstance(data, pa.Table):
        con.register(name, data)
    else:
        suffix = data.suffix.lower()
        if suffix not in (".parquet", ".csv"):
            raise Invalid(
                BAD_POPULATION, [FieldError("population", "give a .parquet or .csv file")]
            )
        if not data.is_file():
            raise Invalid(
                BAD_POPULATION, [FieldError.literal("population", f"no such file: {data}")]
            )
        relation = con.read_parquet(str(data)) if suffix == ".parquet" else con.read_csv(str(data))
        relation.create_view(name, replace=True)
    return [row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()]


def check_columns(service: Service, columns: Sequence[str]) -> None:
    missing = [n for n in service.inputs if n not in columns]
    if missing:
        raise Invalid(
            BAD_POPULATION,
            [
                FieldError.literal("population", f"has no column `{n}`, an input of {service.id}")
                for n in missing
            ],
        )


def evaluate(
    service: Service,
    data: Data,
    *,
    on: date,
    keep: Sequence[str] = (),
    con: duckdb.DuckDBPyConnection | None = None,
    trace: bool = True,
) -> pa.Table:
    """Every row decided: the kept columns, then outcome, amount, duration and, with
    ``trace``, every input, variable, table output and condition of the service."""
    con = con or connect()
    columns = register(con, data)
    check_columns(service, columns)
    keep = [c for c in keep if c in columns]
    # Arrow knows which columns have no missing value; their NULL tests are skipped.
    present = (
        tuple(n for n in service.inputs if data.column(n).null_count == 0)
        if isinstance(data, pa.Table)
        else ()
    )
    # Generating SQL with sqlglot costs tens of milliseconds: once per service, day,
    # kept columns and present inputs.
    sql = service.compiled(
        ("sql", on, tuple(keep), present),
        lambda: to_sql(population_query(service, on=on, keep=keep, present=present)),
    )
    shown = [n for n, s in service.symbols.items() if s.kind not in ("parameter", "builtin")]
    shown = shown if trace else []
    # Two columns are made here rather than by DuckDB, which takes longer to hand over
    # text and constants than to decide: the outcome comes as its code and becomes a
    # dictionary, and a service without a duration gets its column of NULLs.
    durations = service.duration is not None
    wanted = [*dict.fromkeys([*keep, "_outcome", "amount", *(["duration"] * durations), *shown])]
    select = ", ".join(f'"{c}"' for c in wanted)
    table = con.sql(f"SELECT {select} FROM ({sql})").to_arrow_table()  # noqa: S608 - names are checked identifiers
    at = table.schema.get_field_index("_outcome")
    codes = table.column(at).combine_chunks()
    # Unchecked: the codes come from the query's own CASE, always an index of OUTCOMES.
    outcome = pa.DictionaryArray.from_arrays(codes, pa.array(OUTCOMES, pa.string()), safe=False)
    table = table.set_column(at, "outcome", outcome)
    if not durations:
        table = table.add_column(at + 2, "duration", pa.nulls(table.num_rows, pa.float64()))
    return table
