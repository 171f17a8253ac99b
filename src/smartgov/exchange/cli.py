"""Exchange commands: the catalogue, registry sources, grants and node keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from smartgov.core.commands import fail, lazy, settings_or_exit, with_account
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.errors import DomainError, Invalid, field_errors
from smartgov.core.i18n import N_

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from smartgov.core.models import User
    from smartgov.core.settings import Settings
    from smartgov.exchange.schemas import DatasetIn, GrantIn

# Loaded when a command runs: `smartgov --help` reads none of them.
yaml = lazy("yaml")
catalogue = lazy("smartgov.exchange.catalogue")
grants = lazy("smartgov.exchange.grants")
remote = lazy("smartgov.exchange.remote")
requests = lazy("smartgov.exchange.requests")
sources = lazy("smartgov.exchange.sources")
schemas = lazy("smartgov.exchange.schemas")

Spec = TypeVar("Spec", bound=BaseModel)
exchange_app = typer.Typer(
    help="The data exchange: catalogue, grants, node keys.", no_args_is_help=True
)


def _load(path: Path, model: type[Spec]) -> list[Spec]:
    """One or several specs from a YAML or JSON file, each checked field by field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        fail(f"cannot read {path}: {exc}")
    items = data if isinstance(data, list) else [data]
    specs = []
    for index, item in enumerate(items):
        try:
            specs.append(model.model_validate(item))
        except ValidationError as exc:
            prefix = f"[{index}]." if len(items) > 1 else ""
            problems = field_errors(exc.errors())
            for p in problems:
                p.field = prefix + p.field
            fail(Invalid(N_("Some fields are not valid."), problems))
    return specs


def _apply(path: Path, model: type[Spec], apply: Callable[[Session, Settings, Spec], str]) -> None:
    """Apply every spec of a file in one transaction, as the system: all or none."""
    settings = settings_or_exit()
    specs = _load(path, model)
    try:
        with transaction(make_sessionmaker(make_engine(settings))) as session:
            for spec in specs:
                typer.echo(apply(session, settings, spec))
    except DomainError as exc:
        fail(exc)


@exchange_app.command("register")
def register(
    file: Path = typer.Argument(..., help="YAML or JSON: one dataset or a list of them."),
) -> None:
    """Register (or replace) datasets in the catalogue, as the system administrator."""

    def one(session: Session, settings: Settings, spec: DatasetIn) -> str:
        catalogue.register(session, settings, spec, actor=None)
        return f"registered {spec.code} ({len(spec.fields)} fields)"

    _apply(file, schemas.DatasetIn, one)


@exchange_app.command("catalogue")
def list_catalogue() -> None:
    """List the datasets and their fields with their sensitivity."""
    settings = settings_or_exit()
    with transaction(make_sessionmaker(make_engine(settings))) as session:
        found = catalogue.datasets(session)
        listed = catalogue.fields_of(session, [d.code for d in found])
        for d in found:
            typer.echo(f"{d.code}  {d.department_code}  {d.unit}  {d.provider['kind']}")
            for f in listed[d.code]:
                mark = " identifier" if f.identifier else ""
                typer.echo(f"    {f.name:<32} {f.type:<8} {f.sensitivity}{mark}")


@exchange_app.command("grants")
def list_grants(
    ended: bool = typer.Option(False, help="Include revoked and expired grants."),
) -> None:
    """List grants: number, consumer, dataset, purpose, fields, expiry."""
    settings = settings_or_exit()
    with transaction(make_sessionmaker(make_engine(settings))) as session:
        for g in grants.listing(session, include_ended=ended):
            until = g.expires_at.date().isoformat() if g.expires_at else "-"
            state = " revoked" if g.revoked_at else ""
            typer.echo(
                f"{g.id:>5} {g.consumer_kind}:{g.consumer}  {g.dataset_code}  {g.purpose}  "
                f"until {until}{state}  {','.join(g.fields)}"
            )


@exchange_app.command("grant")
def grant(
    file: Path = typer.Argument(..., help="YAML or JSON: one grant or a list of them."),
) -> None:
    """Grant roles, users or peer nodes access, as the system administrator (logged)."""

    def one(session: Session, settings: Settings, spec: GrantIn) -> str:
        made = grants.create(session, spec, actor=None)
        return f"grant {made.id}: {spec.consumer_kind}:{spec.consumer} {spec.dataset}"

    _apply(file, schemas.GrantIn, one)


@exchange_app.command("revoke")
def revoke(grant_id: int = typer.Argument(..., help="The grant's number.")) -> None:
    """Revoke a grant at once (logged)."""
    settings = settings_or_exit()
    try:
        with transaction(make_sessionmaker(make_engine(settings))) as session:
            grants.revoke(session, grant_id, actor=None)
    except DomainError as exc:
        fail(exc)
    typer.echo(f"grant {grant_id} revoked")


@exchange_app.command("requests")
def list_requests(
    status: str = typer.Option("pending", help="pending, approved, refused, withdrawn or all."),
) -> None:
    """Grant requests of services, newest first."""
    settings = settings_or_exit()
    with transaction(make_sessionmaker(make_engine(settings))) as session:
        found = requests.listing(session, status=None if status == "all" else status)
        for r in found:
            typer.echo(f"{r.id:>5} {r.status:<9} {r.consumer:<32} {r.dataset_code:<28} "
                       f"{','.join(r.fields)}")  # fmt: skip


@exchange_app.command("approve")
def approve(
    request_id: int = typer.Argument(..., help="The request's number."),
    officer: str = typer.Option(..., help="The approving officer of the keeping department."),
    expires: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="When the grant ends."),
    review: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="When to look again."),
) -> None:
    """Approve a service's grant request, as an officer of the department keeping the data."""

    def decide(session: Session, officer_user: User) -> str:
        until = expires.replace(tzinfo=UTC)
        grant = requests.approve(
            session, request_id, actor=officer_user, expires_at=until, review_on=review.date()
        )
        return f"grant {grant.id} made"

    with_account(officer, decide)


@exchange_app.command("refuse")
def refuse(
    request_id: int = typer.Argument(..., help="The request's number."),
    officer: str = typer.Option(..., help="The refusing officer of the keeping department."),
    reason: str = typer.Option(..., help="Why, for the service's owners."),
) -> None:
    """Refuse a service's grant request, saying why."""

    def decide(session: Session, officer_user: User) -> str:
        refused = requests.refuse(session, request_id, actor=officer_user, reason=reason)
        return f"request {refused.id} refused"

    with_account(officer, decide)


sources_app = typer.Typer(
    help="Where registries are kept: the only tables, views and files datasets may read.",
    no_args_is_help=True,
)
exchange_app.add_typer(sources_app, name="sources")


@sources_app.command("declare")
def declare_source(
    name: str = typer.Argument(
        ..., help="A table or view, a file under registries/, or a peer's dataset code."
    ),
    department: str = typer.Option(..., help="The department whose registry it is."),
    kind: str = typer.Option("sql", help="sql (a table or view), file, or http (a peer)."),
    url: str = typer.Option(
        "",
        help="sql: a database URL without a password (empty: the city's own database); "
        "http: the peer node's address.",
    ),
) -> None:
    """Declare a registry source for a department, as the administrator (logged). The
    platform's own tables (accounts, cases, the ledger) can never be declared."""
    settings = settings_or_exit()
    try:
        with transaction(make_sessionmaker(make_engine(settings))) as session:
            made = sources.declare(
                session, kind=kind, name=name, department=department, url=url or None,
                actor=None,
            )  # fmt: skip
            typer.echo(f"source {made.id}: {kind} {name} declared for {department}")
    except DomainError as exc:
        fail(exc)


@sources_app.command("list")
def list_sources() -> None:
    """List declared registry sources: number, department, kind, name, remote or not."""
    settings = settings_or_exit()
    with transaction(make_sessionmaker(make_engine(settings))) as session:
        for s in sources.listing(session):
            where = " (another database)" if s.url else ""
            typer.echo(f"{s.id:>4} {s.department_code:<20} {s.kind:<5} {s.name}{where}")


@sources_app.command("withdraw")
def withdraw_source(source_id: int = typer.Argument(..., help="The source's number.")) -> None:
    """Withdraw a declaration no dataset reads any more (logged)."""
    settings = settings_or_exit()
    try:
        with transaction(make_sessionmaker(make_engine(settings))) as session:
            sources.withdraw(session, source_id, actor=None)
    except DomainError as exc:
        fail(exc)
    typer.echo(f"source {source_id} withdrawn")


@exchange_app.command("keygen")
def keygen() -> None:
    """Print a new node key for SMARTGOV_EXCHANGE_KEY (keep it secret); the public key
    for the peers' SMARTGOV_EXCHANGE_PEERS goes to standard error."""
    private, public = remote.generate()
    typer.echo(private)
    typer.echo(f"public key: {public}", err=True)


@exchange_app.command("node")
def node() -> None:
    """Print this node's name and public key, as peers enter it in their settings."""
    settings = settings_or_exit()
    typer.echo(json.dumps({settings.exchange_node: remote.public_text(remote.node_key(settings))}))
