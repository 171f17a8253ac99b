"""What the benchmark scripts share."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smartgov.core.settings import Settings


def fresh_postgres(url: str, name: str) -> str | None:
    """A new empty database ``name`` on the server at ``url``, or None (and why) when
    there is no server to run on."""
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL run
        print(f"PostgreSQL skipped: {exc.__class__.__name__}: {exc}")
        return None
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def serve(
    settings: Settings, workers: int, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`smartgov serve` on a free port with these settings; the process and its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "SMARTGOV_ENVIRONMENT": "development",
        "SMARTGOV_DATABASE_URL": settings.database_url,
        "SMARTGOV_DATA_DIR": str(settings.data_dir),
        "SMARTGOV_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SMARTGOV_SERVICES_DIR": str(settings.services_dir),
        **(extra or {}),
    }
    command = [sys.executable, "-m", "smartgov", "serve", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health").status_code == 200:
                _settled(process, deadline)
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("smartgov serve did not start")


def _settled(process: subprocess.Popen[bytes], deadline: float) -> None:
    """Wait until every server process has finished starting. The first worker answers
    the health check while the others may still import for seconds; a run that starts
    then measures fewer workers than it says. Unloaded, a started worker uses no CPU."""
    server = psutil.Process(process.pid)
    last = -1.0
    while time.monotonic() < deadline:
        used = sum(sum(p.cpu_times()[:2]) for p in [server, *server.children(recursive=True)])
        if used - last < 0.02:  # seconds of CPU over the last half second, all processes
            return
        last = used
        time.sleep(0.5)


def report(bench: str, results: dict[str, dict[str, float]], rows: list[tuple[str, str]],
           extra: dict[str, Any] | None = None) -> None:  # fmt: skip
    """The human table (SQLite and PostgreSQL side by side) and the closing JSON line."""
    width = max(len(label) for label, _ in rows) + 2
    print(f"{'':{width}} {'SQLite':>12} {'PostgreSQL':>12}")
    for label, key in rows:
        cells = [f"{results[db][key]:>12.3f}" if db in results else f"{'-':>12}"
                 for db in ("sqlite", "postgres")]  # fmt: skip
        print(f"{label:{width}} {' '.join(cells)}")
    line: dict[str, Any] = {"bench": bench, **(extra or {})}
    for db, figures in results.items():
        line |= {f"{db}_{k}": round(v, 4) for k, v in figures.items()}
    print(json.dumps(line))
