"""Benchmark: purpose-bound reads through the exchange, in process and over HTTP.

    python bench/exchange.py [--people 100000] [--samples 3000] [--http-seconds 10]
                             [--clients 16] [--workers 2] [--postgres URL]

* In process, the decision worker's read: `exchange.service.fetch` of the
  minimum-living-allowance's registry inputs for one household (grant check, three
  department providers, per-purpose pseudonym, ledger append, access index). Timed
  two ways: inside an open transaction, as a case's decision makes it (the commit
  comes with the decision and is not timed), and alone in its own transaction,
  committed durably (SQLite WAL with synchronous=FULL, then PostgreSQL). Against the
  limit: the same provider reads alone, with no grant, no ledger and no commit.
* Over HTTP: `POST /api/v1/exchange/fetch` by a reviewer (bearer token), each read
  for one of 300 open cases of civil affairs about the person read (a case-review read
  must name one), against
  `smartgov serve --workers N`, driven by wrk (`apt-get install wrk`) with
  `--clients` keep-alive connections for `--http-seconds`; any non-2xx answer fails
  the run. Each read's access record is committed (group commit) before it answers.

Afterwards the whole ledger is re-verified, so no read was lost or half-written.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import fresh_postgres, report, serve
from sqlalchemy import select

from smartgov.cases import service as cases
from smartgov.core import migrate
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.core.users import create_user, issue_token
from smartgov.demo import city, publish
from smartgov.demo.models import Person
from smartgov.exchange import catalogue, providers
from smartgov.exchange import service as exchange
from smartgov.ledger import keys
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "minimum-living-allowance"


def build(settings: Settings, people: int) -> tuple[Any, list[str]]:
    """A migrated city with its catalogue, grants and a reviewer; the service's fields."""
    engine = make_engine(settings)
    migrate.upgrade(engine)
    city.generate(engine, people=people, enterprises=people // 10, seed=1, replace=True)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        publish.set_up(session, settings)
        rules.sync_grants(session, settings)
        publish.approve_requests(session)  # as the demo's departments
    service = rules.get_service(settings, SERVICE)
    names = [n for n, spec in service.definition.inputs.items() if spec.source == "registry"]
    return factory, names


def percentiles(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 99))


def timed(run: Callable[[int], Any], keys_: list[int]) -> list[float]:
    took = []
    for key in keys_:
        started = time.perf_counter()
        run(key)
        took.append((time.perf_counter() - started) * 1000)
    return took


def in_process(
    settings: Settings, factory: Any, names: list[str], samples: int, households: int
) -> dict[str, float]:
    purpose = f"decision:{SERVICE}"
    consumer = exchange.Consumer.service(SERVICE)
    subjects = [random.randint(1, households) for _ in range(samples)]

    def fetch(key: int) -> None:
        with transaction(factory) as session:
            got = exchange.fetch(
                session, settings, consumer=consumer, subject=exchange.Subject("household", key),
                fields=names, purpose=purpose, case=f"C-{key}",
            )  # fmt: skip
            assert len(got.values) == len(names)

    with transaction(factory) as session:
        located = catalogue.locate(session, "household", names)
    by_dataset: dict[str, list[str]] = {}
    for name, where in located.items():
        by_dataset.setdefault(where.dataset, []).append(name)
    sources = [
        (providers.provider_for(located[fields_[0]].provider, settings), fields_)
        for fields_ in by_dataset.values()
    ]

    def bare(key: int) -> None:
        with factory() as session:
            for provider, fields_ in sources:
                provider.read(session, key, fields_)

    def in_case(session: Any) -> Callable[[int], None]:
        """The worker's way: fetch inside the case's transaction, which commits later."""

        def run(key: int) -> None:
            exchange.fetch(
                session, settings, consumer=consumer, subject=exchange.Subject("household", key),
                fields=names, purpose=purpose, case=f"C-{key}",
            )  # fmt: skip

        return run

    for run in (fetch, bare):  # warm caches and statement compilation
        timed(run, subjects[:200])
    fetched = timed(fetch, subjects)
    read = timed(bare, subjects)
    within: list[float] = []
    for start in range(0, samples, 100):  # one transaction per 100 reads, commit untimed
        with transaction(factory) as session:
            within += timed(in_case(session), subjects[start : start + 100])
    f50, f99 = percentiles(fetched)
    b50, b99 = percentiles(read)
    t50, t99 = percentiles(within)
    return {"fetch_p50_ms": f50, "fetch_p99_ms": f99, "bare_read_p50_ms": b50,
            "bare_read_p99_ms": b99, "fetch_in_transaction_p50_ms": t50,
            "fetch_in_transaction_p99_ms": t99, "datasets_per_fetch": len(sources)}  # fmt: skip


LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
cases = {%(cases)s}
counter = 0
request = function()
  counter = counter + 1
  local pick = cases[(counter * 7919) %% #cases + 1]
  local body = '{"subject":{"unit":"person","id":' .. pick[1] .. '},'
    .. '"fields":["monthly_income","household_income","disability_grade"],'
    .. '"purpose":"case-review","case":"' .. pick[2] .. '"}'
  return wrk.format(nil, "/api/v1/exchange/fetch", nil, body)
end
"""
#: Open cases the reviewer reads for: a case-review read names one (issue 14, finding 8).
OPEN_CASES = 300


def open_cases(factory: Any, settings: Settings, count: int) -> list[tuple[int, str]]:
    """(person, case) pairs: old-age applications at the counter that a person decides."""
    with transaction(factory) as session:
        counter = create_user(session, username="bench-counter", password="bench-password-1",
                              role=Role.counter_officer, display_name="Bench counter",
                              department_code="civil_affairs")  # fmt: skip
        people = session.execute(
            select(Person.id, Person.resident_id).order_by(Person.birth_date).limit(count)
        ).all()
        pairs = []
        for person, resident in people:
            case, _ = cases.submit(session, settings, actor=counter, app=cases.Application(
                service_id="old-age-allowance", idempotency_key=f"bench-{person:010d}",
                channel="counter", consent=True, resident_id=resident,
                human_decision=True))  # fmt: skip
            pairs.append((person, case.ref))
    while cases.decide_batch(factory, settings, limit=200):
        pass
    return pairs


def _ms(text: str) -> float:
    """wrk's latencies ("456.78us", "1.23ms", "1.02s") in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def over_http(
    base: str, token: str, seconds: float, clients: int, pairs: list[tuple[int, str]]
) -> dict[str, float]:
    """wrk (C, from Debian) drives the server, so the load generator does not take the
    server's CPU the way Python clients would; every answer must be a 2xx."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("the HTTP figure needs wrk: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        listed = ",".join(f'{{{person},"{ref}"}}' for person, ref in pairs)
        script.write(LUA % {"token": token, "cases": listed})
    out = subprocess.run(
        [wrk, "-t2", f"-c{clients}", f"-d{seconds:g}s", "--latency", "-s", script.name, base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"HTTP fetch failed:\n{out}")
    latency = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)$", out, re.MULTILINE))
    return {
        "http_fetches_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "http_p50_ms": _ms(latency["50"]),
        "http_p99_ms": _ms(latency["99"]),
        "http_fetches": float(re.search(r"(\d+) requests in", out)[1]),  # type: ignore[index]
    }


def run(settings: Settings, args: argparse.Namespace) -> dict[str, float]:
    factory, names = build(settings, args.people)
    with transaction(factory) as session:
        households = exchange.registry_counts(session)["households"]
        reviewer = create_user(session, username="bench-reviewer", password="bench-password-1",
                               role=Role.reviewer, display_name="Bench reviewer",
                               department_code="civil_affairs")  # fmt: skip
        token, _record = issue_token(session, user=reviewer, name="bench", days=1)
    figures = in_process(settings, factory, names, args.samples, households)
    pairs = open_cases(factory, settings, OPEN_CASES)
    process, base = serve(settings, args.workers)
    try:
        over_http(base, token, 3, args.clients, pairs)  # warm up every worker
        figures |= over_http(base, token, args.http_seconds, args.clients, pairs)
    finally:
        process.terminate()
        process.wait(10)
    with transaction(factory) as session:
        signer = keys.from_settings(settings)
        ledger.sign(session, signer)
        report = ledger.verify_log(session, signer.verifier)
    if report.problems:
        raise SystemExit(f"the ledger does not verify: {report.problems[:3]}")
    figures["ledger_entries_verified"] = report.size
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--http-seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    random.seed(7)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        base = {"environment": "test", "secret_key": "bench-secret-key-long-enough-000000",
                "data_dir": Path(folder), "services_dir": ROOT / "services"}  # fmt: skip
        results["sqlite"] = run(Settings(**base), args)  # type: ignore[arg-type]
        url = fresh_postgres(args.postgres, "smartgov_bench_exchange")
        if url:
            results["postgres"] = run(Settings(**base, database_url=url), args)  # type: ignore[arg-type]
    print(f"\n{args.people:,} people; {args.samples:,} fetches in process; "
          f"{args.clients} HTTP clients, {args.workers} server workers\n")  # fmt: skip
    rows = [
        ("fetch with ledger append, p50 ms", "fetch_in_transaction_p50_ms"),
        ("fetch with ledger append, p99 ms", "fetch_in_transaction_p99_ms"),
        ("fetch with ledger, committed, p50 ms", "fetch_p50_ms"),
        ("fetch with ledger, committed, p99 ms", "fetch_p99_ms"),
        ("provider reads alone, p50 ms", "bare_read_p50_ms"),
        ("HTTP fetches/s", "http_fetches_per_s"),
        ("HTTP latency p50 ms", "http_p50_ms"),
        ("HTTP latency p99 ms", "http_p99_ms"),
    ]
    ratio = results["sqlite"]["fetch_p50_ms"] / results["sqlite"]["bare_read_p50_ms"]
    report(
        "exchange", results, rows, {"people": args.people, "ratio_vs_bare_read": round(ratio, 2)}
    )


if __name__ == "__main__":
    main()
