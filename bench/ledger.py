"""Benchmark: the transparency ledger against pymerkle in the same run.

    python bench/ledger.py [--appends 200000] [--batch 1000] [--proof-size 1000000]
                           [--samples 2000] [--postgres URL]

* Durable batched appends per second: smartgov's `ledger.service.append` (entry,
  leaf and subtree hashes, one transaction per batch, SQLite in WAL mode with
  synchronous=FULL, then PostgreSQL) against pymerkle's `SqliteTree.append_entries`
  (one transaction per batch, set to the same WAL journal with synchronous=FULL),
  the two taking turns batch by batch. Each is timed from the records (dicts) to
  their commit; making up the records is not timed.
* Inclusion and consistency proofs on a log of `--proof-size` entries: smartgov's
  proofs (one read of stored subtree hashes) against pymerkle's `prove_inclusion`
  and `prove_consistency`. smartgov's proofs are checked with the standalone
  verifier before any timing counts.

Entries are canonical JSON access records of about 250 bytes. Needs the bench extra
(`make bench` installs it).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import fresh_postgres

from smartgov.core import migrate
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.settings import Settings
from smartgov.exchange import entries  # noqa: F401 - declares the access entry kind
from smartgov.ledger import service
from smartgov.ledger.verify import verify_consistency, verify_inclusion


def records(start: int, count: int) -> list[dict[str, Any]]:
    """Access records as the exchange writes them (`exchange/entries.py`)."""
    return [
        {
            "kind": "access",
            "time": "2026-11-23T10:00:00.000+00:00",  # as the log stamps it
            "outcome": "granted",
            "consumer": "service:minimum-living-allowance",
            "role": None,
            "department": None,
            "on_behalf_of": None,
            "purpose": "decide-application",
            "legal_basis": "interim-measures-social-assistance-art-10",
            "case": f"C-{i:08d}",
            "subject": f"{(i * 2654435761) % 2**64:016x}{i:016x}",
            "unit": "person",
            "fields": {"hrss.employment": ["monthly_income", "employment"]},
            "hold_until": None,
            "reason": None,
        }
        for i in range(start, start + count)
    ]


def open_log(settings: Settings) -> Any:
    engine = make_engine(settings)
    migrate.upgrade(engine)
    return make_sessionmaker(engine)


def appends(factory: Any, path: Path, total: int, batch: int) -> tuple[float, float, Any]:
    """Appends per second of smartgov and of pymerkle, batch by batch in turn, so
    both meet the same moment of this machine (whose speed drifts by a third). Each
    side is timed from its records to their commit, canonical JSON included."""
    from pymerkle import SqliteTree

    tree = SqliteTree(str(path))
    # The same journal and durability as smartgov's SQLite: WAL, and every commit
    # synced to disk (synchronous=FULL), so neither side buys speed with less safety.
    tree.con.execute("PRAGMA journal_mode=WAL")
    tree.con.execute("PRAGMA synchronous=FULL")
    ours = theirs = 0.0
    for start in range(0, total, batch):
        batch_records = records(start, min(batch, total - start))
        ours += timed_append(factory, batch_records)
        started = time.perf_counter()
        tree.append_entries([service.canonical(r).encode() for r in batch_records])
        theirs += time.perf_counter() - started
    return total / ours, total / theirs, tree


def timed_append(factory: Any, batch_records: list[dict[str, Any]]) -> float:
    """Seconds smartgov takes to append and commit one batch."""
    started = time.perf_counter()
    with transaction(factory) as session:
        service.append(session, batch_records)
    return time.perf_counter() - started


def schema_cost(factory: Any, total: int, batch: int) -> float:
    """What checking each entry against its kind's schema adds to an append: batches
    with and without the check, in turn; the ratio of their times."""
    checked = unchecked = 0.0
    check = service.kinds.check
    for start in range(0, total, batch):
        batch_records = records(start, min(batch, total - start))
        checked += timed_append(factory, batch_records)
        service.kinds.check = lambda _records: None  # type: ignore[assignment]
        try:
            unchecked += timed_append(factory, batch_records)
        finally:
            service.kinds.check = check  # type: ignore[assignment]
    return checked / unchecked


def smartgov_appends(factory: Any, total: int, batch: int) -> float:
    elapsed = sum(
        timed_append(factory, records(start, min(batch, total - start)))
        for start in range(0, total, batch)
    )
    return total / elapsed


def grow(factory: Any, size: int, batch: int = 20_000) -> None:
    with transaction(factory) as session:
        have = service.size(session)
    for start in range(have, size, batch):
        with transaction(factory) as session:
            service.append(session, records(start, min(batch, size - start)))


def timed_ms(run: Callable[[], Any], samples: int, budget_s: float = 60.0) -> list[float]:
    out: list[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(samples):
        started = time.perf_counter_ns()
        run()
        out.append((time.perf_counter_ns() - started) / 1e6)
        if time.perf_counter() > deadline:
            break
    return out


def smartgov_proofs(factory: Any, size: int, samples: int) -> dict[str, float]:
    rng = random.Random(3)
    with factory() as session:
        root = service.root(session, size)
        for _ in range(50):  # correct before timed
            i = rng.randrange(size)
            p = service.inclusion_proof(session, i, size)
            verify_inclusion(i, size, p.leaf_hash, p.proof, root)
            first = rng.randrange(1, size)
            proof = service.consistency_proof(session, first, size)
            verify_consistency(first, size, service.root(session, first), root, proof)
        inclusion = timed_ms(
            lambda: service.inclusion_proof(session, rng.randrange(size), size), samples
        )
        consistency = timed_ms(
            lambda: service.consistency_proof(session, rng.randrange(1, size), size), samples
        )

    def with_session() -> None:  # what an API request adds: a session and its transaction
        with factory() as s, s.begin():
            service.inclusion_proof(s, rng.randrange(size), size)

    request = timed_ms(with_session, samples)
    return {
        "inclusion_p50_ms": float(np.percentile(inclusion, 50)),
        "inclusion_p99_ms": float(np.percentile(inclusion, 99)),
        "consistency_p50_ms": float(np.percentile(consistency, 50)),
        "consistency_p99_ms": float(np.percentile(consistency, 99)),
        "inclusion_with_session_p50_ms": float(np.percentile(request, 50)),
    }


def pymerkle_proofs(tree: Any, size: int, samples: int) -> dict[str, float]:
    rng = random.Random(3)
    # pymerkle counts leaves from 1.
    inclusion = timed_ms(lambda: tree.prove_inclusion(rng.randrange(1, size + 1), size), samples)
    consistency = timed_ms(lambda: tree.prove_consistency(rng.randrange(1, size), size), samples)
    return {
        "inclusion_p50_ms": float(np.percentile(inclusion, 50)),
        "inclusion_p99_ms": float(np.percentile(inclusion, 99)),
        "consistency_p50_ms": float(np.percentile(consistency, 50)),
        "consistency_p99_ms": float(np.percentile(consistency, 99)),
        "samples": len(inclusion),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--proof-size", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--schema-cost", type=int, default=100_000, help="appends each way")
    parser.add_argument("--only-appends", action="store_true", help="skip PostgreSQL, proofs")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    figures: dict[str, Any] = {"bench": "ledger"}
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    settings = Settings(environment="test", data_dir=folder, secret_key="b" * 40)
    factory = open_log(settings)
    ours, theirs, tree = appends(factory, folder / "pymerkle.db", args.appends, args.batch)
    print(f"durable appends/s, batches of {args.batch}: smartgov SQLite {ours:,.0f}, "
          f"pymerkle SQLite {theirs:,.0f} ({ours / theirs:.1f}x)")  # fmt: skip
    figures |= {"sqlite_appends_per_s": round(ours), "pymerkle_appends_per_s": round(theirs)}
    figures["ratio_vs_pymerkle_appends"] = round(ours / theirs, 2)
    cost = schema_cost(factory, args.schema_cost, args.batch)
    print(f"schema check at append: appends take {cost:.3f}x the time without it")
    figures["schema_check_cost_ratio"] = round(cost, 3)
    if args.only_appends:
        print(json.dumps(figures))
        return
    url = fresh_postgres(args.postgres, "smartgov_bench_ledger")
    if url:
        pg = open_log(Settings(environment="test", database_url=url, secret_key="b" * 40))
        pg_rate = smartgov_appends(pg, args.appends, args.batch)
        print(f"durable appends/s, batches of {args.batch}: smartgov PostgreSQL {pg_rate:,.0f}")
        figures["postgres_appends_per_s"] = round(pg_rate)

    size = args.proof_size
    started = time.perf_counter()
    grow(factory, size)
    print(f"smartgov log grown to {size:,} entries in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    have = tree.get_size()
    for start in range(have, size, 100_000):
        tree.append_entries(
            [service.canonical(r).encode() for r in records(start, min(100_000, size - start))]
        )
    print(f"pymerkle log grown to {size:,} entries in {time.perf_counter() - started:.1f} s")
    mine = smartgov_proofs(factory, size, args.samples)
    other = pymerkle_proofs(tree, size, args.samples)
    print(f"{'proofs on ' + format(size, ',') + ' entries':<34} {'smartgov p50/p99 ms':>22} "
          f"{'pymerkle p50/p99 ms':>22}")  # fmt: skip
    for kind in ("inclusion", "consistency"):
        print(
            f"{kind:<34} {mine[kind + '_p50_ms']:>10.3f} / {mine[kind + '_p99_ms']:<9.3f} "
            f"{other[kind + '_p50_ms']:>10.3f} / {other[kind + '_p99_ms']:<9.3f}"
        )
        figures[f"{kind}_p50_ms"] = round(mine[kind + "_p50_ms"], 4)
        figures[f"{kind}_p99_ms"] = round(mine[kind + "_p99_ms"], 4)
        figures[f"pymerkle_{kind}_p50_ms"] = round(other[kind + "_p50_ms"], 4)
        figures[f"ratio_vs_pymerkle_{kind}"] = round(
            other[kind + "_p50_ms"] / mine[kind + "_p50_ms"], 2
        )
    print(f"inclusion proof with its own session and transaction: "
          f"p50 {mine['inclusion_with_session_p50_ms']:.3f} ms")  # fmt: skip
    figures["inclusion_with_session_p50_ms"] = round(mine["inclusion_with_session_p50_ms"], 4)
    figures["pymerkle_samples"] = other["samples"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
