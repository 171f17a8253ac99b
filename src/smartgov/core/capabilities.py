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
from typing import Any

#: The capabilities this platform runs, lowest first (a capability may use the ones
#: before it, through their ``service`` modules).
ENABLED = ("smartgov.ledger", "smartgov.exchange", "smartgov.rules", "smartgov.cases",
           "smartgov.demo")  # fmt: skip


@dataclass(frozen=True)
class Capability:
    name: str
    #: Modules that define its tables (for the migrations and the platform's tables).
    models: tuple[str, ...] = ()
    api: str | None = None  # an APIRouter, mounted under /api/v1
    pages: str | None = None  # an APIRouter of HTML pages
    templates: bool = False  # a templates/ folder beside its __init__.py
    cli: str | None = None  # a Typer app, mounted as `smartgov <name>`
    commands: Mapping[str, str] = field(default_factory=dict)  # top-level commands
    checks: tuple[str, ...] = ()  # functions(settings) -> list[Finding] for `check`
    labels: str | None = None  # a mapping of codes to English msgids for pages
    #: For a consumer kind ("service"), a function(settings) -> {id: {"zh", "en"}}: how
    #: a page names a consumer of this kind (who used my data).
    consumer_names: Mapping[str, str] = field(default_factory=dict)
    package: str = ""  # set by ``enabled``


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


def template_dirs() -> list[Path]:
    """Every enabled capability's templates folder."""
    return [
        Path(importlib.import_module(c.package).__file__ or "").parent / "templates"
        for c in enabled()
        if c.templates
    ]


def each(attribute: str) -> Iterator[tuple[Capability, Any]]:
    """Each enabled capability's ``attribute`` that is set, with its capability."""
    for capability in enabled():
        value = getattr(capability, attribute)
        if value:
            yield capability, value
