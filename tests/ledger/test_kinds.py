"""Each kind of ledger entry has a schema, checked at append and published: an unknown
kind, a field nobody planned (a name, say) or a value of the wrong type is refused, and
the refusal never repeats the value."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from smartgov.ledger import kinds, service


def access(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "kind": "access", "outcome": "granted", "consumer": "user:3", "role": "reviewer",
        "department": "civil_affairs", "on_behalf_of": None, "purpose": "case-review",
        "legal_basis": "art. 10", "case": "C-1", "subject": "ab" * 16, "unit": "person",
        "fields": {"taxation.people": ["monthly_income"]}, "hold_until": None, "reason": None,
    }  # fmt: skip
    return {**record, **changes}


def test_it_appends_what_the_schema_allows(session: Session) -> None:
    seq = service.append(session, [access()])[0]
    entry = service.entry(session, seq)
    assert entry is not None and entry.kind == "access"


@pytest.mark.parametrize(
    ("record", "names"),
    [
        (access(name="Alice Example"), "name: extra_forbidden"),
        (access(subject="Alice Example"), "subject: string_pattern_mismatch"),
        (access(outcome="maybe"), "outcome: literal_error"),
        (access(fields=["monthly_income"]), "fields: dict_type"),
        ({"kind": "gossip", "text": "Alice Example"}, "no ledger entry kind 'gossip'"),
    ],
)
def test_it_refuses_what_no_schema_allows_without_repeating_it(
    session: Session, record: dict[str, object], names: str
) -> None:
    before = service.size(session)
    with pytest.raises(kinds.EntryRefused) as refused:
        service.append(session, [access(), record])
    assert names in str(refused.value)
    assert "Alice" not in str(refused.value)
    assert service.size(session) == before  # the whole batch, not half of it


def test_a_reviewers_words_are_not_a_field_of_a_review() -> None:
    review = {
        "kind": "review", "time": "2026-12-03T08:00:00.000+00:00", "case": "C-1",
        "service": "s", "outcome": "eligible", "automated_outcome": "ineligible",
        "override": True, "appeal_result": None, "reviewer": "user:4",
        "justification_hash": None, "input_hash": None,
    }  # fmt: skip
    kinds.check([review])
    with pytest.raises(kinds.EntryRefused, match="justification: extra_forbidden"):
        kinds.check([{**review, "justification": "the applicant's illness"}])
    with pytest.raises(kinds.EntryRefused, match="justification_hash: string_pattern"):
        kinds.check([{**review, "justification_hash": "the applicant's illness"}])


def test_it_publishes_every_kinds_schema(client: TestClient) -> None:
    published = client.get("/api/v1/ledger/schemas").json()
    expected = {"access", "alert", "appeal", "appeal_lodged", "check", "dataset", "decision",
                "grant", "model", "review", "source", "statistic", "sweep"}  # fmt: skip
    assert expected <= set(published)
    review = published["review"]
    assert review["additionalProperties"] is False
    assert "justification_hash" in review["properties"]
    assert "justification" not in review["properties"]
