"""Database engine and sessions. SQLite is the embedded default, PostgreSQL production."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain
from typing import Annotated, Any, TypeVar

from annotated_types import Ge, Le
from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from smartgov.core import sqlite_writer
from smartgov.core.clock import aware
from smartgov.core.errors import DomainError
from smartgov.core.settings import Settings

T = TypeVar("T")


class Timestamp(TypeDecorator[datetime]):
    """A moment, stored in UTC and read back with its zone on every database: SQLite
    keeps no zone, and its naive values reached the API without one, against the
    date-time format the API declares."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else aware(value).astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else aware(value)


#: The largest integer a BIGINT column holds, on SQLite and PostgreSQL alike.
MAX_INT = 2**63 - 1
#: A number a request may give for an id, a position or a size: never negative, never
#: larger than the databases hold (a larger one reached the driver and answered 500).
Natural = Annotated[int, Ge(0), Le(MAX_INT)]

# Stable constraint names, so Alembic's batch mode can alter SQLite tables.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the web server read while the worker writes; foreign keys are off by default.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit acknowledged to a citizen (a decision, its ledger entry) survives
    # a power cut; NORMAL in WAL mode may lose the last ones.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(settings: Settings) -> Engine:
    # hide_parameters: a failed statement's error (and its log line) names the SQL but
    # not the values, which may be personal data.
    url = settings.effective_database_url
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # A pool as large as the busiest moment: a connection closed on return costs a
        # reconnect and its pragmas on the next request.
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, pool_size=20, max_overflow=20,
            hide_parameters=True,
        )  # fmt: skip
        event.listen(engine, "connect", _sqlite_pragmas)
        sqlite_writer.install(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


class BlockingCall(RuntimeError):
    """A database statement ran on the thread of an event loop."""


def _off_the_event_loop(*_args: Any) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop runs on this thread: a worker thread, a command
        return
    raise BlockingCall(
        "a database statement ran on the event loop, where it stalls every request of "
        "the process: make the route a plain `def`, or run the work in a thread"
    )


def forbid_on_event_loop(engine: Engine) -> None:
    """Refuse statements on an event loop's thread (outside production, where a slow
    page is better than a refused one): routes that block are found by the tests."""
    event.listen(engine, "before_cursor_execute", _off_the_event_loop)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The one place that commits: everything inside is written, or nothing is, except
    that an error which records itself (``keep_writes``) commits its record."""
    session = factory()
    session.begin()
    error: BaseException | None = None
    try:
        yield session
    except BaseException as exc:
        error = exc
        raise
    finally:
        finish(session, error)


def finish(session: Session, error: BaseException | None) -> None:
    """End a session's transaction: commit if no error, or if the error records itself;
    otherwise roll back. The session is closed either way."""
    try:
        keep = error is None or (isinstance(error, DomainError) and error.keep_writes)
        (session.commit if keep else session.rollback)()
    finally:
        session.close()


def attempt(session: Session, work: Callable[[], T]) -> T | DomainError:
    """Run ``work`` inside a savepoint of the session's transaction: its writes stand if
    it returns; a ``DomainError`` undoes them (but a refusal that records itself keeps
    its record) and is returned, for a page to show with the form. The transaction
    itself is committed by its owner (``transaction``, or the request's session), so a
    route never commits or rolls back."""
    savepoint = session.begin_nested()
    try:
        done = work()
    except DomainError as error:
        (savepoint.commit if error.keep_writes else savepoint.rollback)()
        return error
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return done


#: Bound values per SQLite statement: the limit of SQLite before 3.32, so any build works.
_SQLITE_VALUES = 999


def write_rows(
    conn: Connection, table: str, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Bulk insert through the driver, inside the connection's transaction: COPY on
    PostgreSQL, multi-row INSERTs on SQLite (a third faster than executemany, and one
    step of the engine, so one release of the GIL, per chunk rather than per row).
    Several times faster than SQLAlchemy's own bulk insert; ``table`` and ``names``
    must be our identifiers, never input."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor()  # driver-specific: psycopg's copy(), sqlite3's execute
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Full chunks reuse one prepared statement (sqlite3 caches them by text).
            per = max(1, _SQLITE_VALUES // len(names))
            head = f"INSERT INTO {table} ({', '.join(names)}) VALUES "  # noqa: S608 - our names
            one = "(" + ", ".join("?" for _ in names) + ")"
            listed = rows if isinstance(rows, list) else list(rows)
            for start in range(0, len(listed), per):
                chunk = listed[start : start + per]
                values = list(chain.from_iterable(chunk))
                cursor.execute(head + ", ".join([one] * len(chunk)), values)
    finally:
        cursor.close()
