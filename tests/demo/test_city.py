from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from smartgov.core.errors import Conflict
from smartgov.demo.city import generate
from smartgov.demo.models import Enterprise, Person
from smartgov.exchange.service import registry_counts


def test_it_streams_the_city_into_the_database(session: Session) -> None:
    counts = registry_counts(session)
    assert counts["people"] == 400
    assert counts["enterprises"] == 40
    assert 100 < counts["households"] < 400
    ids = session.scalar(select(func.count(func.distinct(Person.resident_id))))
    assert ids == 400


def test_it_refuses_to_overwrite_a_city_without_replace(engine: Engine, session: Session) -> None:
    before = session.scalar(select(func.max(Enterprise.credit_code)))
    with pytest.raises(Conflict, match="--replace"):
        generate(engine, people=10, enterprises=1, seed=1)
    assert session.scalar(select(func.max(Enterprise.credit_code))) == before
    assert registry_counts(session)["people"] == 400


def test_it_leaves_the_old_city_whole_when_generation_fails_midway(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartgov.demo import synth

    def broken(*_args: object) -> object:
        raise RuntimeError("disk full")  # after all people were written, before enterprises

    monkeypatch.setattr(synth, "enterprise_chunks", broken)
    before = registry_counts(session)
    with pytest.raises(RuntimeError):
        generate(engine, people=50, enterprises=5, seed=2, replace=True)
    session.rollback()
    assert registry_counts(session) == before
