"""A case as the API and the pages show it, in the reader's language: what was
decided and why, the facts used with where each came from, and what happens next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.cases import decide, notify, review
from smartgov.cases.models import Case, CaseDocument, Invitation, Notification
from smartgov.cases.schemas import (
    AmountProposal,
    CaseOut,
    CaseSummary,
    DocumentOut,
    EventOut,
    FactOut,
    InvitationOut,
    NotificationOut,
)
from smartgov.cases.workflow import STATE_LABELS, State
from smartgov.core import i18n
from smartgov.core.clock import aware, now
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import ROLE_LABELS, Role
from smartgov.core.settings import Settings
from smartgov.exchange import registries
from smartgov.exchange import service as exchange
from smartgov.rules import service as rules

NEXT_STEPS = {
    State.submitted: N_("Your application is being checked; most are decided within seconds."),
    State.checking: N_("Your application is being checked; most are decided within seconds."),
    State.awaiting_review: N_("A reviewer of the department decides by {due}."),
    State.needs_information: N_("Send the information the reviewer asked for."),
    State.decided: N_("If you think the decision is wrong, you can appeal once."),
    State.appealed: N_("A reviewer looks at your appeal and decides by {due}."),
    State.withdrawn: N_("You withdrew this application; nothing more will happen."),
}


def _pick(text: Any, language: str) -> str:
    if text is None:
        return ""
    return str(getattr(text, "zh" if language == "zh-Hans" else "en", text))


def overdue(case: Case) -> bool:
    open_states = (State.submitted, State.checking, State.awaiting_review, State.appealed)
    return State(case.state) in open_states and aware(case.due_at) < now()


def summary(case: Case) -> CaseSummary:
    return CaseSummary(
        ref=case.ref, service=case.service_id, state=case.state, priority=case.priority,
        submitted_at=case.submitted_at, due_at=case.due_at, overdue=overdue(case),
        outcome=case.outcome, review_reasons=case.review_reasons,
    )  # fmt: skip


def case_out(
    session: Session, settings: Settings, case: Case, language: str, events: list[Any], viewer: User
) -> CaseOut:
    _ = i18n.translator(language)
    service = rules.services(settings).get(case.service_id)
    decision = case.decision or {}
    explanation = decision.get("explanation", {})
    text = explanation.get(language) or explanation.get("en") or ""
    facts = []
    known = registries.fields(service.definition.unit) if service else {}
    titles = exchange.dataset_titles(session, language)
    for name, value in (case.facts or {}).items():
        spec = service.definition.inputs.get(name) if service else None
        label = _pick(spec.label, language) if spec and spec.label else ""
        if not label and service and name in service.symbols:
            label = _pick(service.symbols[name].label, language)
        if not label and name in known:  # a registry field: the city's words for it
            label = _(known[name].label)
        source = (case.sources or {}).get(name, "")
        facts.append(FactOut(name=name, label=label or name, value=value, source=source,
                             source_name=titles.get(source)
                             or _("The application form")))  # fmt: skip
    state = State(case.state)
    step = _(NEXT_STEPS[state]).format(due=aware(case.due_at).date().isoformat())
    return CaseOut(
        ref=case.ref, service=case.service_id,
        service_name=_pick(service.definition.name, language) if service else case.service_id,
        unit=case.unit, channel=case.channel, state=case.state,
        state_label=_(STATE_LABELS[state]), version=case.version,
        submitted_at=case.submitted_at, due_at=case.due_at, overdue=overdue(case),
        decided_at=case.decided_at, outcome=case.outcome, amount=case.amount,
        period=decision.get("period"), automated=case.automated,
        automated_outcome=case.automated_outcome, review_reasons=case.review_reasons,
        review_reason_texts=[_(decide.REASONS.get(r, r)) for r in case.review_reasons],
        rule_version=case.rule_version, model_version=case.model_version,
        model_score=case.model_score,
        contributions=[tuple(c) for c in decision.get("contributions", [])],
        input_hash=case.input_hash, explanation=[line for line in text.splitlines() if line],
        documents=[DocumentOut(kind=d.kind, filename=d.filename, size=d.size,
                               content_type=d.content_type, sha256=d.sha256)
                   for d in session.scalars(select(CaseDocument)
                                            .where(CaseDocument.case_id == case.id)
                                            .order_by(CaseDocument.id))],
        facts=facts, trace=decision.get("trace") or {}, ledger_index=case.decision_seq,
        # The reviewer's starting point, for the reviewer only: to an applicant the
        # formula's figure on a refused case would read as a promise.
        amount_proposal=AmountProposal.model_validate(review.amount_proposal(case))
        if review.may_review(case, viewer) else None,
        justification=case.justification,
        appeal_reason=case.appeal_reason, appeal_result=case.appeal_result, next_step=step,
        events=[EventOut.model_validate(e, from_attributes=True) for e in events],
    )  # fmt: skip


@dataclass(frozen=True)
class HomeItem:
    ref: str
    service_name: str
    state: str
    state_label: str
    next_step: str
    submitted_at: datetime


def home_item(settings: Settings, case: Case, language: str) -> HomeItem:
    _ = i18n.translator(language)
    service = rules.services(settings).get(case.service_id)
    state = State(case.state)
    return HomeItem(
        ref=case.ref,
        service_name=_pick(service.definition.name, language) if service else case.service_id,
        state=case.state,
        state_label=_(STATE_LABELS[state]),
        next_step=_(NEXT_STEPS[state]).format(due=aware(case.due_at).date().isoformat()),
        submitted_at=case.submitted_at,
    )


def invitation(
    session: Session, settings: Settings, item: Invitation, language: str
) -> InvitationOut:
    service = rules.services(settings).get(item.service_id)
    case = session.scalar(select(Case.ref).where(Case.id == item.case_id)) if item.case_id else None
    return InvitationOut(
        ref=item.ref, service=item.service_id,
        service_name=_pick(service.definition.name, language) if service else item.service_id,
        amount=item.amount, created_at=item.created_at, status=item.status,
        case=case,
    )  # fmt: skip


def notification(item: Notification, language: str) -> NotificationOut:
    return NotificationOut(
        kind=item.kind, text=notify.text(item, language), case=item.params.get("ref"),
        created_at=item.created_at, read=item.read_at is not None,
    )  # fmt: skip


#: What each step of a case's history is called.
ACTIONS = {
    "submit": N_("Application received"),
    "check": N_("Automated check started"),
    "decide": N_("Decided automatically"),
    "route_to_review": N_("Sent to a reviewer"),
    "review_decide": N_("Decided by a reviewer"),
    "ask_information": N_("More information asked for"),
    "respond": N_("Information sent"),
    "appeal": N_("Appeal lodged"),
    "appeal_decide": N_("Appeal decided"),
    "withdraw": N_("Application withdrawn"),
}
CHANNEL_WORDS = {
    "online": N_("Online"), "mobile": N_("Mobile"),
    "counter": N_("At the counter"), "phone": N_("By phone"),
}  # fmt: skip
OUTCOMES = {
    "eligible": N_("Eligible"),
    "ineligible": N_("Not eligible"),
    "undetermined": N_("Could not be decided"),
}


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str  # the words for it
    actor: str  # who, in words: you, the automated check, a role and department
    reason: str  # what they wrote, or why, in words; "" when nothing


def history(
    session: Session, events: list[Any], viewer: User, language: str, departments: dict[str, str]
) -> list[Step]:
    """A case's history in words: no step names, account numbers or reason codes."""
    _ = i18n.translator(language)
    ids = {int(e.actor[5:]) for e in events if re.fullmatch(r"user:\d+", e.actor)}
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    steps = []
    for e in events:
        if e.actor == "worker":
            actor = _("The automated check")
        elif e.actor.startswith("user:") and e.actor[5:].isdigit():
            who = people.get(int(e.actor[5:]))
            if who is None:
                actor = _("A member of staff")
            elif who.id == viewer.id:
                actor = _("You")
            else:
                actor = _(ROLE_LABELS[Role(who.role)])
                if who.department_code in departments:
                    actor += f", {departments[who.department_code]}"
        else:
            actor = _("The system")
        if e.action == "route_to_review" and e.reason:
            codes = [r.strip() for r in e.reason.split(",")]
            reason = " ".join(_(decide.REASONS.get(code, code)) for code in codes)
        elif e.reason in decide.REASONS:
            reason = _(decide.REASONS[e.reason])
        elif e.reason == "automated":
            reason = ""
        elif e.action == "submit":  # the channel it came by
            reason = _(CHANNEL_WORDS.get(e.reason or "", e.reason or ""))
        else:
            reason = e.reason or ""
        steps.append(Step(at=e.at, action=_(ACTIONS.get(e.action, e.action)), actor=actor,
                          reason=reason))  # fmt: skip
    return steps


def last_request(events: list[Any]) -> str | None:
    """What the reviewer last asked the applicant for."""
    asked = [e.reason for e in events if e.action == "ask_information" and e.reason]
    return asked[-1] if asked else None
