"""Benchmark: generating the demo city into the database.

    python bench/demo_city.py [--people 1000000] [--enterprises 100000] [--database-url URL]

Prints the time for a whole city (people, households, enterprises, one
transaction) and, measured in the same run, the floor set by the driver: inserting
the same number of person rows of the same width into SQLite, generating nothing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from smartgov.core import migrate
from smartgov.core.db import make_engine
from smartgov.core.settings import load_settings
from smartgov.demo.city import generate


def smartgov_run(people: int, enterprises: int, url: str, folder: Path) -> dict[str, float]:
    settings = load_settings(data_dir=folder, database_url=url)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    report = generate(engine, people=people, enterprises=enterprises, seed=1, replace=True)
    engine.dispose()
    return {"seconds": report.seconds, "people_per_s": report.people_per_second}


def insert_floor(people: int, folder: Path) -> float:
    """The driver's limit: inserting as many rows of the same width, generating nothing."""
    con = sqlite3.connect(folder / "floor.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    columns = [f"c{i}" for i in range(14)]
    con.execute(f"CREATE TABLE p ({', '.join(columns)})")
    row = (1, "990101196709250012", "王英", "M", "1967-09-25", 1, "head", "990101", 0,
           "employed", 5320, 390, 0, 0)  # fmt: skip
    marks = ", ".join("?" for _ in columns)
    started = time.perf_counter()
    with con:
        con.executemany(f"INSERT INTO p VALUES ({marks})", itertools.repeat(row, people))
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours = smartgov_run(args.people, args.enterprises, args.database_url, folder)
        limit = insert_floor(args.people, folder)
    backend = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
    print(f"{'what':<44}{'seconds':>10}")
    print(f"{'smartgov demo-city (' + backend + ')':<44}{ours['seconds']:>10.1f}")
    print(f"{'insert-only floor, same rows (sqlite3)':<44}{limit:>10.1f}")
    result = {
        "bench": "demo_city",
        "backend": backend,
        "people": args.people,
        "enterprises": args.enterprises,
        "seconds": round(ours["seconds"], 2),
        "people_per_s": round(ours["people_per_s"]),
    }
    result["floor_seconds"] = round(limit, 2)
    result["ratio_vs_insert_floor"] = round(ours["seconds"] / limit, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
