"""The writer lock's cross-process half: a second process waits on the file lock the
first holds, and gets it the moment the first lets go."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from smartgov.core import sqlite_writer

pytestmark = pytest.mark.skipif(sqlite_writer.fcntl is None, reason="no flock on this system")

HOLDER = """
import sys, time
from smartgov.core.sqlite_writer import FileLock
lock = FileLock(sys.argv[1])
assert lock.acquire(time.monotonic() + 5)
print("held", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
sys.stdin.readline()
"""


def test_a_second_process_waits_for_the_writer_lock(tmp_path: Path) -> None:
    database = str(tmp_path / "city.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        mine = sqlite_writer.FileLock(database)
        assert not mine.acquire(time.monotonic() + 0.05)  # the other process holds it
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert mine.acquire(time.monotonic() + 5)
        mine.release()
    finally:
        holder.kill()
        holder.wait()


def test_an_engine_takes_and_gives_back_both_locks(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'city.db'}")
    sqlite_writer.install(engine)
    other = sqlite_writer.FileLock(str(tmp_path / "city.db"))
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))  # not a write the lock waits for
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert conn.info["write_lock"] == "file"
        assert not other.acquire(time.monotonic() + 0.05)
        conn.commit()
    assert other.acquire(time.monotonic() + 1)  # given back at commit
    other.release()
