"""The catalogue: which datasets the departments publish, their fields' sensitivity,
and where each is read from. Metadata follows DCAT so other portals can harvest it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pyarrow as pa
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from smartgov.core.clock import now
from smartgov.core.errors import FieldError, Forbidden, Invalid, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import Department, User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.exchange import providers, sources
from smartgov.exchange.models import Dataset, DatasetField
from smartgov.exchange.schemas import DatasetIn
from smartgov.ledger import service as ledger

PLURAL = {"person": "people", "household": "households", "enterprise": "enterprises"}
DCAT_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCY_CODES = {
    "continuous": "CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "quarterly": "QUARTERLY", "annual": "ANNUAL", "irregular": "IRREG",
}  # fmt: skip


@dataclass(frozen=True)
class Located:
    """Where one field of a unit is kept."""

    dataset: str
    type: str
    sensitivity: str
    identifier: bool
    provider: dict[str, Any]  # the dataset's provider, so a read needs no second query


# --- Registering --------------------------------------------------------------------------


def _check(session: Session, settings: Settings, spec: DatasetIn, actor: User | None) -> None:
    problems = []
    if session.get(Department, spec.department) is None:
        problems.append(FieldError("department", N_("No department has this code.")))
    own = actor is None or (
        actor.role in (Role.department_officer, Role.administrator)
        and actor.department_code == spec.department
    )
    if not own:
        raise Forbidden(N_("Only the department that keeps a dataset can register it."))
    # A code names its keeper: "taxation.people" is taxation's, whoever asks.
    if not spec.code.startswith(f"{spec.department}."):
        problems.append(
            FieldError(
                "code",
                N_("A dataset's code starts with its department: {prefix}…"),
                {"prefix": f"{spec.department}."},
            )
        )
    stored = session.get(Dataset, spec.code)
    if stored is not None and stored.department_code != spec.department:
        raise Forbidden(N_("Only the department that keeps a dataset can register it."))
    seen: set[str] = set()
    for index, field in enumerate(spec.fields):
        if field.name in seen:
            problems.append(FieldError(f"fields.{index}.name", N_("This field is listed twice.")))
        seen.add(field.name)
    problems += _elsewhere(session, spec)
    # Every provider reads a declared source: a table, a file, or a peer node's dataset
    # at a declared address (the allow-list of remote nodes the server may call).
    declared = sources.declared_for(session, spec.provider.model_dump(exclude_none=True))
    if declared != spec.department:
        problems.append(
            FieldError(
                "provider",
                N_("This source is not declared as a registry of {department}: an "
                   "administrator declares registry sources first "
                   "(smartgov exchange sources declare)."),
                {"department": spec.department},
            )
        )  # fmt: skip
    if not problems:
        problems = _check_provider(session, settings, spec)
    if problems:
        raise Invalid(N_("The dataset cannot be registered."), problems)


def _elsewhere(session: Session, spec: DatasetIn) -> list[FieldError]:
    """A field name means one thing for a unit: another dataset holding the same name
    would shadow it for every service that reads it."""
    rows = session.execute(
        select(DatasetField.name, DatasetField.dataset_code)
        .join(Dataset, Dataset.code == DatasetField.dataset_code)
        .where(
            Dataset.unit == spec.unit,
            Dataset.code != spec.code,
            DatasetField.name.in_([f.name for f in spec.fields]),
        )
    )
    held = {name: code for name, code in rows}
    return [
        FieldError(
            f"fields.{index}.name",
            N_("{dataset} already holds a field with this name; give it another name."),
            {"dataset": held[f.name]},
        )
        for index, f in enumerate(spec.fields)
        if f.name in held
    ]


def _check_provider(session: Session, settings: Settings, spec: DatasetIn) -> list[FieldError]:
    """The provider must be reachable and hold the key and every field listed."""
    source = spec.provider
    if source.kind == "http":
        if source.peer not in settings.exchange_peers:
            return [
                FieldError(
                    "provider.peer",
                    N_("{peer} is not a known peer: add its public key to "
                       "SMARTGOV_EXCHANGE_PEERS first."),
                    {"peer": source.peer},
                )
            ]  # fmt: skip
        return []
    try:
        offered = providers.columns(source.model_dump(exclude_none=True), settings, session)
    except (NotFound, OSError, SQLAlchemyError, pa.ArrowException) as exc:
        message = exc.message if isinstance(exc, NotFound) else N_("The source cannot be read.")
        return [FieldError("provider", message)]
    assert offered is not None
    problems = []
    if source.key not in offered:
        problems.append(FieldError("provider.key", N_("The source has no column with this name.")))
    for index, f in enumerate(spec.fields):
        if f.name not in offered:
            problems.append(
                FieldError(f"fields.{index}.name", N_("The source has no column with this name."))
            )
    return problems


def register(
    session: Session, settings: Settings, spec: DatasetIn, *, actor: User | None
) -> Dataset:
    """Add or replace a dataset; the change is recorded in the ledger. ``actor`` is None
    for the system itself (the demo city)."""
    _check(session, settings, spec, actor)
    dataset = session.get(Dataset, spec.code) or Dataset(code=spec.code)
    dataset.department_code = spec.department
    dataset.unit = spec.unit
    dataset.title_zh, dataset.title_en = spec.title.zh, spec.title.en
    dataset.description_zh, dataset.description_en = spec.description.zh, spec.description.en
    dataset.frequency = spec.frequency
    dataset.provider = spec.provider.model_dump(exclude_none=True)
    dataset.privacy_budget = spec.privacy_budget
    dataset.updated_at = now()
    session.add(dataset)
    session.flush()
    session.execute(delete(DatasetField).where(DatasetField.dataset_code == spec.code))
    session.add_all(
        DatasetField(
            dataset_code=spec.code, name=f.name, type=f.type, sensitivity=f.sensitivity,
            identifier=f.identifier, label_zh=f.label.zh, label_en=f.label.en, position=i,
        )
        for i, f in enumerate(spec.fields)
    )  # fmt: skip
    ledger.record(
        session,
        "dataset",
        {
            "dataset": spec.code,
            "department": spec.department,
            "unit": spec.unit,
            "fields": {f.name: f.sensitivity for f in spec.fields},
            "provider": spec.provider.kind,
            "privacy_budget": spec.privacy_budget,
            "by": actor_ref(actor),
        },
    )
    session.flush()
    return dataset


def actor_ref(actor: User | None) -> str:
    """How an account appears in the public ledger: a number, never a name."""
    return "system" if actor is None else f"user:{actor.id}"


# --- Reading ------------------------------------------------------------------------------


def datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).order_by(Dataset.code)))


def fields_of(session: Session, codes: Sequence[str]) -> dict[str, list[DatasetField]]:
    rows = session.scalars(
        select(DatasetField)
        .where(DatasetField.dataset_code.in_(codes))
        .order_by(DatasetField.dataset_code, DatasetField.position)
    )
    grouped: dict[str, list[DatasetField]] = {code: [] for code in codes}
    for row in rows:
        grouped[row.dataset_code].append(row)
    return grouped


def as_spec(session: Session, dataset: Dataset) -> DatasetIn:
    return DatasetIn.model_validate(
        {
            "code": dataset.code,
            "department": dataset.department_code,
            "unit": dataset.unit,
            "title": {"zh": dataset.title_zh, "en": dataset.title_en},
            "description": {"zh": dataset.description_zh, "en": dataset.description_en},
            "frequency": dataset.frequency,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "sensitivity": f.sensitivity,
                    "identifier": f.identifier,
                    "label": {"zh": f.label_zh, "en": f.label_en},
                }
                for f in fields_of(session, [dataset.code])[dataset.code]
            ],
            "provider": dataset.provider,
            "privacy_budget": dataset.privacy_budget,
        }
    )


_DATASETS = cast(Table, Dataset.__table__)
_FIELDS = cast(Table, DatasetField.__table__)
# Built once: a read runs it for every fetch, and building it costs more than running it.
_LOCATE = (
    select(
        _FIELDS.c.name, _FIELDS.c.dataset_code, _FIELDS.c.type, _FIELDS.c.sensitivity,
        _FIELDS.c.identifier, _DATASETS.c.provider,
    )
    .join(_DATASETS, _DATASETS.c.code == _FIELDS.c.dataset_code)
    .where(
        _DATASETS.c.unit == bindparam("unit"),
        _FIELDS.c.name.in_(bindparam("names", expanding=True)),
    )
    .order_by(_FIELDS.c.dataset_code)
)  # fmt: skip


def locate(session: Session, unit: str, names: Sequence[str]) -> dict[str, Located]:
    """Where each named field of ``unit`` is kept; names no dataset has are left out."""
    rows = session.connection().execute(_LOCATE, {"unit": unit, "names": list(names)})
    found: dict[str, Located] = {}
    for name, code, type_, sensitivity, identifier, provider in rows:
        found.setdefault(name, Located(code, type_, sensitivity, bool(identifier), provider))
    return found


# --- DCAT ---------------------------------------------------------------------------------

DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "smartgov": "https://smartgov.example/ns#",
}


def _words(zh: str, en: str) -> list[dict[str, str]]:
    return [{"@language": "zh-Hans", "@value": zh}, {"@language": "en", "@value": en}]


def dcat_dataset(dataset: Dataset, listed: Sequence[DatasetField], base: str) -> dict[str, Any]:
    """DCAT metadata for one dataset: never its rows, never its provider's address."""
    department = dataset.department_code
    return {
        "@id": f"{base}/api/v1/catalogue/{dataset.code}",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.code,
        "dct:title": _words(dataset.title_zh, dataset.title_en),
        "dct:description": _words(dataset.description_zh, dataset.description_en),
        "dct:publisher": {"@type": "foaf:Organization", "dct:identifier": department},
        "dct:accrualPeriodicity": {"@id": DCAT_FREQUENCY + FREQUENCY_CODES[dataset.frequency]},
        "dct:modified": dataset.updated_at.isoformat(),
        "smartgov:unit": dataset.unit,
        "smartgov:privacyBudget": dataset.privacy_budget,
        "smartgov:fields": [
            {
                "smartgov:name": f.name,
                "smartgov:type": f.type,
                "smartgov:sensitivity": f.sensitivity,
                "smartgov:identifier": f.identifier,
                "dct:title": _words(f.label_zh, f.label_en),
            }
            for f in listed
        ],
    }


def dcat_catalogue(session: Session, base: str) -> dict[str, Any]:
    found = datasets(session)
    listed = fields_of(session, [d.code for d in found])
    return {
        "@context": DCAT_CONTEXT,
        "@id": f"{base}/api/v1/catalogue",
        "@type": "dcat:Catalog",
        "dct:title": _words("数据共享目录", "Data exchange catalogue"),
        "dcat:dataset": [dcat_dataset(d, listed[d.code], base) for d in found],
    }


def field_labels(session: Session, language: str) -> dict[str, str]:
    """Every field of the catalogue with its label in ``language``, by
    ``dataset/name`` (two datasets may share a name: a household's and an
    enterprise's ``size``) and, for the first one met, by its name alone."""
    column = _FIELDS.c.label_zh if language == "zh-Hans" else _FIELDS.c.label_en
    rows = session.connection().execute(
        select(_FIELDS.c.dataset_code, _FIELDS.c.name, column).order_by(_FIELDS.c.dataset_code)
    )
    found: dict[str, str] = {}
    for dataset, name, label in rows:
        found[f"{dataset}/{name}"] = label
        found.setdefault(name, label)
    return found
