"""What a purpose binds a person's read to. A purpose names why data is read; for some,
saying so is not enough:

* a case-bound purpose (``case-review``) reads only for a case that exists, is open,
  belongs to the reader's department and concerns the subject, so nobody reviews the
  neighbour "for a case";
* a purpose with its own door (``counter-service``) is served only there: the counter
  lookup asks for the full resident ID with a valid check digit, so the generic fetch
  cannot walk the register by sequential number.

Cases live above the exchange, so the exchange asks a ``CaseBinding`` the caller
passes (the server's is ``cases.service.binds_read``); without one, a case-bound read
is refused: access is denied unless something grants it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from smartgov.exchange.access import Subject

CASE_BOUND = frozenset({"case-review"})
OWN_DOOR = frozenset({"counter-service"})
#: Statistical purposes: whole populations read for aggregates only, each read listed
#: publicly: official figures (the district table staff see) and reforms' simulations.
OFFICIAL_STATISTICS = "official-statistics"
POLICY_SIMULATION = "policy-simulation"
#: The person fields the district figures are made from.
DISTRICT_FIELDS = ("district_code", "birth_date", "disability_grade", "employment",
                   "monthly_income")  # fmt: skip


class CaseBinding(Protocol):
    def __call__(
        self, session: Session, case: str, department: str | None, subject: Subject
    ) -> str | None:
        """None when ``case`` binds a read of ``subject`` by ``department``; otherwise
        the message (untranslated) that says why not."""
