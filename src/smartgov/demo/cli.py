"""`smartgov demo`: build the demo city, step by step as `make demo` runs them. Every
command is refused in production: the city, its accounts and its past are made up."""

from __future__ import annotations

import typer
from sqlalchemy import select

from smartgov.core import capabilities
from smartgov.core.commands import fail, lazy, settings_or_exit
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.errors import DomainError
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.settings import Environment, Settings

# Loaded when a command runs: `smartgov --help` reads none of them.
users = lazy("smartgov.core.users")
city = lazy("smartgov.demo.city")
past = lazy("smartgov.demo.past")
publish = lazy("smartgov.demo.publish")
registries = lazy("smartgov.demo.registries")

demo_app = typer.Typer(
    help="The demo city: registers, datasets, grants, accounts and a past (not in production).",
    no_args_is_help=True,
)

#: Shared by every demo account; accepted only outside production.
DEMO_PASSWORD = "smartgov-demo"  # noqa: S105 - documented demo credential

DEMO_ACCOUNTS: list[tuple[str, Role, str | None]] = [
    ("citizen", Role.citizen, None),
    ("enterprise", Role.enterprise, None),
    ("counter", Role.counter_officer, "civil_affairs"),
    ("officer", Role.department_officer, "public_security"),
    ("reviewer", Role.reviewer, "civil_affairs"),
    ("reviewer-hrss", Role.reviewer, "hrss"),
    ("reviewer-health", Role.reviewer, "health_insurance"),
    ("auditor", Role.auditor, None),
    ("analyst", Role.analyst, None),
    ("admin", Role.administrator, "civil_affairs"),
]


def _settings(what: str) -> Settings:
    settings = settings_or_exit()
    if settings.environment is Environment.production:
        fail(f"{what}; it is refused in production")
    return settings


@demo_app.command("city")
def demo_city(
    people: int = typer.Option(20_000, min=1, max=100_000_000, help="Number of residents."),
    enterprises: int = typer.Option(2_000, min=0, max=10_000_000, help="Number of enterprises."),
    seed: int = typer.Option(1, min=0, help="Same seed, same city."),
    replace: bool = typer.Option(False, help="Replace a city already in the registries."),
    if_empty: bool = typer.Option(False, help="Do nothing if a city is already there."),
) -> None:
    """Generate a deterministic synthetic city into the registries (one transaction),
    and publish its departments' datasets and the demo roles' grants to the exchange."""
    settings = _settings("the demo city is made-up data")
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        counts = registries.REGISTRIES.counts(session)
    if if_empty and counts["people"]:
        typer.echo(f"registries already hold {counts['people']:,} people; kept as they are")
    else:
        try:
            report = city.generate(
                engine, people=people, enterprises=enterprises, seed=seed, replace=replace
            )
        except DomainError as exc:
            fail(exc)
        typer.echo(
            f"{report.people:,} people in {report.households:,} households and "
            f"{report.enterprises:,} enterprises in {report.seconds:.1f} s "
            f"({report.people_per_second:,.0f} people/s)"
        )
    with transaction(factory) as session:
        datasets, made = publish.set_up(session, settings)
    typer.echo(f"exchange: {datasets} datasets registered or updated, {made} role grants made")
    # Each capability's own part of the demo (its steps, in the order enabled).
    for capability, steps in capabilities.each("demo"):
        for path in steps:
            with transaction(factory) as session:
                said = capabilities.resolve(path)(session, settings)
            typer.echo(f"{capability.name}: {said}")


@demo_app.command("approve-requests")
def approve_requests() -> None:
    """Approve the services' pending grant requests as the demo city's departments
    would (recorded as decided by demo:<department>); run after `smartgov rules
    sync-grants`."""
    settings = _settings("the demo's departments approve nothing in a real city")
    try:
        with transaction(make_sessionmaker(make_engine(settings))) as session:
            approved = publish.approve_requests(session)
    except DomainError as exc:
        fail(exc)
    typer.echo(f"{approved} requests approved as the demo city's departments (demo:<code>)")


@demo_app.command("accounts")
def demo_accounts() -> None:
    """Create one account per role for the demo city and print how to log in."""
    settings = _settings("demo accounts share a known password")
    with transaction(make_sessionmaker(make_engine(settings))) as session:
        city.seed_organisation(session)
        person_id, enterprise_id = city.first_subjects(session)
        for username, role, department in DEMO_ACCOUNTS:
            if session.scalar(select(User.id).where(User.username == username)):
                continue
            if role is Role.citizen and person_id is None:
                fail("the registry is empty; run `smartgov demo city` first")
            users.create_user(
                session,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=f"Demo {role.value.replace('_', ' ')}",
                department_code=department,
                person_id=person_id if role is Role.citizen else None,
                enterprise_id=enterprise_id if role is Role.enterprise else None,
            )
    typer.echo("Demo accounts (password for all: " + DEMO_PASSWORD + "):")
    for username, role, department in DEMO_ACCOUNTS:
        typer.echo(f"  {username:<16} {role.value:<20} {department or ''}")


@demo_app.command("history")
def demo_history(
    per_service: int = typer.Option(800, min=40, max=100_000, help="Past cases per service."),
    if_empty: bool = typer.Option(False, help="Do nothing if there are cases already."),
) -> None:
    """Give the demo city a past: applications decided by its reviewers, and each
    service's second-check model trained on them."""
    settings = _settings("the demo history is made-up data")
    factory = make_sessionmaker(make_engine(settings))
    with factory() as session:
        if if_empty and past.has_history(session):
            typer.echo("cases already exist; kept as they are")
            return
    try:
        made = past.history(factory, settings, per_service=per_service, progress=typer.echo)
    except DomainError as exc:
        fail(exc)
    for item in made:
        accuracy = "-" if item.accuracy is None else f"{item.accuracy:.3f}"
        model = "no model" if item.model_version is None else f"model v{item.model_version}"
        typer.echo(f"{item.service}: {item.cases} past cases, {model}, accuracy {accuracy}")
