"""Migration 0006 takes the kind, leaf hash and time out of the entry's row; going
back computes them from the bodies, and nothing is lost either way. On a fresh
SQLite file, as the shared test database stays at the head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from smartgov.core import migrate
from smartgov.core.clock import aware
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.settings import Settings
from smartgov.ledger import service
from smartgov.ledger.verify import leaf_hash, root_of


def test_the_entry_columns_go_back_and_forth_without_loss(tmp_path: Path) -> None:
    engine = make_engine(Settings(environment="test", data_dir=tmp_path, secret_key="m" * 40))
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        service.append(session, [{"kind": "test", "n": i} for i in range(40)])
        root = service.root(session, 40)
        stamped = service.entry(session, 7)
        assert stamped is not None and stamped.time is not None

    migrate.downgrade(engine, "0005")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, body, leaf, created_at FROM ledger_entry ORDER BY seq")
        ).all()
    assert [r.kind for r in rows] == ["test"] * 40
    assert [bytes(r.leaf) for r in rows] == [leaf_hash(r.body.encode()) for r in rows]
    assert root_of([bytes(r.leaf) for r in rows]) == root

    migrate.upgrade(engine)
    with factory() as session:
        again = service.entry(session, 7)
        assert again is not None and again.time == stamped.time
        assert service.root(session, 40) == root
        # The time the old schema kept in its column comes back as the entry's time.
        assert again.created_at is not None and aware(again.created_at) == stamped.time
