"""Checkpoints on a schedule: the server signs while the log grows, and the schedule
refuses (and says why, without an entry's content) once the new entries were edited."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core import migrate
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.settings import Settings
from smartgov.ledger import keys, service
from smartgov.ledger.models import LedgerEntry
from smartgov.ledger.schedule import Checkpointer
from smartgov.ledger.verify import open_checkpoint
from smartgov.server.app import create_app


def test_a_tick_signs_growth_and_refuses_an_edited_tail(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/l.db"}))
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    signing = Checkpointer(factory, keys.from_settings(settings), 60)
    assert signing.tick() is None  # nothing to sign in an empty log
    with transaction(factory) as session:
        service.append(session, [{"kind": "test", "n": i} for i in range(5)])
    assert signing.tick() == 5
    with transaction(factory) as session:
        service.append(session, [{"kind": "test", "secret": "Alice", "n": i} for i in range(40)])
        session.execute(
            update(LedgerEntry).where(LedgerEntry.seq == 16).values(body='{"kind":"test"}')
        )
    with caplog.at_level(logging.ERROR, logger="smartgov.ledger.schedule"):
        assert signing.tick() is None
    assert signing.problem is not None and signing.problem.startswith("entries 16 to 31:")
    assert "not signing" in caplog.text and "Alice" not in caplog.text
    with transaction(factory) as session:
        assert service.latest_signed_size(session) == 5
    engine.dispose()


def test_the_server_signs_on_its_schedule(
    settings: Settings, factory: sessionmaker[Session], engine: object
) -> None:
    app = create_app(settings.model_copy(update={"checkpoint_seconds": 0.1}))
    verifier = keys.from_settings(settings).verifier
    with TestClient(app) as client:
        with transaction(factory) as session:
            at = service.append(session, [{"kind": "test", "n": "scheduled"}])[0] + 1
        deadline, signed = time.monotonic() + 20, 0
        while signed < at and time.monotonic() < deadline:  # no request asks for a signature
            time.sleep(0.05)
            answer = client.get("/api/v1/ledger/checkpoint")
            if answer.status_code == 200:  # 404 until the first checkpoint is signed
                signed = open_checkpoint(answer.text, verifier).size
        assert signed >= at
