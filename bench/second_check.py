"""Benchmark: what learning only from people's decisions costs the second check.

    python bench/second_check.py [--people 20000] [--cases 3000] [--fresh 600]

The demo city with its past (800 reviewed applications per service, every one decided
by a person, since no model existed), a check model per service trained on it, then
``--cases`` new applications decided by the worker, most of them without a person.
For each service, two models are then trained on that history and compared:

* people: the cases people decided, each seen on the day its rules ran (the rule now);
* all: every decided case, the worker's own included, seen today (the rule before).

Reported per service: the cases each learns from, its cross-validated accuracy, and on
``--fresh`` new applications per service that nobody decided yet, how often it
disagrees with the rules (a model that copies the rules disagrees less, and catches
less).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import select

import cases as bench_cases  # bench/cases.py: the same city, past and application mix
from smartgov.cases import second_check
from smartgov.cases import service as cases
from smartgov.cases.models import Case
from smartgov.core.clock import today
from smartgov.core.settings import Settings
from smartgov.rules import service as rules

ROOT = Path(__file__).resolve().parent.parent


def old_rule(session, service):  # type: ignore[no-untyped-def]
    """Every decided case, as the model learnt before: features counted to today."""
    rows = session.execute(
        select(Case.facts, Case.outcome).where(
            Case.service_id == service.id, Case.state == "decided",
            Case.outcome.in_(("eligible", "ineligible")), Case.facts.is_not(None),
        ).order_by(Case.id)
    ).all()  # fmt: skip
    x = np.array([second_check.features(service, f, today()) for f, _ in rows], dtype=float)
    return x.reshape(len(rows), len(second_check.feature_names(service))), np.array(
        [o == "eligible" for _, o in rows], dtype=int
    )


def disagreement(parameters, service, decisions) -> float:  # type: ignore[no-untyped-def]
    """How often the model's outcome differs from the rules' on fresh cases."""
    model = type("M", (), {"parameters": parameters})()
    differ = [
        second_check.score(model, service, facts, on).outcome != outcome
        for facts, on, outcome in decisions
    ]
    return float(np.mean(differ)) if differ else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=3_000)
    parser.add_argument("--fresh", type=int, default=600)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sg-second-check-"))
    settings = Settings(environment="test", data_dir=folder, services_dir=ROOT / "services",
                        secret_key="bench-secret-key-that-is-long-enough-0",
                        checkpoint_seconds=0)  # fmt: skip
    started = time.perf_counter()
    factory, _token, residents, firms = bench_cases.build(settings, args.people)
    items = bench_cases.applications(args.cases, residents, firms, seed=2)
    bench_cases.submit_in_process(factory, settings, items)
    while cases.decide_batch(factory, settings, limit=200):
        pass
    print(f"city, past, {args.cases} new cases decided: {time.perf_counter() - started:.0f} s")
    catalogue = rules.services(settings).services
    fitted: dict[tuple[str, str], tuple[dict[str, object], float | None, int]] = {}
    with factory() as session:
        for service_id, service in sorted(catalogue.items()):
            for rule, (x, labels) in (
                ("people", second_check.training_set(session, service)),
                ("all", old_rule(session, service)),
            ):
                if len(labels) >= second_check.MIN_CASES and labels.min() != labels.max():
                    parameters, accuracy = second_check.fit(x, labels)
                    parameters["features"] = second_check.feature_names(service)
                    fitted[service_id, rule] = (parameters, accuracy, len(labels))
    # Fresh applications, decided after both models were trained: how often each model
    # disagrees with the rules on them.
    rng = np.random.default_rng(3)
    fresh = []
    for service_id in sorted(catalogue):
        pool = firms if catalogue[service_id].definition.unit == "enterprise" else residents
        key = "credit_code" if pool is firms else "resident_id"
        for code in rng.choice(pool, size=min(args.fresh, len(pool)), replace=False):
            fresh.append({"service": service_id, "idempotency_key": uuid.uuid4().hex,
                          "channel": "counter", "consent": True, key: str(code)})  # fmt: skip
    refs = bench_cases.submit_in_process(factory, settings, fresh)
    while cases.decide_batch(factory, settings, limit=200):
        pass
    with factory() as session:
        decided = session.execute(
            select(Case.service_id, Case.facts, Case.decision, Case.submitted_at,
                   Case.automated_outcome)
            .where(Case.ref.in_(refs), Case.automated_outcome.in_(("eligible", "ineligible")))
        ).all()  # fmt: skip
    results = []
    print(f"{'service':32} {'rule':7} {'cases':>6} {'cv acc.':>8} {'disagrees':>10}")
    for (service_id, rule), (parameters, accuracy, n) in sorted(fitted.items()):
        service = catalogue[service_id]
        mine = [
            (f, second_check.decided_on(d, at), o) for s, f, d, at, o in decided if s == service_id
        ]
        share = disagreement(parameters, service, mine)
        results.append({"service": service_id, "rule": rule, "cases": n, "accuracy": accuracy,
                        "fresh": len(mine), "disagreement": share})  # fmt: skip
        print(f"{service_id:32} {rule:7} {n:>6} {accuracy or 0:>8.3f} {100 * share:>9.1f}%")
    print(json.dumps({"bench": "second_check", "people": args.people, "cases": args.cases,
                      "results": results}))  # fmt: skip


if __name__ == "__main__":
    main()
