"""Checkpoints on a schedule: every few seconds while the log grows, the server (and
`smartgov worker`) checks the new entries and signs the log's size. Nobody gets a
checkpoint signed on demand, so an edit to the unsigned tail has seconds, not days, to
go unseen, and is refused at the next signing if a stored subtree already covers it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.db import transaction
from smartgov.ledger import service
from smartgov.ledger.keys import Signer

log = logging.getLogger(__name__)


class Checkpointer:
    """Signs in a thread every ``seconds``; several processes may run one (each size is
    signed once: the second signer finds it taken)."""

    def __init__(self, factory: sessionmaker[Session], signer: Signer, seconds: float) -> None:
        self._factory, self._signer, self._seconds = factory, signer, seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: The latest refusal, for status pages and tests; None while the log checks out.
        self.problem: str | None = None

    def tick(self) -> int | None:
        """Sign once if the log grew; the signed size, or None if it refused or the log
        is empty. A refusal is logged (positions only) and tried again next time."""
        try:
            with transaction(self._factory) as session:
                signed = service.sign(session, self._signer)
                at = None if signed is None else signed.size
        except service.LogTampered as exc:
            self.problem = str(exc)
            log.error("ledger: not signing a checkpoint: %s", exc)
            return None
        self.problem = None
        return at

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - a database hiccup; the next tick tries again
                # The kind only: a database error's message can quote the statement's values.
                log.error("ledger: signing a checkpoint failed (%s)", type(exc).__name__)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ledger-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)


def in_server(state: Any) -> Checkpointer | None:  # noqa: ANN401 - the app's state
    """The server's checkpoint schedule (a capability job), unless turned off."""
    settings = state.settings
    if not settings.checkpoint_seconds:
        return None
    return Checkpointer(state.sessionmaker, state.signer, settings.checkpoint_seconds)
