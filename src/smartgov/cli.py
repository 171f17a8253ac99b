"""The `smartgov` command: core's and the web shell's commands, then each enabled
capability's (its sub-app, and any top-level commands it declares)."""

from __future__ import annotations

import typer

from smartgov.core import capabilities
from smartgov.core.cli import check, db_app
from smartgov.core.settings import ConfigError, load_settings
from smartgov.server.cli import serve

app = typer.Typer(
    name="smartgov",
    help="smartgov: AI-assisted public services that stay accountable.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,  # tracebacks may hold personal data: keep them plain
    add_completion=False,
)


@app.callback()
def _settings_plug_in() -> None:
    # Before any command: the settings, and the city's registries they name, or one
    # clear line per problem and exit code 2.
    from smartgov.exchange import registries  # not for `--help`: it loads the city's

    try:
        registries.load(load_settings().registries)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


app.command("serve")(serve)
app.command("check")(check)
app.add_typer(db_app, name="db")
for _capability, _commands in capabilities.each("commands"):
    for _name, _path in _commands.items():
        app.command(_name)(capabilities.resolve(_path))
for _capability, _path in capabilities.each("cli"):
    app.add_typer(capabilities.resolve(_path), name=_capability.name)


def main() -> None:
    app()
