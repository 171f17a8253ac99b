from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from smartgov.core import migrate


def test_it_has_exactly_one_head() -> None:
    assert len(migrate.heads()) == 1


def test_it_names_migration_files_with_zero_padded_numbers() -> None:
    files = sorted(p.name for p in (migrate.MIGRATIONS / "versions").glob("*.py"))
    files = [f for f in files if f != "__init__.py"]
    assert files and all(f[:4].isdigit() and f[4] == "_" for f in files)


def test_it_leaves_no_model_change_without_a_migration(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), migrate.all_models_metadata())
    assert diff == []


def test_it_upgrades_to_head(engine: Engine) -> None:
    assert migrate.current(engine) == migrate.heads()
