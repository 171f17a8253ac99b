"""Rules commands: list, check, test and decide with services; simulate reforms."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

from smartgov.core.commands import fail, settings_or_exit
from smartgov.core.errors import DomainError
from smartgov.core.i18n import supported
from smartgov.rules.permissions import RULES_SIMULATE

rules_app = typer.Typer(help="Services as rules: check, test, decide.", no_args_is_help=True)

SERVICE = typer.Argument(..., help="Service id, the name of its folder under the services dir.")
ON = typer.Option(None, "--on", help="Decision day, YYYY-MM-DD; default today.")
LANG = typer.Option("", "--lang", help="zh-Hans or en; default SMARTGOV_LANGUAGE.")


def _language(lang: str) -> str:
    if lang and not supported(lang):
        fail("--lang must be zh-Hans or en")
    return lang or settings_or_exit().language


def _day(on: str | None) -> date:
    if on is None:
        from smartgov.core.clock import today

        return today()
    try:
        return date.fromisoformat(on)
    except ValueError:
        fail(f"--on: `{on}` is not a date; write YYYY-MM-DD")


def _service(service_id: str) -> Any:
    from smartgov.rules.service import get_service, services

    settings = settings_or_exit()
    catalogue = services(settings)
    if service_id in catalogue.problems:
        for problem in catalogue.problems[service_id]:
            typer.echo(str(problem), err=True)
        fail(f"service `{service_id}` does not load; fix the problems above")
    try:
        return get_service(settings, service_id)
    except DomainError as exc:
        known = ", ".join(catalogue.services) or "none"
        fail(f"{exc.message}; services: {known}")


@rules_app.command("list")
def list_services() -> None:
    """The services in the services folder, with version, unit and risk class."""
    from smartgov.rules.service import services

    catalogue = services(settings_or_exit())
    for sid, service in catalogue.services.items():
        d = service.definition
        typer.echo(f"{sid:34} {d.version:10} {d.unit:10} {d.risk:12} {d.name.en}")
    for sid in catalogue.problems:
        typer.echo(f"{sid:34} does not load (smartgov rules check {sid})")


@rules_app.command("check")
def check(service_id: str = typer.Argument(None, help="One service; default all.")) -> None:
    """Static checks before publication: names, types, cycles, table overlaps and gaps."""
    from smartgov.rules.service import check_services

    root = settings_or_exit().services_dir
    try:
        checked, problems = check_services(root, service_id)
    except DomainError as exc:
        fail(exc)
    for problem in problems:
        typer.echo(f"{problem} ({problem.severity})")
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    typer.echo(f"{len(checked)} services checked: {errors} errors, {warnings} warnings")
    if errors or not checked:
        raise typer.Exit(1)


@rules_app.command("test")
def test(service_id: str = typer.Argument(None, help="One service; default all.")) -> None:
    """Run the YAML test cases beside each service."""
    from smartgov.rules.service import services, test_services

    catalogue = services(settings_or_exit())
    if service_id is not None:
        _service(service_id)
    results = test_services(catalogue, service_id)
    for result in results:
        typer.echo(str(result))
    failed = [r for r in results if not r.passed]
    typer.echo(f"{len(results)} cases: {len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or catalogue.problems or not results:
        for sid in catalogue.problems:
            typer.echo(f"{sid} does not load; run `smartgov rules check {sid}`", err=True)
        raise typer.Exit(1)


@rules_app.command("decide")
def decide(
    service_id: str = SERVICE,
    facts: str = typer.Option(..., help="Facts as JSON, a JSON file, or - for standard input."),
    on: str = ON,
    as_json: bool = typer.Option(False, "--json", help="Print the decision and trace as JSON."),
    lang: str = LANG,
) -> None:
    """Decide one case from facts and explain why."""
    from smartgov.rules.service import decide as run_decision
    from smartgov.rules.service import decision_payload

    service = _service(service_id)
    language = _language(lang)
    data = _read_facts(facts)
    try:
        decision = run_decision(service, data, on=_day(on))
    except DomainError as exc:
        fail(exc)
    payload = decision_payload(decision, language)
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(payload["explanation"])


def _read_facts(text: str) -> dict[str, Any]:
    if text == "-":
        raw = sys.stdin.read()
    elif text.lstrip().startswith("{"):
        raw = text
    else:
        path = Path(text)
        if not path.is_file():
            fail(f"--facts: no such file `{text}`; give JSON, a JSON file or -")
        raw = path.read_text(encoding="utf-8")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"--facts is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(data, dict):
        fail("--facts must be a JSON object of input names to values")
    return data


@rules_app.command("sync-grants")
def sync_grants() -> None:
    """Ask, for each published service, for exactly the registry fields its rules read
    (the keeping departments approve the requests: `smartgov exchange approve`); revoke
    what they no longer read. Run after publishing or changing services."""
    from smartgov.core.db import make_engine, make_sessionmaker, transaction
    from smartgov.rules import service

    settings = settings_or_exit()
    try:
        with transaction(make_sessionmaker(make_engine(settings))) as session:
            made = service.sync_grants(session, settings)
    except DomainError as exc:
        fail(exc)
    for service_id, count in made.items():
        typer.echo(f"{service_id}: {f'{count} grant requests made' if count else 'unchanged'}")


@rules_app.command("schema")
def schema(
    output: Path = typer.Option(None, help="Write to this file instead of standard output."),
) -> None:
    """The JSON Schema of service definitions (for editors and reviews)."""
    from smartgov.rules.format_schema import service_schema

    text = json.dumps(service_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")


def simulate(
    service_id: str = SERVICE,
    reform: Path = typer.Option(..., help="Reform file (YAML): parameter changes, variables."),
    on: str = ON,
    population: Path = typer.Option(
        None, help="Parquet or CSV population; default the registries in the database."
    ),
    analyst: str = typer.Option(
        None,
        help="With the registries: the analyst account whose grants and privacy "
        "allowances the simulation uses.",
    ),
    epsilon: float = typer.Option(
        None, help="With the registries: privacy spent on each dataset read (default 0.5)."
    ),
    cost_bound: float = typer.Option(
        None,
        help="With the registries: the most one subject's yearly cost counts for (default 50000).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    chart: Path = typer.Option(None, help="Write the charts to this PNG or SVG file."),
    html: Path = typer.Option(None, help="Write a self-contained HTML report here."),
    lang: str = LANG,
) -> None:
    """Compare a reform with today's rules over the population."""
    from sqlalchemy import select

    from smartgov.core.db import make_engine, make_sessionmaker, transaction
    from smartgov.core.models import User
    from smartgov.core.roles import allows
    from smartgov.rules import report
    from smartgov.rules import simulate as sim
    from smartgov.rules.service import LoadError, simulate_reform, simulate_registry

    service = _service(service_id)
    language = _language(lang)
    day = _day(on)
    if not reform.is_file():
        fail(f"--reform: no such file `{reform}`")
    if population is None and analyst is None:
        fail("name the analyst (--analyst NAME) to simulate over the registries, or give "
             "your own population (--population FILE)")  # fmt: skip
    try:
        if population is not None:
            comparison, setup = simulate_reform(service, reform, population, on=day)
        else:
            settings = settings_or_exit()
            with transaction(make_sessionmaker(make_engine(settings))) as session:
                user = session.scalar(select(User).where(User.username == analyst))
                if user is None or not allows(user.role, RULES_SIMULATE):
                    fail(f"--analyst: no analyst account named {analyst!r}; see "
                         "`smartgov users list`")  # fmt: skip
                comparison, setup = simulate_registry(
                    session, settings, user, service, reform, on=day,
                    epsilon=sim.EPSILON if epsilon is None else epsilon,
                    cost_bound=sim.COST_BOUND if cost_bound is None else cost_bound,
                )  # fmt: skip
    except LoadError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        fail("the reform cannot be applied; fix the problems above")
    except DomainError as exc:
        fail(exc)
    if as_json:
        typer.echo(
            json.dumps(
                {**comparison.as_dict(), "setup_seconds": round(setup, 4)},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        typer.echo(report.text_table(comparison, language))
        typer.echo(
            f"reform set up in {setup * 1000:.1f} ms; simulated in {comparison.seconds:.2f} s"
        )
    if chart is not None:
        report.write_chart(comparison, chart, language)
        typer.echo(f"wrote {chart}")
    if html is not None:
        html.write_text(report.html_page(comparison, language), encoding="utf-8")
        typer.echo(f"wrote {html}")
