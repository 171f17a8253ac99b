"""`smartgov users`: accounts and API tokens, from the server's command line. Every
change goes through the accounts service, so it is recorded in the ledger (by
"operator") and refused when it would leave no active administrator."""

from __future__ import annotations

import typer

from smartgov.core.commands import fail, lazy, settings_or_exit, with_account
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.errors import DomainError
from smartgov.core.roles import Role

# Loaded when a command runs: `smartgov --help` reads neither argon2 nor the ledger.
service = lazy("smartgov.accounts.service")

users_app = typer.Typer(help="Accounts and API tokens.", no_args_is_help=True)


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
    factory = make_sessionmaker(make_engine(settings_or_exit()))
    try:
        with transaction(factory) as session:
            user = service.create(
                session,
                None,
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
    with_account(
        username, lambda s, u: f"disabled {service.set_enabled(s, u, None, False).username}"
    )


@users_app.command("enable")
def users_enable(username: str = typer.Argument(...)) -> None:
    """Let a disabled account sign in again."""
    with_account(username, lambda s, u: f"enabled {service.set_enabled(s, u, None, True).username}")


@users_app.command("revoke")
def users_revoke(username: str = typer.Argument(...)) -> None:
    """End every page session and revoke every API token of an account."""
    with_account(
        username, lambda s, u: f"ended {service.end_all_sessions(s, u, None)} sessions and tokens"
    )


@users_app.command("password")
def users_password(
    username: str = typer.Argument(...),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="SMARTGOV_NEW_PASSWORD"
    ),
) -> None:
    """Set a new password (asked for, or read from SMARTGOV_NEW_PASSWORD); the account's
    sessions and tokens end."""
    with_account(
        username,
        lambda s, u: (
            f"password of {service.reset_password(s, u, None, password).username} "
            "changed; its sessions and tokens ended"
        ),
    )
