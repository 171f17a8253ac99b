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
rules = lazy("smartgov.rules.service")

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


#: Residents who qualify for a service, so a newcomer sees an approval: an account
#: name and the service its resident is picked for.
RESIDENTS: list[tuple[str, str]] = [
    ("elder", "old-age-allowance"),
    ("jobseeker", "unemployment-insurance-benefit"),
    ("family", "minimum-living-allowance"),
]


@demo_app.command("accounts")
def demo_accounts() -> None:
    """Create one account per role for the demo city, and residents who qualify for
    some services and not others; print how to log in and what each may try."""
    settings = _settings("demo accounts share a known password")
    with transaction(make_sessionmaker(make_engine(settings))) as session:
        city.seed_organisation(session)
        person_id, enterprise_id = city.first_subjects(session)
        if person_id is None:
            fail("the registry is empty; run `smartgov demo city` first")
        for username, role, department in DEMO_ACCOUNTS:
            if session.scalar(select(User.id).where(User.username == username)):
                continue
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
        typer.echo("working out who qualifies for what, to pick the demo's residents ...")
        qualifies = city.qualifying(session, settings)
        taken = {person_id}
        for username, service_id in RESIDENTS:
            if session.scalar(select(User.id).where(User.username == username)):
                continue
            chosen = sorted(qualifies.get(service_id, set()) - taken)
            if not chosen:
                typer.echo(f"  (nobody in this city qualifies for {service_id}: no {username})")
                continue
            taken.add(chosen[0])
            users.create_user(session, username=username, password=DEMO_PASSWORD,
                              role=Role.citizen, display_name=f"Demo {username}",
                              person_id=chosen[0])  # fmt: skip
        residents = {u.username: u.person_id for u in session.scalars(
            select(User).where(User.role == Role.citizen.value))}  # fmt: skip
        ids = city.resident_ids(session, [p for p in residents.values() if p is not None])
        names = {sid: svc.definition.name.en
                 for sid, svc in rules.services(settings).services.items()}  # fmt: skip
        rows = [(u.username, u.role, u.department_code or "") for u in session.scalars(
            select(User).where(User.username.in_(
                [a for a, _r, _d in DEMO_ACCOUNTS] + [a for a, _s in RESIDENTS])
            ).order_by(User.role, User.username))]  # fmt: skip
    typer.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    typer.echo(
        f"  {'username':<16} {'role':<20} {'department':<18} {'resident ID':<20} qualifies for"
    )
    for username, kind, department in rows:
        person = residents.get(username)
        found = sorted(names.get(s, s) for s, people in qualifies.items() if person in people)
        typer.echo(f"  {username:<16} {kind:<20} {department:<18} "
                   f"{ids.get(person, '') if person else '':<20} "
                   f"{', '.join(found) if person else ''}".rstrip())  # fmt: skip
    typer.echo("A counter officer can look up any resident ID above at the counter.")


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
