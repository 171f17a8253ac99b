"""API shapes for applications, cases, reviews, appeals and case figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Base64Bytes, BaseModel, ConfigDict, Field


class DocumentIn(BaseModel):
    """One uploaded document in an application: its file name and its bytes, base64."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=200)
    content: Base64Bytes = Field(description="The file's bytes, base64 (PDF, PNG or JPEG).")


class ApplicationIn(BaseModel):
    service: str = Field(description="The service's id, as in /api/v1/services.")
    idempotency_key: str = Field(
        min_length=8,
        max_length=64,
        description="Your unique key for this application: sending it again returns the "
        "same case instead of making a second one.",
    )
    channel: Literal["online", "mobile", "counter", "phone"] = "online"
    consent: bool = Field(False, description="Consent to the registry reads the service lists.")
    human_decision: bool = Field(False, description="Ask for a decision by a person.")
    answers: dict[str, Any] = Field(default_factory=dict)
    resident_id: str | None = Field(None, description="At a counter: whom you apply for.")
    credit_code: str | None = Field(None, description="At a counter: the enterprise.")
    documents: dict[str, DocumentIn] = Field(
        default_factory=dict,
        max_length=20,
        description="The service's documents by kind, as /api/v1/services lists them; "
        "the required ones must be sent (a counter officer sees the papers instead).",
    )


class EventOut(BaseModel):
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None


class FactOut(BaseModel):
    name: str
    label: str
    value: Any
    source: str  # the dataset it came from, or "applicant"
    source_name: str = ""  # the same in words, in the reader's language


class DocumentOut(BaseModel):
    kind: str
    filename: str
    size: int
    content_type: str
    sha256: str


class AmountProposal(BaseModel):
    amount: float | None = Field(
        description="The amount already set, else the rules' formula on the case's facts."
    )
    required: bool = Field(description="True when approving needs an amount from the reviewer.")
    maximum: float | None = Field(description="The most a reviewer may grant per period.")


class CaseOut(BaseModel):
    ref: str
    service: str
    service_name: str
    unit: str
    channel: str
    state: str
    state_label: str
    version: int = Field(description="Send it back with an action: a stale one is refused.")
    submitted_at: datetime
    due_at: datetime
    overdue: bool
    decided_at: datetime | None
    outcome: str | None
    amount: float | None
    period: str | None
    automated: bool | None
    automated_outcome: str | None
    review_reasons: list[str]
    review_reason_texts: list[str]
    rule_version: str | None
    model_version: int | None
    model_score: float | None
    contributions: list[tuple[str, float]]
    input_hash: str | None
    documents: list[DocumentOut] = Field(
        default_factory=list, description="The documents sent, each with its SHA-256."
    )
    explanation: list[str]
    facts: list[FactOut]
    trace: dict[str, Any] = Field(
        default_factory=dict,
        description="The rules' full trace at the check: every value with its expression "
        "and clause, the parameters in force (as recorded, in English).",
    )
    ledger_index: int | None
    amount_proposal: AmountProposal | None = Field(
        None,
        description="While a person decides (awaiting review, appealed): the amount the "
        "review form offers, whether one must be given to approve, the service's maximum.",
    )
    justification: str | None
    appeal_reason: str | None
    appeal_result: str | None
    next_step: str
    events: list[EventOut]


class CaseSummary(BaseModel):
    ref: str
    service: str
    state: str
    priority: int
    submitted_at: datetime
    due_at: datetime
    overdue: bool
    outcome: str | None
    review_reasons: list[str]


class Submitted(BaseModel):
    case: CaseOut
    created: bool = Field(description="False when the idempotency key made this case before.")


class ReviewIn(BaseModel):
    action: Literal["approve", "reject", "ask"]
    version: int
    justification: str = Field("", max_length=4000)
    amount: float | None = Field(
        None,
        allow_inf_nan=False,
        description="Per period, on approval: required where the rules set none (a refused "
        "or undetermined case), at most the service's maximum; otherwise it changes the "
        "rules' amount, with a justification.",
    )


class AppealIn(BaseModel):
    version: int
    reason: str = Field(max_length=4000)


class RespondIn(BaseModel):
    version: int
    answer: str = Field(max_length=4000)


class WithdrawIn(BaseModel):
    version: int


class FiguresOut(BaseModel):
    service: str
    channel: str
    submitted: int
    decided: int
    automated: int
    automated_share: float | None
    manual_intervention_rate: float | None
    median_seconds: float | None
    p95_seconds: float | None
    overrides: int
    appeals: int
    appeals_upheld: int
    appeals_changed: int
    open: int
    overdue: int


class DisagreementOut(BaseModel):
    service: str
    month: str = Field(description="YYYY-MM, by the day the cases were submitted.")
    checked: int = Field(description="Cases the rules decided and a second-check model scored.")
    disagreed: int
    share: float | None


class MetricsOut(BaseModel):
    since: datetime
    overall: dict[str, float | int | None]
    services: list[FiguresOut]
    disagreement: list[DisagreementOut] = Field(
        default_factory=list,
        description="Per service and month over the last 12: how often the second check "
        "disagreed with the rules (drift shows as a growing share).",
    )


class CheckModelOut(BaseModel):
    service: str
    version: int
    created_at: datetime
    trained_on: int
    metrics: dict[str, Any]
    ledger_index: int | None


class AlertIn(BaseModel):
    kind: Literal["fairness", "manual"] = "manual"
    note: str = Field(min_length=3, max_length=2000)


class AlertOut(BaseModel):
    id: int
    service: str
    kind: str
    note: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None


class InvitationOut(BaseModel):
    ref: str
    service: str
    service_name: str
    amount: float | None
    created_at: datetime
    status: str
    case: str | None


class AcceptIn(BaseModel):
    consent: bool = Field(description="Consent to the registry reads the service lists.")


class NotificationOut(BaseModel):
    kind: str
    text: str
    case: str | None
    created_at: datetime
    read: bool


class SweepOut(BaseModel):
    service: str
    population: int
    eligible: int
    invited: int
    seconds: float
    ledger_index: int
