"""What the benchmark scripts share."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


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
