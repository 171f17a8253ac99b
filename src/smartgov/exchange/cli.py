"""Registry commands: building the demo city."""

from __future__ import annotations

import typer

from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.errors import DomainError
from smartgov.exchange.service import generate_city, registry_counts
from smartgov.runtime import fail, settings_or_exit


def demo_city(
    people: int = typer.Option(20_000, min=1, max=100_000_000, help="Number of residents."),
    enterprises: int = typer.Option(2_000, min=0, max=10_000_000, help="Number of enterprises."),
    seed: int = typer.Option(1, min=0, help="Same seed, same city."),
    replace: bool = typer.Option(False, help="Replace a city already in the registries."),
    if_empty: bool = typer.Option(False, help="Do nothing if a city is already there."),
) -> None:
    """Generate a deterministic synthetic city into the registries (one transaction)."""
    engine = make_engine(settings_or_exit())
    if if_empty:
        with transaction(make_sessionmaker(engine)) as session:
            counts = registry_counts(session)
        if counts["people"]:
            typer.echo(f"registries already hold {counts['people']:,} people; kept as they are")
            return
    try:
        report = generate_city(
            engine, people=people, enterprises=enterprises, seed=seed, replace=replace
        )
    except DomainError as exc:
        fail(exc)
    typer.echo(
        f"{report.people:,} people in {report.households:,} households and "
        f"{report.enterprises:,} enterprises in {report.seconds:.1f} s "
        f"({report.people_per_second:,.0f} people/s)"
    )
