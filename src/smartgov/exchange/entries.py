"""The exchange's ledger entries: reads, grants, registry sources, datasets and private
statistics. Each names who acted and what was read or decided, never a person: the
subject is the purpose's pseudonym, fields are names, not values."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from smartgov.ledger.kinds import Entry, register

Id = Field(max_length=200)


class AccessEntry(Entry):
    """A read of registry data for one subject, granted or refused."""

    kind: Literal["access"]
    outcome: Literal["granted", "refused"]
    consumer: str = Id  # service:ID, user:N or node:NAME: never a name
    role: str | None
    department: str | None
    on_behalf_of: str | None
    purpose: str | None
    legal_basis: str
    case: str | None
    subject: str = Field(pattern=r"^[0-9a-f]{16,64}$")  # the purpose's pseudonym
    unit: str
    fields: dict[str, list[str]]  # dataset code -> field names read
    hold_until: str | None
    reason: str | None  # the platform's own refusal message, never the reader's words


class PopulationEntry(Entry):
    """A whole population read for a statistical use (a simulation): who, why, which
    fields and how many rows; no subject. Reads that act on people (sweeps) are
    ``access`` entries, one per subject, instead."""

    kind: Literal["population"]
    outcome: Literal["granted", "refused"]
    consumer: str
    purpose: str
    legal_basis: str
    unit: str
    fields: dict[str, list[str]]
    rows: int


class GrantEntry(Entry):
    kind: Literal["grant"]
    action: Literal["created", "revoked"]
    grant: int
    consumer: str
    dataset: str
    fields: list[str]
    purpose: str
    legal_basis: str
    identified: bool
    reveal: bool
    may_hold: bool
    expires_at: str | None
    review_on: str | None = None
    by: str


class GrantRequestEntry(Entry):
    """A service's need asked of the keeping department, and its decision. A refusal's
    reason stays in the request's row; the entry holds its hash."""

    kind: Literal["grant_request"]
    action: Literal["requested", "approved", "refused", "withdrawn"]
    request: int
    consumer: str
    dataset: str
    fields: list[str]
    purpose: str
    by: str
    grant: int | None = None
    expires_at: str | None = None
    review_on: str | None = None
    reason_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")


class SourceEntry(Entry):
    kind: Literal["source"]
    action: Literal["declared", "withdrawn"]
    source: int
    # The source's own kind (a table, a view, a file): not `kind`, which is the entry's.
    source_kind: str
    name: str
    remote: bool
    department: str
    by: str


class DatasetEntry(Entry):
    kind: Literal["dataset"]
    dataset: str
    department: str
    unit: str
    fields: dict[str, str]  # field name -> sensitivity
    provider: str
    privacy_budget: float
    by: str


class StatisticEntry(Entry):
    """A differentially private release, or its refusal when the budget is spent."""

    kind: Literal["statistic"]
    dataset: str
    statistic: str
    field: str
    epsilon: float
    bounds: list[float] | None
    by: str
    outcome: Literal["released", "refused"]
    value: float | None = None
    budget_left: float | None  # None: refused to someone given no allowance


class AllowanceEntry(Entry):
    """Part of a dataset's privacy budget given by its department to a role or account."""

    kind: Literal["allowance"]
    dataset: str
    consumer: str
    epsilon: float
    budget_left: float
    by: str


register("access", AccessEntry)
register("population", PopulationEntry)
register("grant", GrantEntry)
register("grant_request", GrantRequestEntry)
register("source", SourceEntry)
register("dataset", DatasetEntry)
register("statistic", StatisticEntry)
register("allowance", AllowanceEntry)
