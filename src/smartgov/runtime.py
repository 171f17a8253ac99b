"""Helpers the CLI shares: settings that stop with one clear line, and failures."""

from __future__ import annotations

from typing import NoReturn

import typer

from smartgov.core.errors import DomainError
from smartgov.core.settings import ConfigError, Settings, load_settings


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def fail(problem: DomainError | str) -> NoReturn:
    if isinstance(problem, DomainError):
        typer.echo(f"error: {problem.message}", err=True)
        for field in problem.fields:
            typer.echo(f"  {field.field}: {field.text()}", err=True)
    else:
        typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(1)
