"""Commands for the database, accounts and deployment checks."""

from __future__ import annotations

import typer

from smartgov.core.commands import settings_or_exit

# The modules behind the commands (the database, Alembic, argon2) are imported by the
# command that needs them, so `smartgov --help` answers without loading them.

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("heads", help="Target revision (every branch's newest)."),
) -> None:
    """Bring the database schema up to date (creates the SQLite file if needed)."""
    from smartgov.core import migrate
    from smartgov.core.db import make_engine

    engine = make_engine(settings_or_exit())
    migrate.upgrade(engine, revision)
    typer.echo(f"database at revision {migrate.describe(migrate.current(engine))}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    from smartgov.core import migrate
    from smartgov.core.db import make_engine

    typer.echo(", ".join(migrate.current(make_engine(settings_or_exit()))) or "empty")


def check() -> None:
    """Check the deployment and print coded warnings; exits 1 on any error."""
    from smartgov.core.db import make_engine
    from smartgov.core.deployment import run_checks

    settings = settings_or_exit()
    findings = run_checks(settings, make_engine(settings))
    for finding in findings:
        typer.echo(str(finding))
    if not findings:
        typer.echo("no problems found")
    if any(f.level == "error" for f in findings):
        raise typer.Exit(1)
