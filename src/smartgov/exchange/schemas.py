"""API shapes for registry records, statistics, the catalogue, grants and fetches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from smartgov.core.db import MAX_INT


class PersonOut(BaseModel):
    """A person as a reader may see them: a keeper sees the fields its grants name and
    nothing kept by other departments; a citizen sees their own record, and of the
    others in the household only who they are."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    relation: str | None = None
    district_code: str | None = None
    disability_grade: int | None = None
    employment: str | None = None
    monthly_income: int | None = None


class HouseholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    district_code: str | None = None
    size: int | None = None
    housing: str | None = None


class PersonRecordOut(BaseModel):
    person: PersonOut
    household: HouseholdOut | None
    members: list[PersonOut]


class EnterpriseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    credit_code: str | None = None
    name: str | None = None
    industry: str | None = None
    size: str | None = None
    employees: int | None = None
    founded_on: date | None = None
    district_code: str | None = None
    status: str | None = None


class DistrictFigures(BaseModel):
    code: str
    name_zh: str
    name_en: str
    people: int | None = Field(description="None: fewer than 10, withheld.")
    aged_60_plus: int | None
    with_disability: int | None
    mean_wage: int | None


# --- The exchange --------------------------------------------------------------------

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
#: Why data is read, as grants and the ledger name it: "case-review", "decision:<service>".
Purpose = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]{0,95}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Frequency = Literal["continuous", "daily", "weekly", "monthly", "quarterly", "annual", "irregular"]


class Words(BaseModel):
    """The same text in both languages the city works in."""

    model_config = ConfigDict(extra="forbid")

    zh: Text
    en: Text


class SqlSource(BaseModel):
    """A table or view in a database; no URL means the city's own database."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["sql"]
    table: Name
    key: Name
    url: str | None = Field(None, description="A SQLAlchemy URL without a password.")


class FileSource(BaseModel):
    """A Parquet or CSV file under the data directory's `registries/` folder."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["file"]
    path: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.(parquet|csv)$")
    ]
    key: Name

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        """A path inside the registries folder: no way out of it."""
        if ".." in value.split("/"):
            raise ValueError("the path must stay inside the registries folder")
        return value


class HttpSource(BaseModel):
    """Another smartgov node that serves the dataset, authenticated both ways."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["http"]
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")]
    peer: Code  # the name under which SMARTGOV_EXCHANGE_PEERS holds its key
    dataset: Code  # the dataset's code at the remote node


Source = Annotated[SqlSource | FileSource | HttpSource, Field(discriminator="kind")]


class SourceIn(BaseModel):
    """A table, view or file declared as a department's registry, or a peer node's
    dataset at a declared address (the allow-list of remote nodes)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["sql", "file", "http"] = "sql"
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$")]
    department: Name
    url: str | None = Field(
        None,
        max_length=400,
        description="sql: a database URL without a password; http: the peer node's address.",
    )


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    remote: bool
    department_code: str
    declared_by: str
    declared_at: datetime


class FieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    type: Literal["integer", "number", "boolean", "date", "text"]
    sensitivity: Literal["public", "internal", "sensitive", "secret"]
    label: Words
    identifier: bool = False


class DatasetIn(BaseModel):
    """A registry a department publishes to the exchange."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    department: Name
    unit: Literal["person", "household", "enterprise"]
    title: Words
    description: Words
    frequency: Frequency
    fields: list[FieldIn] = Field(min_length=1, max_length=200)
    provider: Source
    privacy_budget: float = Field(1.0, ge=0, le=100, description="Total epsilon.")


class GrantIn(BaseModel):
    """Who may read which fields of a dataset, for which purpose, until when."""

    model_config = ConfigDict(extra="forbid")

    consumer_kind: Literal["role", "user", "node"]
    consumer: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.@-]{0,95}$")]
    dataset: Code
    fields: list[Name] = Field(min_length=1, max_length=200)
    purpose: Purpose
    legal_basis: Text
    expires_at: datetime
    identified: bool = False
    reveal: bool = False
    may_hold: bool = False


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    consumer_kind: str
    consumer: str
    dataset_code: str
    fields: list[str]
    purpose: str
    legal_basis: str
    identified: bool
    reveal: bool
    may_hold: bool
    valid_from: datetime
    expires_at: datetime | None
    created_by: str
    revoked_at: datetime | None
    review_on: date | None = None
    ledger_seq: int


class GrantRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    consumer_kind: str
    consumer: str
    dataset_code: str
    fields: list[str]
    purpose: str
    legal_basis: str
    status: Literal["pending", "approved", "refused", "withdrawn"]
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    grant_id: int | None


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_at: datetime = Field(description="When the grant ends (it can be renewed).")
    review_on: date = Field(description="When the department looks at it again.")


class RefuseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="For the service's owners.")


class SubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Literal["person", "household", "enterprise"]
    id: int = Field(ge=1, le=MAX_INT)


class FetchIn(BaseModel):
    """A purpose-bound read of one subject's fields."""

    model_config = ConfigDict(extra="forbid")

    subject: SubjectIn
    fields: list[Name] = Field(min_length=1, max_length=200)
    purpose: str = Field("", max_length=96, description="Required: why the data is read.")
    case: str | None = Field(None, max_length=64)
    hold_until: date | None = None


class CounterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resident_id: str = Field(max_length=40, description="The full 18-character resident ID.")


class CounterOut(BaseModel):
    name: str
    gender: str
    birth_year: int
    district_code: str
    ledger_index: int | None


class FetchOut(BaseModel):
    ledger_index: int
    subject: str  # the pseudonym this purpose sees
    values: dict[str, Any]
    masked: list[str]
    withheld: list[str]
    datasets: dict[str, list[str]]


class AccessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    outcome: str
    about: Literal["person", "household", "enterprise"] = Field(
        description="Whose data was read: yours, your household's or your enterprise's."
    )
    consumer_kind: str
    consumer: str
    department_code: str | None
    purpose: str
    legal_basis: str
    case_ref: str | None
    fields: dict[str, list[str]]
    reason: str | None
    proof: str  # where to fetch the inclusion proof


class PopulationReadOut(BaseModel):
    """A whole population read for a statistical use: public, names no person."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    outcome: str
    consumer: str = Field(description="service:ID or user:N (a staff account's number).")
    department_code: str | None
    purpose: str
    unit: str
    fields: dict[str, list[str]]
    rows: int
    proof: str  # where to fetch the inclusion proof


class PrivateStatisticIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: Code
    statistic: Literal["count", "mean"]
    field: Name
    lower: float | None = Field(None, allow_inf_nan=False)
    upper: float | None = Field(None, allow_inf_nan=False)
    epsilon: float = Field(gt=0, le=10)


class AllowanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: Code
    consumer: str = Field(max_length=64, description="role:<role> or user:<number>.")
    epsilon: float = Field(gt=0, le=100)


class AllowanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_code: str
    consumer: str
    epsilon: float
    spent: float
    given_by: str
    given_at: datetime
    ledger_seq: int


class PrivateStatisticOut(BaseModel):
    dataset: str
    statistic: str
    field: str | None
    value: float
    epsilon: float
    budget_left: float
    ledger_index: int


class ProvideIn(BaseModel):
    """What a peer node asks of one of our datasets (signed; see ``remote``)."""

    model_config = ConfigDict(extra="forbid")

    dataset: Code
    key: int = Field(ge=1)
    fields: list[Name] = Field(min_length=1, max_length=200)
    purpose: str = Field("", max_length=96)
