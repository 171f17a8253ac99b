"""Deciding one claimed case: read the grant's fields through the exchange, evaluate
the rules, score the second check, and apply the review policy. The result is either
an automated decision or a case for a person, with the reasons recorded either way."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from smartgov.cases import second_check
from smartgov.cases.models import Case, CheckModel
from smartgov.core.i18n import N_
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules

#: Why a case goes to a person; each code has a sentence for reviewers and applicants.
REASONS = {
    "high_impact": N_("The service is high-impact: a person decides every case."),
    "disagreement": N_("The second check disagrees with the rules."),
    "undetermined": N_("The rules could not decide with the data available."),
    "low_confidence": N_("The second check is not confident enough."),
    "human_requested": N_("The applicant asked for a decision by a person."),
    "fairness_alert": N_("An alert is open on this service."),
    "data_unavailable": N_("The registry data could not be read."),
    "no_check_model": N_("No second-check model is trained for this service yet."),
    "service_withdrawn": N_("The service is no longer published."),
    "check_failed": N_("The automated check failed on this case's data."),
}


@dataclass
class Verdict:
    outcome: str  # eligible, ineligible, undetermined
    amount: float | None
    facts: dict[str, Any]
    sources: dict[str, str]  # fact -> the dataset it came from
    input_hash: str
    payload: dict[str, Any]  # the rules' decision with its trace (English; pages re-render)
    reasons: list[str] = field(default_factory=list)
    score: second_check.Score | None = None
    model_version: int | None = None
    subject: str = ""  # the pseudonym of the subject for this purpose

    @property
    def automated(self) -> bool:
        return not self.reasons


def commitment(salt: bytes, value: Any) -> str:
    """A keyed hash (HMAC-SHA-256) of ``value`` under the case's salt: it shows later that
    the facts or words kept in the case row are the ones the ledger recorded, while the
    ledger alone lets nobody test a guess (a birth date has only some 40,000 values)."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hmac.new(salt, text.encode(), hashlib.sha256).hexdigest()


def check(
    case: Case,
    service: rules.Service,
    read: exchange.Fetched | None,
    *,
    model: CheckModel | None,
    alert_open: bool,
    on: date,
) -> Verdict:
    """Everything about one case but reading and writing: ``read`` is what the exchange
    returned for the service's registry inputs (None: refused or unreadable, and the
    refusal is in the ledger already)."""
    reasons: list[str] = []
    facts: dict[str, Any] = dict(case.answers or {})
    sources: dict[str, str] = {n: "applicant" for n in facts}
    subject = ""
    if read is None:
        reasons.append("data_unavailable")
    else:
        facts.update(read.values)
        sources.update({n: code for code, names in read.datasets.items() for n in names})
        subject = read.subject
    decision = rules.decide(service, facts, on=on)
    payload = rules.decision_payload(decision, "en")
    # Pages show the explanation in the reader's language, as it was on the day.
    payload["explanation"] = {lang: rules.explain(decision, lang) for lang in ("en", "zh-Hans")}
    verdict = Verdict(
        outcome=decision.outcome, amount=decision.amount, facts=facts, sources=sources,
        input_hash=commitment(case.salt, facts), payload=payload, subject=subject,
    )  # fmt: skip
    if service.definition.risk == "high_impact":
        reasons.append("high_impact")
    if decision.outcome == "undetermined" and "data_unavailable" not in reasons:
        reasons.append("undetermined")
    if case.human_requested:
        reasons.append("human_requested")
    if alert_open:
        reasons.append("fairness_alert")
    if model is None:
        reasons.append("no_check_model")
    elif decision.outcome != "undetermined":
        verdict.score = second_check.score(model, service, facts, on)
        verdict.model_version = model.version
        if verdict.score.outcome != decision.outcome:
            reasons.append("disagreement")
        elif verdict.score.confidence < service.definition.review.min_confidence:
            reasons.append("low_confidence")
    verdict.reasons = reasons
    return verdict


def failed(case: Case, service: rules.Service, read: exchange.Fetched | None) -> Verdict:
    """A check that raised (registry values the rules refuse, say): a person decides,
    and the batch's other cases are not held up by this one."""
    facts = dict(case.answers or {}) | (dict(read.values) if read else {})
    return Verdict(
        outcome="undetermined", amount=None, facts=facts, sources={},
        input_hash=commitment(case.salt, facts), payload={"version": service.definition.version},
        reasons=["check_failed"], subject=read.subject if read else "",
    )  # fmt: skip


def read_inputs(
    session: Session, settings: Settings, service: rules.Service, cases: list[Case],
    recorder: ledger.Deferred,
) -> list[exchange.Fetched | None]:  # fmt: skip
    """The service's registry inputs for each case, read in one go through the exchange
    under the service's purpose; each read (or refusal) is recorded by ``recorder``."""
    registry = [n for n, s in service.definition.inputs.items() if s.source == "registry"]
    if not cases:
        return []
    results = exchange.fetch_many(
        session, settings, consumer=exchange.Consumer.service(service.id),
        subjects=[exchange.Subject(c.unit, c.subject_key) for c in cases], fields=registry,
        purpose=rules.purpose_of(service), cases=[c.ref for c in cases], recorder=recorder,
    )  # fmt: skip
    return [r if isinstance(r, exchange.Fetched) else None for r in results]
