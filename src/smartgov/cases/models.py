"""Cases and what hangs off them: the event log (which process mining reads), uploaded
documents, notifications, the second-check models and proactive invitations."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.core.clock import now
from smartgov.core.db import Base, Timestamp

POSITION = BigInteger().with_variant(Integer(), "sqlite")


def new_salt() -> bytes:
    return secrets.token_bytes(16)


class Case(Base):
    __tablename__ = "case_file"
    __table_args__ = (
        # One case per submission: the same key from the same submitter is the same case.
        UniqueConstraint("submitted_by", "idempotency_key"),
        # The worker's queue and the reviewers' queues.
        Index("ix_case_file_state_id", "state", "id"),
        Index("ix_case_file_department_state", "department_code", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)  # shown and used in URLs
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    department_code: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))  # person, household, enterprise
    subject_key: Mapped[int] = mapped_column(Integer)  # registry number of the subject
    # Who applied: a registry person or enterprise, with an account or (at a counter)
    # without one.
    applicant_unit: Mapped[str] = mapped_column(String(16))
    applicant_key: Mapped[int] = mapped_column(Integer)
    applicant_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True, index=True
    )
    submitted_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    channel: Mapped[str] = mapped_column(String(8))  # online, mobile, counter, phone
    idempotency_key: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consent: Mapped[bool] = mapped_column(Boolean)
    human_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock
    priority: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    due_at: Mapped[datetime] = mapped_column(Timestamp())
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    # The automated check: what the rules and the model said, and why it was reviewed.
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    automated_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    automated: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    input_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Keys the case's commitments in the ledger (its facts, a reviewer's words): kept
    # here, never logged, so guesses cannot be tested against the log, and erasing the
    # case erases what its ledger entries could confirm.
    salt: Mapped[bytes] = mapped_column(LargeBinary(16), default=new_salt)
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    sources: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_seq: Mapped[int | None] = mapped_column(POSITION, nullable=True)
    appeal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    appeal_result: Mapped[str | None] = mapped_column(String(8), nullable=True)  # upheld, changed

    # The ORM adds "AND version = <read>" to every update and bumps it: a write resting
    # on a stale read fails instead of overwriting someone else's.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CaseEvent(Base):
    """One transition: the log process mining reads (case, activity, time, actor)."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(POSITION, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(40))  # user:12, worker, system
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseDocument(Base):
    __tablename__ = "case_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))  # the service's document id
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # also its name in the store
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)


class Notification(Base):
    __tablename__ = "case_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(24))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    read_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    # When the outside channel (email, SMS, the console) took it; None: not yet sent.
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)


class CheckModel(Base):
    """A trained second-check model: a logistic regression kept as its numbers (JSON,
    never a pickle, so loading one runs no code)."""

    __tablename__ = "case_check_model"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    trained_on: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    ledger_seq: Mapped[int | None] = mapped_column(POSITION, nullable=True)


class Invitation(Base):
    """From a proactive sweep: someone eligible who has not applied."""

    __tablename__ = "case_invitation"
    __table_args__ = (UniqueConstraint("service_id", "unit", "subject_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    service_id: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[int] = mapped_column(Integer)
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, accepted
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), nullable=True)


class ServiceAlert(Base):
    """An open alert on a service (a fairness monitor's, or an overseer's): while one is
    open, every case of the service goes to a person."""

    __tablename__ = "case_service_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # fairness, manual
    note: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
