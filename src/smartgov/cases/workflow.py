"""The states a case goes through and the only moves between them. Every move is an
event (who, when, why) in the case log that process mining reads, and bumps the case's
version, so two people acting on the same case at once cannot both succeed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from smartgov.cases.models import Case, CaseEvent
from smartgov.core.clock import now
from smartgov.core.errors import Conflict, FieldError
from smartgov.core.i18n import N_


class State(StrEnum):
    submitted = "submitted"  # waiting for the decision worker
    checking = "checking"  # claimed by a worker (inside its transaction only)
    awaiting_review = "awaiting_review"  # a person decides
    needs_information = "needs_information"  # back with the applicant
    decided = "decided"
    appealed = "appealed"  # a reviewer looks again
    withdrawn = "withdrawn"


#: Every allowed move. Appeals end in ``decided`` again, with an appeal result.
MOVES: dict[State, frozenset[State]] = {
    State.submitted: frozenset({State.checking, State.withdrawn}),
    State.checking: frozenset({State.decided, State.awaiting_review}),
    State.awaiting_review: frozenset({State.decided, State.needs_information, State.withdrawn}),
    State.needs_information: frozenset({State.submitted, State.withdrawn}),
    State.decided: frozenset({State.appealed}),
    State.appealed: frozenset({State.decided}),
    State.withdrawn: frozenset(),
}

OPEN = frozenset({State.submitted, State.checking, State.awaiting_review, State.appealed})

STATE_LABELS = {
    State.submitted: N_("Submitted"),
    State.checking: N_("Being checked"),
    State.awaiting_review: N_("Waiting for a reviewer"),
    State.needs_information: N_("More information needed"),
    State.decided: N_("Decided"),
    State.appealed: N_("Appeal being reviewed"),
    State.withdrawn: N_("Withdrawn"),
}

_EVENT = insert(CaseEvent)


def check_version(case: Case, expected: int | None) -> None:
    """Refuse an action taken on a stale page (the case changed since it was shown)."""
    if expected is not None and expected != case.version:
        raise _changed(case.version)


def move(
    session: Session,
    case: Case,
    to: State,
    *,
    action: str,
    actor: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Move ``case`` to ``to`` and log it, or refuse with a message that says why.

    ``expected_version`` is the version the person saw: if the case has changed since,
    their action would rest on a stale page. The flush below also fails if another
    transaction changed the case since this one read it (the ORM's version check)."""
    check_version(case, expected_version)
    event = shift(case, to, action=action, actor=actor, reason=reason)
    try:
        session.flush()
    except StaleDataError:  # another person's action on the case committed first
        raise _changed(None) from None
    log_many(session, [event])


def _changed(version: int | None) -> Conflict:
    message = N_("This case changed while you were looking at it. Reload it and try again.")
    if version is None:
        return Conflict(message, [FieldError("version", N_("Someone acted on it just now."))])
    return Conflict(message, [FieldError("version", N_("The case is now at version {version}."),
                                         {"version": version})])  # fmt: skip


def shift(
    case: Case, to: State, *, action: str, actor: str, reason: str | None = None
) -> dict[str, object]:
    """The move itself, with nothing written yet: the event row comes back, for
    ``move`` or a worker's batch to insert (``log_many``). The case's version is
    checked when the session flushes."""
    here = State(case.state)
    if to not in MOVES[here]:
        raise Conflict(
            N_("This cannot be done to the case in its present state."),
            [FieldError("state", N_("The case is {state}."), {"state": here.value})],
        )
    case.state = to.value
    case.updated_at = at = now()
    return event(case.id, at, action, here.value, to.value, actor, reason)


def event(case_id: int, at: datetime, action: str, frm: str | None, to: str, actor: str,
          reason: str | None = None) -> dict[str, object]:  # fmt: skip
    """A ``case_event`` row, for ``log_many``."""
    return {"case_id": case_id, "at": at, "action": action, "from_state": frm,
            "to_state": to, "actor": actor, "reason": reason}  # fmt: skip


def log_many(session: Session, events: list[dict[str, object]]) -> None:
    if events:
        session.execute(_EVENT, events)
