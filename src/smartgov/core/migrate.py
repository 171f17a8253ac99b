"""Running Alembic from code, so `smartgov db upgrade` needs no alembic.ini on disk."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def all_models_metadata() -> MetaData:
    """Every enabled capability's tables (the demo city's registers among them, which
    the migrations create), so the metadata is complete."""
    import smartgov.core.models  # noqa: F401
    from smartgov.core import capabilities
    from smartgov.core.db import Base

    for _capability, modules in capabilities.each("models"):
        for module in modules:
            capabilities.resolve(module)
    return Base.metadata


def version_locations() -> list[Path]:
    """The platform's history, then each enabled capability's own branch."""
    from smartgov.core import capabilities

    return [MIGRATIONS / "versions", *capabilities.folders("migrations")]


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(str(p) for p in version_locations())
    )
    # Zero-padded numeric revision files: 0001_foundation.py, 0002_...
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        step(config, revision)


def heads() -> list[str]:
    """The revisions a database holds when it is up to date: the newest of each
    branch, less those another branch's newest depends on (Alembic keeps only the
    dependent one in alembic_version)."""
    script = ScriptDirectory.from_config(alembic_config())
    return sorted(script.get_heads(consider_depends_on=True))


def current(engine: Engine) -> list[str]:
    """The revisions the database is at (one per branch); empty before the first."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())


def describe(revisions: list[str]) -> str:
    return ", ".join(revisions) or "nothing"
