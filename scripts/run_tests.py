"""`make test`: the suite on SQLite, then on a fresh PostgreSQL database, each in two
processes (pytest-xdist, an idle one taking tests from the other; each has a database of
its own: a SQLite file in its temporary folder, or ``<name>_gw<n>`` on PostgreSQL).

PostgreSQL is taken from SMARTGOV_TEST_POSTGRES_URL (default: the local server,
user postgres). Without a server the PostgreSQL half is skipped with a message,
except when CI=true, where a missing server fails the run.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import psycopg
from sqlalchemy.engine import make_url

#: One worker per core (this machine has two); SMARTGOV_TEST_WORKERS=0 runs in one process.
WORKERS = os.environ.get("SMARTGOV_TEST_WORKERS", str(min(os.cpu_count() or 1, 2)))
PARALLEL = ["-n", WORKERS, "--dist", "worksteal"] if WORKERS != "0" else []
ADMIN_URL = os.environ.get(
    "SMARTGOV_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest(label: str, extra_env: dict[str, str], extra_args: list[str] | None = None) -> int:
    print(f"\n=== tests on {label} ===", flush=True)
    env = {**os.environ, **extra_env}
    args = [sys.executable, "-m", "pytest", *PARALLEL, *(extra_args or []), *sys.argv[1:]]
    return subprocess.run(args, env=env, check=False).returncode  # noqa: S603 - our own pytest


def admin_connection() -> psycopg.Connection[tuple[object, ...]] | None:
    url = make_url(ADMIN_URL)
    try:
        return psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.username, password=url.password,
            dbname=url.database or "postgres", autocommit=True, connect_timeout=3,
        )  # fmt: skip
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable at {url.host}:{url.port}: {exc}".strip())
        return None


def main() -> int:
    status = pytest("SQLite", {"SMARTGOV_TEST_DATABASE_URL": ""})
    conn = admin_connection()
    if conn is None:
        if os.environ.get("CI") == "true":
            print("CI=true: the PostgreSQL half is required; start the server and run again")
            return 1
        print("SKIPPED the PostgreSQL half of the suite (no server); SQLite half above")
        return status
    name = f"smartgov_test_{secrets.token_hex(4)}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        # Markup and layout checks do not depend on the database: run once, on SQLite.
        status = pytest(f"PostgreSQL ({name})", {"SMARTGOV_TEST_DATABASE_URL": url},
                        ["-m", "not same_on_every_database"]) or status  # fmt: skip
    finally:
        workers = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{name}_gw%",)
        ).fetchall()
        for (database,) in [(name,), *workers]:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
