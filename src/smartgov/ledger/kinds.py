"""What each kind of ledger entry may hold. Every kind has a model here, checked at
append and published as JSON Schema (`GET /api/v1/ledger/schemas`): an unknown kind, a
field no schema names or a value of the wrong type is refused before it reaches the
log, so personal data cannot slip in by someone adding a field to a record. Entries
carry commitments, never contents: pseudonyms, keyed hashes whose salt stays in the
case row, and the hash of any free text kept off the log.

Capabilities register their kinds when their module is imported (`register`); the
ledger itself knows none of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: An ISO 8601 time with its zone, as `ledger.service.append` stamps it.
TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"
#: A keyed hash (HMAC-SHA-256) or plain SHA-256, in hex.
HEX_HASH = r"^[0-9a-f]{64}$"


class Entry(BaseModel):
    """What every entry holds: its kind and the time of its append. Subclasses name
    the rest; nothing else is accepted (``extra="forbid"``), and types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    kind: str
    time: str = Field(pattern=TIME)


class EntryRefused(ValueError):
    """A record that no schema allows: a fault in the code that built it. The message
    names the kind and the fields, never a value (which might be personal)."""


_MODELS: dict[str, type[Entry]] = {}


def register(kind: str, model: type[Entry]) -> None:
    """Declare an entry kind; registering the same model twice is harmless."""
    known = _MODELS.setdefault(kind, model)
    if known is not model:
        raise ValueError(f"ledger entry kind {kind!r} is already declared by {known.__name__}")


def check(records: Iterable[Mapping[str, Any]]) -> None:
    """Refuse any record its kind's schema does not allow (about 1 µs a record)."""
    for record in records:
        kind = record.get("kind")
        model = _MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            raise EntryRefused(f"no ledger entry kind {kind!r} is declared")
        try:
            model.__pydantic_validator__.validate_python(record)
        except ValidationError as exc:
            wrong = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in exc.errors()
            )
            raise EntryRefused(f"a {kind} entry does not fit its schema ({wrong})") from None


def schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each declared kind, by kind."""
    return {kind: _MODELS[kind].model_json_schema() for kind in sorted(_MODELS)}
