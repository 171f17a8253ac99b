"""Alembic environment: runs against the engine smartgov's settings describe."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from smartgov.core.db import Base
from smartgov.core.migrate import all_models_metadata

config = context.config
target_metadata = all_models_metadata()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from smartgov.core.db import make_engine
    from smartgov.core.settings import load_settings

    engine = make_engine(load_settings())
    with engine.connect() as conn:
        _run(conn)
        conn.commit()

__all__ = ["Base"]
