"""Group commit: records from concurrent requests are appended by one thread, in one
transaction and one flush to disk per batch, and each caller waits until its own
record is durable. Under load this turns hundreds of small transactions that queue on
the log's head into a few large ones; alone, a record waits for nothing but itself."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.db import transaction

#: Work to do in the batch's transaction once the record has its position, such as
#: an index row that points at it.
After = Callable[[Session, int], None]


@dataclass
class _Item:
    record: Mapping[str, Any]
    after: After | None
    done: Future[int] = field(default_factory=Future)


class Writer:
    def __init__(self, factory: sessionmaker[Session], max_batch: int = 1000) -> None:
        self._factory = factory
        self._max = max_batch
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(
        self, kind: str, body: Mapping[str, Any], after: After | None = None, timeout: float = 30
    ) -> int:
        """Append one record and return its position once it is committed."""
        self._start()
        item = _Item({**body, "kind": kind}, after)
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
                    for item, seq in zip(items, positions, strict=True):
                        if item.after is not None:
                            item.after(session, seq)
            except BaseException as exc:  # noqa: BLE001 - every waiting caller must hear of it
                for item in items:
                    item.done.set_exception(exc)
                continue
            for item, seq in zip(items, positions, strict=True):
                item.done.set_result(seq)
