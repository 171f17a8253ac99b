"""One writer at a time, queued by smartgov rather than by SQLite.

SQLite lets one connection write at a time; the others wait in its busy handler, which
sleeps in growing steps (1, 2, 5, 10 ... 100 ms) and retries. Under load that makes
writers miss their turn again and again: latency jumps to seconds while the database
sits idle between retries. Here every connection to the same file takes a lock before
its first write and gives it back when its transaction ends:

* within a process, a thread lock, so waiting writers are woken the moment it is free;
* between processes (``smartgov serve --workers 2``, a separate ``smartgov worker``), an
  advisory file lock beside the database, tried every millisecond at most.

The locks are taken with a timeout: if they are not free within it (a transaction that
writes and then waits on another writer of the same process would otherwise wait for
ever), the statement goes ahead and SQLite's busy handling decides."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

try:
    import fcntl
except ImportError:  # Windows: the processes meet at SQLite's own lock only
    fcntl = None  # type: ignore[assignment]

WAIT = 5.0  # seconds, as SQLite's busy_timeout
_LOCKS: dict[str, tuple[threading.Lock, FileLock | None]] = {}
_GUARD = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


class FileLock:
    """The advisory lock other processes see: ``flock`` on ``<database>-writer``. One
    open file per process (a forked child opens its own, or it would share the
    parent's lock); the thread lock already keeps the process's own threads in turn."""

    def __init__(self, database: str) -> None:
        self.path = database + "-writer"
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, deadline: float) -> bool:
        """Take the lock, retrying until ``deadline`` (monotonic seconds)."""
        fd, pause = self._file(), 0.00005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.001)

    def release(self) -> None:
        fcntl.flock(self._file(), fcntl.LOCK_UN)


def _locks_for(database: str) -> tuple[threading.Lock, FileLock | None]:
    """The process's locks for one database file, shared by all its engines."""
    with _GUARD:
        if database not in _LOCKS:
            # An in-memory database is one connection's own: no other process sees it.
            visible = fcntl is not None and database not in ("", ":memory:")
            _LOCKS[database] = (threading.Lock(), FileLock(database) if visible else None)
        return _LOCKS[database]


def install(engine: Engine) -> None:
    lock, shared = _locks_for(engine.url.database or "")

    def release(info: dict[str, Any]) -> None:
        held = info.pop("write_lock", None)
        if held == "file" and shared is not None:
            shared.release()
        if held:
            lock.release()

    def take(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        info = conn.info
        if "write_lock" not in info and statement.lstrip().upper().startswith(_WRITES):
            deadline = time.monotonic() + WAIT
            if not lock.acquire(timeout=WAIT):
                info["write_lock"] = False
            elif shared is not None and shared.acquire(deadline):
                info["write_lock"] = "file"
            else:
                info["write_lock"] = "thread"

    def give(conn: Any, *_: Any) -> None:
        release(conn.info)

    def give_back(_dbapi: Any, record: Any, *_: Any) -> None:
        release(record.info)  # a connection returned without commit or rollback

    event.listen(engine, "before_cursor_execute", take)
    event.listen(engine, "commit", give)
    event.listen(engine, "rollback", give)
    event.listen(engine, "checkin", give_back)
