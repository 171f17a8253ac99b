"""The `smartgov` command: one sub-app per capability that has commands."""

from __future__ import annotations

import typer

from smartgov.cases.cli import cases_app, worker
from smartgov.core.cli import check, db_app, users_app
from smartgov.demo.cli import demo_app
from smartgov.exchange.cli import exchange_app
from smartgov.ledger.cli import ledger_app
from smartgov.rules.cli import rules_app, simulate
from smartgov.web.cli import serve

app = typer.Typer(
    name="smartgov",
    help="smartgov: AI-assisted public services that stay accountable.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,  # tracebacks may hold personal data: keep them plain
    add_completion=False,
)
app.command("serve")(serve)
app.command("check")(check)
app.command("simulate")(simulate)
app.command("worker")(worker)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(rules_app, name="rules")
app.add_typer(ledger_app, name="ledger")
app.add_typer(exchange_app, name="exchange")
app.add_typer(cases_app, name="cases")
app.add_typer(demo_app, name="demo")


def main() -> None:
    app()
