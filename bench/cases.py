"""Benchmark: applications from submission to decision, on SQLite then PostgreSQL.

    python bench/cases.py [--people 20000] [--cases 2000] [--http-seconds 10]
                          [--clients 16] [--rate 20] [--postgres URL]

The demo city with its past (`demo history`: reviewed decisions and trained
check models), then:

* Worker: ``--cases`` applications are submitted in process, then decided by one
  worker (``smartgov worker --once``), then another batch by two worker processes at
  once; decisions per second are counted from the first to the last decision.
* Submissions over HTTP: ``POST /api/v1/cases`` by a counter officer (a bearer token)
  for residents and enterprises of the registries, driven by wrk
  (``apt-get install wrk``) with ``--clients`` connections; every answer must be 201.
  On SQLite the server decides as it accepts (its own worker); on PostgreSQL one
  ``smartgov worker`` process runs beside the server.
* Latency: applications sent at ``--rate`` per second for ``--http-seconds``; for
  those decided automatically, the time from submission to decision as the database
  recorded it, p50 and p95.
* Share decided without a person, over every case the benchmark made, and whether
  every high-impact case went to a person.

The application mix: the services weighted as a city's demand might be (below).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from common import fresh_postgres, report, serve
from sqlalchemy import select

from smartgov.cases import service as cases
from smartgov.cases.models import Case
from smartgov.core import migrate
from smartgov.core.clock import now
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.core.users import create_user, issue_token
from smartgov.demo import city, past, publish
from smartgov.demo.models import Enterprise, Person
from smartgov.rules import service as rules

ROOT = Path(__file__).resolve().parent.parent
MIX = {  # share of applications per service
    "old-age-allowance": 0.25,
    "childcare-subsidy": 0.22,
    "unemployment-insurance-benefit": 0.18,
    "disability-living-subsidy": 0.12,
    "startup-subsidy": 0.13,
    "minimum-living-allowance": 0.10,
}
STAFF = [("bench-counter", Role.counter_officer, "civil_affairs"),
         ("bench-reviewer", Role.reviewer, "civil_affairs"),
         ("bench-reviewer-hrss", Role.reviewer, "hrss"),
         ("bench-reviewer-health", Role.reviewer, "health_insurance")]  # fmt: skip


def build(settings: Settings, people: int) -> tuple[Any, str, list[str], list[str]]:
    engine = make_engine(settings)
    migrate.upgrade(engine)
    city.generate(engine, people=people, enterprises=people // 10, seed=1, replace=True)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        publish.set_up(session, settings)
        rules.sync_grants(session, settings)
        publish.approve_requests(session)  # as the demo's departments
        users = {name: create_user(session, username=name, password="bench-password-1",
                                   role=role, display_name=name, department_code=dept)
                 for name, role, dept in STAFF}  # fmt: skip
        token, _ = issue_token(session, user=users["bench-counter"], name="bench", days=1)
    started = time.perf_counter()
    past.history(factory, settings, per_service=800)
    print(f"history and models: {time.perf_counter() - started:.1f} s")
    with factory() as session:
        residents = list(session.scalars(select(Person.resident_id).order_by(Person.id)))
        firms = list(session.scalars(select(Enterprise.credit_code).order_by(Enterprise.id)))
    return factory, token, residents, firms


def applications(n: int, residents: list[str], firms: list[str], seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    services = rng.choice(list(MIX), size=n, p=list(MIX.values()))
    made = []
    for service in services:
        who = ({"credit_code": firms[rng.integers(len(firms))]} if service == "startup-subsidy"
               else {"resident_id": residents[rng.integers(len(residents))]})  # fmt: skip
        made.append({"service": str(service), "idempotency_key": uuid.uuid4().hex,
                     "channel": "counter", "consent": True, **who})  # fmt: skip
    return made


def submit_in_process(factory: Any, settings: Settings, items: list[dict[str, Any]]) -> list[str]:
    with factory() as session:
        counter = session.scalars(select(User).where(User.username == "bench-counter")).one()
    refs = []
    with transaction(factory) as session:
        for item in items:
            case, _ = cases.submit(session, settings, actor=counter, app=cases.Application(
                service_id=item["service"], idempotency_key=item["idempotency_key"],
                channel="counter", consent=True, resident_id=item.get("resident_id"),
                credit_code=item.get("credit_code")))  # fmt: skip
            refs.append(case.ref)
    return refs


def worker_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "SMARTGOV_ENVIRONMENT": "development",
            "SMARTGOV_DATABASE_URL": settings.database_url,
            "SMARTGOV_DATA_DIR": str(settings.data_dir),
            "SMARTGOV_SECRET_KEY": settings.secret_key.get_secret_value(),
            "SMARTGOV_SERVICES_DIR": str(settings.services_dir)}  # fmt: skip


def run_workers(
    settings: Settings, factory: Any, items: list[dict[str, Any]], processes: int
) -> float:
    refs = submit_in_process(factory, settings, items)
    command = [sys.executable, "-m", "smartgov", "worker", "--once", "--batch", "50"]
    running = [subprocess.Popen(command, env=worker_env(settings), stdout=subprocess.PIPE,
                                text=True) for _ in range(processes)]  # fmt: skip
    spans = []
    for process in running:
        out, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            raise SystemExit("a worker failed")
        found = re.search(r"from ([\d.]+) to ([\d.]+)", out)
        assert found, out
        spans.append((float(found[1]), float(found[2])))
    with factory() as session:
        left = session.scalar(
            select(Case.id).where(Case.ref.in_(refs), Case.state == "submitted").limit(1)
        )
    if left is not None:
        raise SystemExit("cases left undecided")
    # From the first worker's first look to the last one's end, start-up excluded.
    return len(refs) / (max(e for _, e in spans) - min(s for s, _ in spans))


LUA = """
local items = %(items)s
counter = 0
request = function()
  counter = counter + 1
  local item = items[(counter %% #items) + 1]
  local key = "wrk-" .. tostring(math.random(1, 2^30)) .. "-" .. counter
  local body = string.format(
    '{"service":"%%s","idempotency_key":"%%s","channel":"counter","consent":true,"%%s":"%%s"}',
    item[1], key, item[2], item[3])
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer %(token)s"}
  return wrk.format("POST", "/api/v1/cases", headers, body)
end
"""


def over_http(
    base: str, token: str, items: list[dict[str, Any]], seconds: float, clients: int
) -> dict[str, float]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("the HTTP figure needs wrk: apt-get install wrk")
    rows = ",".join(
        '{{"{}","{}","{}"}}'.format(
            i["service"],
            "credit_code" if "credit_code" in i else "resident_id",
            i.get("credit_code") or i.get("resident_id"),
        )
        for i in items
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"items": "{" + rows + "}", "token": token})
    out = subprocess.run([wrk, "-t2", f"-c{clients}", f"-d{seconds:g}s", "-s", script.name, base],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"HTTP submissions failed:\n{out}")
    return {
        "http_submissions_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "http_submissions": float(re.search(r"(\d+) requests in", out)[1]),  # type: ignore[index]
    }


def paced(
    base: str, token: str, items: list[dict[str, Any]], rate: float, seconds: float
) -> list[str]:
    """Applications at a steady rate (one client), as a city's day would send them."""
    refs = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        started = time.perf_counter()
        for index, item in enumerate(items[: int(rate * seconds)]):
            wait = started + index / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            answer = client.post("/api/v1/cases", json=item)
            if answer.status_code != 201:
                raise SystemExit(f"submission refused: {answer.text}")
            refs.append(answer.json()["case"]["ref"])
    return refs


def wait_decided(factory: Any, refs: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:
            left = session.scalar(
                select(Case.id)
                .where(Case.ref.in_(refs), Case.state.in_(("submitted", "checking")))
                .limit(1)
            )
        if left is None:
            return
        time.sleep(0.2)
    raise SystemExit("cases were not decided in time")


def latency(factory: Any, refs: list[str]) -> tuple[float, float, int]:
    with factory() as session:
        rows = session.execute(
            select(Case.submitted_at, Case.decided_at).where(
                Case.ref.in_(refs), Case.automated.is_(True)
            )
        ).all()
    took = [(d - s).total_seconds() * 1000 for s, d in rows]
    if not took:
        return float("nan"), float("nan"), 0
    return float(np.percentile(took, 50)), float(np.percentile(took, 95)), len(took)


def shares(factory: Any, since: Any) -> dict[str, float]:
    """Over the cases the benchmark made (not the demo history, which was reviewed)."""
    with factory() as session:
        rows = session.execute(
            select(Case.service_id, Case.automated, Case.state).where(
                Case.submitted_at >= since, Case.state != "submitted"
            )
        ).all()
    decided = [r for r in rows if r.state in ("decided", "awaiting_review")]
    automated = sum(1 for r in decided if r.automated)
    high = [r for r in decided if r.service_id == "minimum-living-allowance"]
    return {
        "automated_share": automated / len(decided) if decided else float("nan"),
        "high_impact_reviewed_share": (
            sum(1 for r in high if not r.automated) / len(high) if high else float("nan")
        ),
        "cases_counted": float(len(decided)),
    }


def run(settings: Settings, args: argparse.Namespace) -> dict[str, float]:
    factory, token, residents, firms = build(settings, args.people)
    since = now()
    figures: dict[str, float] = {}
    mix = applications(args.cases * 2, residents, firms, seed=2)
    figures["worker_1_decisions_per_s"] = run_workers(settings, factory, mix[: args.cases], 1)
    figures["worker_2_decisions_per_s"] = run_workers(settings, factory, mix[args.cases :], 2)
    extra = {"SMARTGOV_CASE_WORKER": "on" if settings.is_sqlite else "off"}
    process, base = serve(settings, 1, extra)
    worker = None
    if not settings.is_sqlite:
        worker = subprocess.Popen([sys.executable, "-m", "smartgov", "worker"],
                                  env=worker_env(settings), stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        load = applications(5000, residents, firms, seed=3)
        over_http(base, token, load, 3, args.clients)  # warm up
        figures |= over_http(base, token, load, args.http_seconds, args.clients)
        time.sleep(5)  # let the worker catch up before the latency run
        refs = paced(base, token, applications(int(args.rate * args.http_seconds) + 1,
                                                residents, firms, seed=4), args.rate,
                     args.http_seconds)  # fmt: skip
        wait_decided(factory, refs)
        p50, p95, n = latency(factory, refs)
        figures |= {"latency_p50_ms": p50, "latency_p95_ms": p95, "latency_cases": float(n)}
    finally:
        process.terminate()
        process.wait(10)
        if worker is not None:
            worker.terminate()
            worker.wait(10)
    figures |= shares(factory, since)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--http-seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        base = {"environment": "test", "secret_key": "bench-secret-key-long-enough-000000",
                "data_dir": Path(folder), "services_dir": ROOT / "services"}  # fmt: skip
        results["sqlite"] = run(Settings(**base), args)  # type: ignore[arg-type]
        url = fresh_postgres(args.postgres, "smartgov_bench_cases")
        if url:
            results["postgres"] = run(Settings(**base, database_url=url), args)  # type: ignore[arg-type]
    print(f"\n{args.people:,} people; {args.cases:,} cases per worker run; "
          f"{args.clients} HTTP clients; latency at {args.rate:g}/s\n")  # fmt: skip
    rows = [
        ("decisions/s, one worker", "worker_1_decisions_per_s"),
        ("decisions/s, two workers", "worker_2_decisions_per_s"),
        ("submissions accepted/s over HTTP", "http_submissions_per_s"),
        ("submission to automated decision p50 ms", "latency_p50_ms"),
        ("submission to automated decision p95 ms", "latency_p95_ms"),
        ("share decided without a person", "automated_share"),
        ("share of high-impact cases reviewed", "high_impact_reviewed_share"),
    ]
    report("cases", results, rows, {"people": args.people})


if __name__ == "__main__":
    main()
