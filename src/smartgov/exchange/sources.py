"""Registry sources: the tables, views and files an administrator has declared as a
department's registry, and the only places a dataset's provider may read.

A department officer registers datasets; an administrator decides where registries
live. Keeping the two apart is what stops an officer from pointing a provider at the
platform's own tables (accounts, tokens, cases, the ledger) and granting themselves
the rows: no declaration, no dataset. The platform's tables can never be declared."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchTableError
from sqlalchemy.orm import Session

from smartgov.core import migrate
from smartgov.core.clock import now
from smartgov.core.errors import Conflict, FieldError, Forbidden, Invalid
from smartgov.core.i18n import N_
from smartgov.core.models import Department, User
from smartgov.core.roles import Role
from smartgov.exchange.models import Dataset, Source
from smartgov.ledger import service as ledger

#: Tables that belong to the platform rather than to a department's registry; the
#: demo city's raw registry tables are among them (departments read them only
#: through their declared views).
EXTRA_PLATFORM_TABLES = frozenset({"alembic_version", "sqlite_master", "sqlite_sequence"})


@cache
def platform_tables() -> frozenset[str]:
    """Every table the platform's own models define, whatever their capability, in
    lower case (SQLite and unquoted PostgreSQL names fold case)."""
    names = set(migrate.all_models_metadata().tables) | EXTRA_PLATFORM_TABLES
    return frozenset(n.lower() for n in names)


def is_platform_table(name: str) -> bool:
    lowered = name.lower().rsplit(".", 1)[-1]
    return lowered in platform_tables() or lowered.startswith(
        ("pg_", "sqlite_", "information_schema")
    )


HTTP_URL = re.compile(r"^https?://[^\s/@]+(/[^\s]*)?$")


def table_columns(bind: Connection | Engine, name: str) -> list[str]:
    """A table's or view's columns; none when there is no such table (SQLAlchemy
    raises for some dialects and names, answers empty for others)."""
    try:
        return [c["name"] for c in inspect(bind).get_columns(name)]
    except NoSuchTableError:
        return []


def location(spec: Mapping[str, Any]) -> tuple[str, str, str]:
    """(kind, table or path, url) of a provider spec, as declarations are keyed."""
    kind = spec["kind"]
    where = {"sql": spec.get("table"), "http": spec.get("dataset")}.get(kind) or spec.get("path")
    return kind, where or "", spec.get("url") or ""


def _refuse(message: str, field: str, text: str, **values: object) -> Invalid:
    return Invalid(message, [FieldError(field, text, values)])


def declare(
    session: Session,
    *,
    kind: str,
    name: str,
    department: str,
    url: str | None,
    actor: User | None,
) -> Source:
    """Declare a table, view or file as ``department``'s registry; recorded in the
    ledger. Only an administrator (or the system, for the demo city) may."""
    if actor is not None and actor.role != Role.administrator:
        raise Forbidden(N_("Only an administrator declares where registries are kept."))
    cannot = N_("The registry source cannot be declared.")
    if session.get(Department, department) is None:
        raise _refuse(cannot, "department", N_("No department has this code."))
    if kind not in ("sql", "file", "http"):
        kinds = N_("A registry source is a sql table, a file or a peer node's dataset.")
        raise _refuse(cannot, "kind", kinds)
    if kind == "http" and not (url and HTTP_URL.match(url)):
        # The allow-list of remote nodes: nobody makes the server call any other address.
        raise _refuse(cannot, "url", N_("Give the peer node's address: http(s)://host/..."))
    if kind == "sql" and is_platform_table(name):
        raise _refuse(
            cannot, "name",
            N_("{name} is one of the platform's own tables, not a registry: it can never "
               "be read through the exchange."), name=name,
        )  # fmt: skip
    if url and kind != "http":
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise _refuse(cannot, "url", N_("This is not a database URL.")) from None
        if parsed.password:
            raise _refuse(
                cannot, "url",
                N_("Keep passwords out of the catalogue: give the password to the database "
                   "driver through its environment (for PostgreSQL, PGPASSWORD or .pgpass)."),
            )  # fmt: skip
    elif kind == "sql" and not table_columns(session.connection(), name):
        raise _refuse(cannot, "name", N_("The database has no table or view with this name."))
    found = session.scalar(
        select(Source).where(Source.kind == kind, Source.name == name, Source.url == (url or ""))
    )
    if found is not None and found.department_code != department:
        raise _refuse(
            cannot, "name", N_("This source is already declared for {department}."),
            department=found.department_code,
        )  # fmt: skip
    if found is not None:
        return found
    by = "system" if actor is None else f"user:{actor.id}"
    made = Source(
        kind=kind, name=name, url=url or "", department_code=department, declared_by=by,
        declared_at=now(),
    )  # fmt: skip
    session.add(made)
    session.flush()
    ledger.record(
        session, "source",
        {"action": "declared", "source": made.id, "source_kind": kind, "name": name,
         "remote": bool(url), "department": department, "by": by},
    )  # fmt: skip
    return made


def withdraw(session: Session, source_id: int, *, actor: User | None) -> Source:
    """Withdraw a declaration no dataset reads any more."""
    if actor is not None and actor.role != Role.administrator:
        raise Forbidden(N_("Only an administrator declares where registries are kept."))
    found = session.get(Source, source_id)
    if found is None:
        raise _refuse(
            N_("The registry source cannot be withdrawn."),
            "source",
            N_("No registry source has this number."),
        )
    spec = {"kind": found.kind, "table": found.name, "path": found.name, "url": found.url}
    using = [
        code
        for code, provider in session.execute(select(Dataset.code, Dataset.provider))
        if location(provider) == location(spec)
    ]
    if using:
        raise Conflict(
            N_("Datasets still read this source; replace their provider first."),
            [FieldError("source", N_("Still read by {datasets}."), {"datasets": ", ".join(using)})],
        )
    session.delete(found)
    ledger.record(
        session, "source",
        {"action": "withdrawn", "source": source_id, "source_kind": found.kind, "name": found.name,
         "remote": bool(found.url), "department": found.department_code,
         "by": "system" if actor is None else f"user:{actor.id}"},
    )  # fmt: skip
    return found


def listing(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.department_code, Source.name)))


def declared_for(session: Session, spec: Mapping[str, Any]) -> str | None:
    """The department a provider spec's source is declared for, or None."""
    kind, where, url = location(spec)
    return session.scalar(
        select(Source.department_code).where(
            Source.kind == kind, Source.name == where, Source.url == url
        )
    )
