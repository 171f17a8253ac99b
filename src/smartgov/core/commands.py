"""What every command shares: settings that stop with one clear line, failures, and
acting on a named account."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import NoReturn

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.errors import DomainError
from smartgov.core.models import User
from smartgov.core.settings import ConfigError, Settings, load_settings


def settings_or_exit() -> Settings:
    """The settings, or one clear line per bad setting and exit code 2."""
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


def with_account(username: str, act: Callable[[Session, User], str]) -> None:
    """Run ``act`` on the account named ``username`` in one transaction and print what
    it says; a missing account or a refusal ends the command with a clear line."""
    factory = make_sessionmaker(make_engine(settings_or_exit()))
    try:
        with transaction(factory) as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                fail(f"no account named {username!r}; see `smartgov users list`")
            typer.echo(act(session, user))
    except DomainError as exc:
        fail(exc)


def lazy(name: str) -> ModuleType:
    """The module ``name``, executed on first use (the standard library's LazyLoader):
    a command module names what its commands use, and `smartgov --help`, which runs
    none of them, loads none of it."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
