"""One writer at a time, queued in the process rather than by SQLite.

SQLite lets one connection write at a time; the others wait in its busy handler, which
sleeps in growing steps (1, 2, 5, 10 ... 100 ms) and retries. Under load that makes
writers miss their turn again and again: latency jumps to seconds while the database
sits idle between retries. Here every connection of the process to the same file
takes a lock before its first write and gives it back when its transaction ends, so
waiting writers are woken the moment it is free. Other processes on the same file
still meet at SQLite's own lock.

The lock is taken with a timeout: if it is not free within it (a transaction that
writes and then waits on another writer of the same process would otherwise wait for
ever), the statement goes ahead and SQLite's busy handling decides."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, event

WAIT = 5.0  # seconds, as SQLite's busy_timeout
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


def _lock_for(path: str) -> threading.Lock:
    with _GUARD:
        return _LOCKS.setdefault(path, threading.Lock())


def install(engine: Engine) -> None:
    lock = _lock_for(str(engine.url.database))

    def release(info: dict[str, Any]) -> None:
        if info.pop("write_lock", False):
            lock.release()

    def take(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        info = conn.info
        if "write_lock" not in info and statement.lstrip().upper().startswith(_WRITES):
            info["write_lock"] = lock.acquire(timeout=WAIT)

    def give(conn: Any, *_: Any) -> None:
        release(conn.info)

    def give_back(_dbapi: Any, record: Any, *_: Any) -> None:
        release(record.info)  # a connection returned without commit or rollback

    event.listen(engine, "before_cursor_execute", take)
    event.listen(engine, "commit", give)
    event.listen(engine, "rollback", give)
    event.listen(engine, "checkin", give_back)
