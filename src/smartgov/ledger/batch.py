"""Group commit: records from concurrent requests are appended by one thread, in one
transaction and one flush to disk per batch, and each caller waits until its own
record is durable. Under load this turns hundreds of small transactions that queue on
the log's head into a few large ones; alone, a record waits for nothing but itself."""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.db import transaction

#: A row that points at the record (an index entry), inserted into ``table`` in the
#: same transaction with ``seq`` set to the record's position.
Follow = tuple[Table, dict[str, Any]]


def insert_followers(session: Session, items: Sequence[tuple[int, Follow | None]]) -> None:
    """Insert the rows that follow records, one statement per table for the batch."""
    by_table: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for seq, follow in items:
        if follow is not None:
            table, row = follow
            by_table[table].append({**row, "seq": seq})
    for table, rows in by_table.items():
        session.connection().execute(insert(table), rows)


@dataclass
class _Item:
    record: Mapping[str, Any]
    follow: Follow | None
    done: Future[int] = field(default_factory=Future)


class Writer:
    def __init__(self, factory: sessionmaker[Session], max_batch: int = 1000) -> None:
        self._factory = factory
        self._max = max_batch
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(
        self, kind: str, body: Mapping[str, Any], follow: Follow | None = None, timeout: float = 30
    ) -> int:
        """Append one record (and the row that follows it) and return its position once
        it is committed."""
        self._start()
        item = _Item({**body, "kind": kind}, follow)
        self._queue.put(item)
        return item.done.result(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        from smartgov.ledger.service import append  # the service builds writers, not back

        while True:
            items = [self._queue.get()]
            while len(items) < self._max:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with transaction(self._factory) as session:
                    positions = append(session, [i.record for i in items])
                    follows = [i.follow for i in items]
                    insert_followers(session, list(zip(positions, follows, strict=True)))
            except BaseException as exc:  # noqa: BLE001 - every waiting caller must hear of it
                for item in items:
                    item.done.set_exception(exc)
                continue
            for item, seq in zip(items, positions, strict=True):
                item.done.set_result(seq)


class Deferred:
    """Records held until ``flush``, which appends them in one go in the caller's
    transaction. A decision worker's batch reads and decides many cases and appends
    everything at its end, so the log's head is locked for one append, not the batch.
    Called like a recorder, it returns no position: that is known at ``flush``."""

    def __init__(self) -> None:
        self._items: list[_Item] = []

    def __call__(
        self, session: Session, kind: str, body: Mapping[str, Any], follow: Follow | None = None
    ) -> None:
        self.add(kind, body, follow)

    def add(self, kind: str, body: Mapping[str, Any], follow: Follow | None = None) -> int:
        """Hold a record; returns its place in this batch (see ``flush``)."""
        self._items.append(_Item({**body, "kind": kind}, follow))
        return len(self._items) - 1

    def flush(self, session: Session) -> list[int]:
        """Append every held record; their log positions, in the order they were added."""
        from smartgov.ledger.service import append

        items, self._items = self._items, []
        positions = append(session, [i.record for i in items])
        insert_followers(session, list(zip(positions, [i.follow for i in items], strict=True)))
        return positions
