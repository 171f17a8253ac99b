"""What a city plugs in: its registries as the platform sees them.

The platform keeps no registry of its own. The departments' data reach it through the
catalogue's datasets and their providers (``access``); what is left is what no dataset
read can answer, because it comes before the read: which fields a service may decide
on, who a resident ID or credit code stands for, which household a person lives in,
and what a citizen sees of their own entry. A city names its implementation of
``Registries`` in the setting ``SMARTGOV_REGISTRIES`` (``module:attribute``); the demo
city (``smartgov.demo.registries``) is the default. Nothing in the platform imports it."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Protocol, runtime_checkable

import pyarrow as pa
from sqlalchemy.orm import Session

from smartgov.core.deployment import Finding
from smartgov.core.settings import ConfigError, Settings, load_settings

Unit = Literal["person", "household", "enterprise"]
FieldType = Literal["integer", "number", "boolean", "date", "text"]
#: How much harm a disclosure does: public (published anyway), internal (staff only),
#: sensitive (masked on pages unless a grant reveals it), secret (never on a page).
Sensitivity = Literal["public", "internal", "sensitive", "secret"]
SENSITIVITIES: tuple[Sensitivity, ...] = ("public", "internal", "sensitive", "secret")
UNITS: tuple[Unit, ...] = ("person", "household", "enterprise")

#: The column that identifies a row of each unit in every dataset: an internal number,
#: never a resident ID or credit code, so populations carry pseudonymous keys only.
KEYS: dict[Unit, str] = {
    "person": "person_id",
    "household": "household_id",
    "enterprise": "enterprise_id",
}

ARROW_TYPES: dict[FieldType, pa.DataType] = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "text": pa.string(),
}


@dataclass(frozen=True)
class Field:
    """A registry field a service may decide on."""

    type: FieldType
    department: str  # the department that keeps it (grants are asked of it)
    label: str  # English msgid, translated by the catalogue
    values: tuple[str, ...] = ()  # the codes a text field takes, when it is a code list
    sensitivity: Sensitivity = "internal"


@runtime_checkable
class Registries(Protocol):
    """A city's identity index and field list. Every method answers from the city's
    own registers; none returns a value a dataset read should bring (income, savings):
    those go through the exchange, grant-checked and logged."""

    #: Per unit, the fields services may read (their types, keepers and code lists).
    fields: Mapping[Unit, Mapping[str, Field]]
    #: Which department keeps each register ("people", "households", "enterprises"):
    #: its staff open those records, no one else's.
    keepers: Mapping[str, str]

    def find(self, session: Session, unit: Unit, identifier: str) -> int | None:
        """The registry number of the person (resident ID) or enterprise (credit code)."""

    def valid_identifier(self, unit: Unit, identifier: str) -> bool:
        """Whether ``identifier`` is well formed (its check digit included)."""

    def households_of(self, session: Session, people: Sequence[int]) -> dict[int, int]:
        """The household each of these people is registered in (absent: none)."""

    def own_record(self, session: Session, unit: Unit, key: int) -> dict[str, Any] | None:
        """What the subject sees of their own entry: for a person ``person``,
        ``household`` and ``members`` (each member's id, name, gender, birth date and
        relation, as on the household booklet); for an enterprise its entry."""

    def members(self, session: Session, person: int) -> list[int]:
        """The other members of a person's household, in registry order."""

    def counts(self, session: Session) -> dict[str, int]:
        """How many people, households and enterprises the registers hold."""


@cache
def load(path: str) -> Registries:
    """The ``Registries`` at ``module:attribute``; refuses anything else by name."""
    module_name, _, attribute = path.partition(":")
    problem = f"invalid setting SMARTGOV_REGISTRIES: {path!r}"
    try:
        found = getattr(importlib.import_module(module_name), attribute or "REGISTRIES")
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"{problem} names nothing importable ({exc})") from None
    if not isinstance(found, Registries):
        raise ConfigError(f"{problem} is not a smartgov Registries (see its members)")
    return found


@cache
def current() -> Registries:
    """The city's registries, as the settings name them: read once per process (a city
    does not change its registries under a running server)."""
    return load(load_settings().registries)


def fields(unit: str) -> Mapping[str, Field]:
    """The registry fields a service deciding about ``unit`` may read."""
    return current().fields[unit]  # type: ignore[index]


def deployment_findings(settings: Settings) -> list[Finding]:
    """`smartgov check`: the city's registries plug in (SG009 otherwise)."""
    try:
        load(settings.registries)
    except ConfigError as exc:
        return [Finding("SG009", "error", str(exc))]
    return []
