"""The case capability's ledger entries: checks and decisions, reviews and appeals,
alerts, sweeps and second-check models. A case's facts and a reviewer's words never
enter the log: only keyed hashes of them (``decide.commitment``), whose salt stays in
the case row, so a guessed birth date or income cannot be tested against the log, and
erasing the case's row leaves nothing in the log that says anything about the person."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from smartgov.ledger.kinds import HEX_HASH, Entry, register

Hash = Field(pattern=HEX_HASH)


class CheckEntry(Entry):
    """The automated check of a case: decided alone (``decision``) or sent to a person
    (``check``), with what is needed to re-run it."""

    kind: Literal["decision", "check"]
    case: str
    service: str
    rule_version: str
    model_version: int | None
    model_score: float | None
    input_hash: str = Hash  # HMAC of the facts with the case's salt
    subject: str  # the purpose's pseudonym ("" when the registry read failed)
    outcome: str
    amount: float | None
    automated: bool
    review_reasons: list[str]


class ReviewEntry(Entry):
    """A person's decision on a case or an appeal."""

    kind: Literal["review", "appeal"]
    case: str
    service: str
    outcome: str
    automated_outcome: str | None
    override: bool
    appeal_result: str | None
    reviewer: str
    amount: float | None = None  # per period, as decided (none in entries before it)
    # The written justification stays in the case row; the log holds its keyed hash.
    justification_hash: str | None = Hash
    input_hash: str | None = Hash


class AppealLodgedEntry(Entry):
    kind: Literal["appeal_lodged"]
    case: str
    service: str


class AlertEntry(Entry):
    kind: Literal["alert"]
    action: Literal["open", "close"]
    alert: int
    service: str
    alert_kind: str | None = None
    by: str


class SweepEntry(Entry):
    kind: Literal["sweep"]
    service: str
    rule_version: str
    population: int
    eligible: int
    invited: int
    by: str


class ModelEntry(Entry):
    """A second-check model trained on past decisions: its figures, not its rows."""

    kind: Literal["model"]
    service: str
    version: int
    trained_on: int
    metrics: dict[str, float | None]
    parameters: dict[str, Any]
    by: str


register("decision", CheckEntry)
register("check", CheckEntry)
register("review", ReviewEntry)
register("appeal", ReviewEntry)
register("appeal_lodged", AppealLodgedEntry)
register("alert", AlertEntry)
register("sweep", SweepEntry)
register("model", ModelEntry)
