"""The exchange's own tables: the catalogue, grants, the access index and the privacy
budget spent. The registries themselves are the city's (see ``registries``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.core.clock import now
from smartgov.core.db import Base, Timestamp


class Dataset(Base):
    """A registry a department publishes to the exchange: its metadata and provider."""

    __tablename__ = "exchange_dataset"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    unit: Mapped[str] = mapped_column(String(16))  # person, household or enterprise
    title_zh: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(160))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(String(16))  # daily, weekly, monthly, ...
    # Where and how the rows are read: {"kind": "sql" | "file" | "http", ...}.
    provider: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Total epsilon that published statistics over this dataset may spend.
    privacy_budget: Mapped[float] = mapped_column(Float)
    privacy_spent: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)


class DatasetField(Base):
    __tablename__ = "exchange_dataset_field"

    dataset_code: Mapped[str] = mapped_column(
        ForeignKey("exchange_dataset.code", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    sensitivity: Mapped[str] = mapped_column(String(16))
    # An identifier (resident ID, credit code) is pseudonymised unless a grant needs it.
    identifier: Mapped[bool] = mapped_column(Boolean, default=False)
    label_zh: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(160))
    position: Mapped[int] = mapped_column(SmallInteger)


class Grant(Base):
    """Who may read which fields of a dataset, for which purpose, until when."""

    __tablename__ = "exchange_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_kind: Mapped[str] = mapped_column(String(8))  # service, role or user
    # A service id, a role (optionally "role@department") or a username.
    consumer: Mapped[str] = mapped_column(String(96), index=True)
    dataset_code: Mapped[str] = mapped_column(ForeignKey("exchange_dataset.code"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(96))
    legal_basis: Mapped[str] = mapped_column(Text)
    identified: Mapped[bool] = mapped_column(Boolean, default=False)  # real identifiers
    reveal: Mapped[bool] = mapped_column(Boolean, default=False)  # sensitive values unmasked
    may_hold: Mapped[bool] = mapped_column(Boolean, default=False)  # may place legal holds
    valid_from: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(96), nullable=True)
    # When the keeping department looks at the grant again (set when it approves one).
    review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ledger_seq: Mapped[int] = mapped_column(BigInteger)


class GrantRequest(Base):
    """What a service needs to read, asked of the department that keeps the data: a
    grant is made only when an officer of that department approves it."""

    __tablename__ = "exchange_grant_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_kind: Mapped[str] = mapped_column(String(8))  # service
    consumer: Mapped[str] = mapped_column(String(96), index=True)
    dataset_code: Mapped[str] = mapped_column(ForeignKey("exchange_dataset.code"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(96))
    legal_basis: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending, approved, ...
    requested_by: Mapped[str] = mapped_column(String(96))
    requested_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    decided_by: Mapped[str | None] = mapped_column(String(96), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why refused
    grant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Access(Base):
    """An index over the ledger's access records, so a citizen finds theirs quickly.
    The ledger entry at ``seq`` is the record; this row only points at it."""

    __tablename__ = "exchange_access"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    subject: Mapped[str] = mapped_column(String(32), index=True)  # the ledger pseudonym
    at: Mapped[datetime] = mapped_column(Timestamp())
    outcome: Mapped[str] = mapped_column(String(8))  # granted or refused
    consumer_kind: Mapped[str] = mapped_column(String(8))
    consumer: Mapped[str] = mapped_column(String(96))
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    purpose: Mapped[str] = mapped_column(String(96))
    legal_basis: Mapped[str] = mapped_column(Text)
    case_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fields: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # dataset -> field names
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it was refused
    # Hidden from the subject until this date: an investigation's legal hold.
    hold_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class PopulationRead(Base):
    """An index over the ledger's ``population`` entries (whole populations read for a
    statistical use, such as a simulation), so anyone can list them. The ledger entry at
    ``seq`` is the record; this row only points at it, and names no person."""

    __tablename__ = "exchange_population_read"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(Timestamp(), index=True)
    outcome: Mapped[str] = mapped_column(String(8))  # granted or refused
    consumer: Mapped[str] = mapped_column(String(96))  # service:ID or user:N, never a name
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    purpose: Mapped[str] = mapped_column(String(96))
    unit: Mapped[str] = mapped_column(String(16))
    fields: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # dataset -> field names
    rows: Mapped[int] = mapped_column(Integer)


class PrivacyAllowance(Base):
    """Part of a dataset's privacy budget its department hands to someone outside it
    (a role, such as the analysts, or one account): reserved from the budget when
    given, spent by their releases. Only the keeping department gives one."""

    __tablename__ = "exchange_privacy_allowance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(ForeignKey("exchange_dataset.code"), index=True)
    consumer: Mapped[str] = mapped_column(String(64))  # role:<role> or user:<number>
    epsilon: Mapped[float] = mapped_column(Float)
    spent: Mapped[float] = mapped_column(Float, default=0.0)
    given_by: Mapped[str] = mapped_column(String(96))
    given_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    ledger_seq: Mapped[int] = mapped_column(BigInteger)


class PrivacySpend(Base):
    """Each published statistic's epsilon, charged to its dataset's budget."""

    __tablename__ = "exchange_privacy_spend"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(ForeignKey("exchange_dataset.code"), index=True)
    statistic: Mapped[str] = mapped_column(String(96))
    epsilon: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    ledger_seq: Mapped[int] = mapped_column(BigInteger)


class Source(Base):
    """A table, view or file an administrator declared as a department's registry:
    the only places a dataset's provider may read (see ``sources``)."""

    __tablename__ = "exchange_source"
    __table_args__ = (UniqueConstraint("kind", "name", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # sql or file
    name: Mapped[str] = mapped_column(String(200))  # table, view or path under registries/
    url: Mapped[str] = mapped_column(String(400), default="")  # "" is the city's database
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    declared_by: Mapped[str] = mapped_column(String(96))
    declared_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
