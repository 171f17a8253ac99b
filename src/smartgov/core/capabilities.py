"""The capability registry: each capability declares itself in one ``Capability`` in its
package's ``__init__.py``, and the app, the command line, the migrations and the
deployment checks iterate over the enabled ones. Everything a capability offers is
named by its import path (``module`` or ``module:attribute``), so the registry, like
all of core, imports no capability: it loads what is asked for, when it is asked.

Adding a capability: a package with its ``CAPABILITY`` and one line in ``ENABLED``."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

#: The capabilities this platform runs, lowest first (a capability may use the ones
#: before it, through their ``service`` modules).
ENABLED = ("smartgov.ledger", "smartgov.accounts", "smartgov.exchange", "smartgov.rules",
           "smartgov.cases", "smartgov.demo")  # fmt: skip


@dataclass(frozen=True)
class NavEntry:
    """A link in every page's navigation, shown to those whose role holds
    ``permission`` (and, if ``roles`` is given, only to those roles)."""

    path: str
    label: str  # an English msgid (marked with N_ where declared)
    permission: str = "public"
    roles: tuple[str, ...] = ()
    order: int = 50  # where it stands among all capabilities' links, lowest first


@dataclass(frozen=True)
class Capability:
    name: str
    #: Modules that define its tables (for the migrations and the platform's tables).
    models: tuple[str, ...] = ()
    api: str | None = None  # an APIRouter, mounted under /api/v1
    pages: str | None = None  # an APIRouter of HTML pages
    templates: bool = False  # a templates/ folder beside its __init__.py
    static: bool = False  # a static/ folder beside it, served at /static/<name>/
    cli: str | None = None  # a Typer app, mounted as `smartgov <name>`
    commands: Mapping[str, str] = field(default_factory=dict)  # top-level commands
    checks: tuple[str, ...] = ()  # functions(settings) -> list[Finding] for `check`
    labels: str | None = None  # a mapping of codes to English msgids for pages
    #: For a consumer kind ("service"), a function(settings) -> {id: {"zh", "en"}}: how
    #: a page names a consumer of this kind (who used my data).
    consumer_names: Mapping[str, str] = field(default_factory=dict)
    #: Permissions of its own ("parks.read") and the roles that hold them; routes name
    #: them in ``require`` like core's. A permission nobody declared is held by no one.
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    navigation: tuple[NavEntry, ...] = ()
    #: A migrations/ folder beside its __init__.py: an Alembic branch of its own, whose
    #: first revision has no down_revision and names what it needs in ``depends_on``.
    migrations: bool = False
    #: Work the server runs while it is up, by name: functions(app state) -> a ``Job``,
    #: or None when the settings turn it off. Started in order, stopped in reverse.
    jobs: Mapping[str, str] = field(default_factory=dict)
    #: Functions(session, settings) -> a line to print: its part of the demo city, run
    #: by `smartgov demo city` after the registers and the exchange are set up.
    demo: tuple[str, ...] = ()
    package: str = ""  # set by ``enabled``


class Job(Protocol):
    """A capability's background work in the server (a worker, a schedule)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def resolve(path: str) -> Any:  # noqa: ANN401 - whatever the path names
    """The object ``module:attribute`` names, or the module itself."""
    module, _, attribute = path.partition(":")
    found = importlib.import_module(module)
    return getattr(found, attribute) if attribute else found


@cache
def enabled() -> tuple[Capability, ...]:
    """The enabled capabilities, in ``ENABLED`` order, each with its package set."""
    found = []
    for package in ENABLED:
        declared: Capability = importlib.import_module(package).CAPABILITY
        found.append(Capability(**{**declared.__dict__, "package": package}))
    return tuple(found)


def forget() -> None:
    """Read ``ENABLED`` afresh (a test that enables a capability of its own)."""
    enabled.cache_clear()
    granted.cache_clear()


@cache
def granted() -> dict[str, frozenset[str]]:
    """Every capability-declared permission with the roles that hold it (read once:
    every request asks)."""
    found: dict[str, set[str]] = {}
    for _capability, declared in each("permissions"):
        for permission, roles in declared.items():
            found.setdefault(permission, set()).update(roles)
    return {p: frozenset(r) for p, r in found.items()}


def folders(kind: str) -> list[Path]:
    """Every enabled capability's folder ``kind`` ("templates", "migrations") beside
    its __init__.py, for those that declare one."""
    return [
        Path(importlib.import_module(c.package).__file__ or "").parent / kind
        for c in enabled()
        if getattr(c, kind)
    ]


def each(attribute: str) -> Iterator[tuple[Capability, Any]]:
    """Each enabled capability's ``attribute`` that is set, with its capability."""
    for capability in enabled():
        value = getattr(capability, attribute)
        if value:
            yield capability, value
