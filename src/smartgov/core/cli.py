"""Commands for the database, accounts and deployment checks."""

from __future__ import annotations

import typer

from smartgov.core.commands import fail, settings_or_exit, with_account
from smartgov.core.roles import Role

# The modules behind the commands (the database, Alembic, argon2) are imported by the
# command that needs them, so `smartgov --help` answers without loading them.

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts and API tokens.", no_args_is_help=True)


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


@users_app.command("create")
def users_create(
    username: str = typer.Argument(..., help="Lowercase login name."),
    role: Role = typer.Option(..., help="One of the roles."),
    department: str = typer.Option(None, help="Department code, for staff."),
    person_id: int = typer.Option(None, help="Registry person, for a citizen."),
    enterprise_id: int = typer.Option(None, help="Registry enterprise, for its representative."),
    name: str = typer.Option(None, help="Display name."),
    email: str = typer.Option(None, help="Where notices go when the email channel is on."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="SMARTGOV_NEW_PASSWORD"
    ),
) -> None:
    """Create an account (the password is asked for, or read from SMARTGOV_NEW_PASSWORD)."""
    from smartgov.core.db import make_engine, make_sessionmaker, transaction
    from smartgov.core.errors import DomainError
    from smartgov.core.users import create_user

    factory = make_sessionmaker(make_engine(settings_or_exit()))
    try:
        with transaction(factory) as session:
            user = create_user(
                session,
                username=username,
                password=password,
                role=role,
                display_name=name,
                department_code=department,
                person_id=person_id,
                enterprise_id=enterprise_id,
                email=email,
            )
            typer.echo(f"created {user.username} ({user.role})")
    except DomainError as exc:
        fail(exc)


@users_app.command("list")
def users_list() -> None:
    """List accounts with their roles and departments."""
    from smartgov.core.db import make_engine, make_sessionmaker, transaction
    from smartgov.core.users import list_users

    factory = make_sessionmaker(make_engine(settings_or_exit()))
    with transaction(factory) as session:
        for user in list_users(session):
            typer.echo(f"{user.username:<20} {user.role:<20} {user.department_code or '-'}")


@users_app.command("token")
def users_token(
    username: str = typer.Argument(...),
    days: int = typer.Option(30, min=1, max=365, help="Days until it expires."),
) -> None:
    """Issue a bearer token for the API (printed once, stored only as a hash)."""
    from sqlalchemy import select

    from smartgov.core.db import make_engine, make_sessionmaker, transaction
    from smartgov.core.models import User
    from smartgov.core.users import issue_token

    factory = make_sessionmaker(make_engine(settings_or_exit()))
    with transaction(factory) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            fail(f"no account named {username!r}; see `smartgov users list`")
        token, _ = issue_token(session, user=user, name="cli", days=days)
    typer.echo(token)


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...)) -> None:
    """Disable an account: it cannot sign in, and its sessions and tokens end at once
    (a server process may serve a cached token for up to SMARTGOV_TOKEN_CACHE_SECONDS)."""
    from smartgov.core.users import set_active

    with_account(username, lambda s, u: f"disabled {set_active(s, u, False).username}")


@users_app.command("enable")
def users_enable(username: str = typer.Argument(...)) -> None:
    """Let a disabled account sign in again."""
    from smartgov.core.users import set_active

    with_account(username, lambda s, u: f"enabled {set_active(s, u, True).username}")


@users_app.command("revoke")
def users_revoke(username: str = typer.Argument(...)) -> None:
    """End every page session and revoke every API token of an account."""
    from smartgov.core.users import end_sessions

    with_account(username, lambda s, u: f"ended {end_sessions(s, u)} sessions and tokens")


@users_app.command("password")
def users_password(
    username: str = typer.Argument(...),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="SMARTGOV_NEW_PASSWORD"
    ),
) -> None:
    """Set a new password (asked for, or read from SMARTGOV_NEW_PASSWORD); the account's
    sessions and tokens end."""
    from smartgov.core.users import change_password

    with_account(
        username,
        lambda s, u: (
            f"password of {change_password(s, u, current=None, new=password).username} "
            "changed; its sessions and tokens ended"
        ),
    )


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
