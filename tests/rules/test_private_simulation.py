"""Simulations over the registries: read through the exchange under the analyst's grants,
listed publicly, released with OpenDP noise charged to the keeping departments'
allowances, all or nothing."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smartgov.core.errors import Invalid
from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.demo import fields
from smartgov.exchange import service as exchange
from smartgov.exchange.models import Grant, PopulationRead, PrivacyAllowance
from smartgov.rules import reforms, simulate
from smartgov.rules import service as rules

SERVICE = "minimum-living-allowance"
RAISE = {"name": {"zh": "提高标准", "en": "Raise the line"}, "service": SERVICE,
         "parameters": {"line": 1500}}  # fmt: skip
ON = date(2026, 6, 1)


def analyst(session: Session) -> User:
    found = session.scalar(select(User).where(User.username == "analyst"))
    assert found is not None
    return found


def test_the_noise_is_calibrated_to_the_sensitivity_and_epsilon() -> None:
    """Laplace noise of scale sensitivity / epsilon: its mean absolute value is the
    scale (20,000 draws put the sample mean within 2% with overwhelming odds)."""
    noisy = exchange.laplace(np.zeros(20_000), 4.0, 0.1)
    assert np.mean(np.abs(noisy)) == pytest.approx(40.0, rel=0.02)
    assert abs(np.mean(noisy)) < 2.0


def test_private_figures_keep_public_groups_and_approach_the_truth(
    session: Session, settings: Settings
) -> None:
    households = fields.population(session, "household")
    base = rules.get_service(settings, SERVICE)
    definition, located = reforms.reform_from_data(RAISE)
    reformed = reforms.apply(base, definition, located)
    exact = simulate.compare(base, reformed, households, on=ON, min_cell=1)
    districts = exchange.district_codes(session)
    keys = simulate.public_keys("household", districts)
    private = simulate.Privacy(1e9, 1e6, keys, exchange.laplace)  # a bound nobody reaches
    noisy = simulate.compare(base, reformed, households, on=ON, min_cell=1, private=private)
    # With an enormous epsilon the noise vanishes: the figures are the truth, rounded.
    assert noisy.total.people == exact.total.people
    assert noisy.total.reform_beneficiaries == exact.total.reform_beneficiaries
    assert noisy.total.reform_cost == pytest.approx(exact.total.reform_cost, abs=1.0)
    # Every public group is released, those nobody is in too, and nothing else.
    assert list(noisy.breakdowns["district"]) == [*districts, "unknown"]
    assert set(noisy.breakdowns["age_band"]) == {"18-39", "40-59", "60-79", "80+"}
    assert "income_decile" not in noisy.breakdowns and "income_decile" in exact.breakdowns
    assert noisy.privacy == {"epsilon": 1e9, "cost_bound": 1e6, "left_out": ["income"]}
    # A lower bound counts each household's yearly cost up to it, no further.
    bounded = simulate.Privacy(1e6, 1_000.0, keys, exchange.laplace)
    capped = simulate.compare(base, reformed, households, on=ON, min_cell=1, private=bounded)
    assert capped.total.reform_cost <= 1_000.0 * capped.total.reform_beneficiaries + 1


def test_a_simulation_reads_under_grants_and_is_listed_publicly(
    session: Session, settings: Settings
) -> None:
    user = analyst(session)
    comparison, _setup = rules.simulate_registry(
        session, settings, user, rules.get_service(settings, SERVICE), RAISE, on=ON, epsilon=0.05
    )
    read = session.scalars(select(PopulationRead).order_by(PopulationRead.seq.desc())).first()
    assert read is not None and read.outcome == "granted"
    assert read.consumer == f"user:{user.id}" and read.purpose == rules.SIMULATION_PURPOSE
    assert read.rows > 100
    assert sorted(read.fields) == sorted(comparison.privacy["budget_left"])  # type: ignore[index]


def test_a_simulation_without_a_grant_is_refused_and_recorded(
    session: Session, settings: Settings
) -> None:
    session.execute(
        update(Grant)
        .where(Grant.consumer == "analyst", Grant.dataset_code == "taxation.households")
        .values(revoked_at=Grant.valid_from)
    )
    with pytest.raises(exchange.Refused) as refused:
        rules.simulate_registry(
            session, settings, analyst(session), rules.get_service(settings, SERVICE), RAISE, on=ON
        )
    assert refused.value.status == 403
    assert {f.field for f in refused.value.fields} == {"income"}
    read = session.scalars(select(PopulationRead).order_by(PopulationRead.seq.desc())).first()
    assert read is not None and read.outcome == "refused" and read.rows == 0


def test_a_simulation_charges_every_dataset_or_none(session: Session, settings: Settings) -> None:
    """One dataset whose allowance is short refuses the whole release: the others are
    not charged either, and the refusal is in the ledger."""
    allowances = {a.dataset_code: a for a in session.scalars(
        select(PrivacyAllowance).where(PrivacyAllowance.consumer == "role:analyst"))}  # fmt: skip
    short = allowances["taxation.households"]
    short.spent = short.epsilon - 0.01
    session.flush()
    spent = {code: a.spent for code, a in allowances.items()}
    with pytest.raises(exchange.Refused) as refused:
        rules.simulate_registry(session, settings, analyst(session),
                                rules.get_service(settings, SERVICE), RAISE, on=ON,
                                epsilon=0.1)  # fmt: skip
    assert refused.value.status == 409
    assert "taxation.households" in refused.value.fields[0].text()
    for code, allowance in allowances.items():
        session.refresh(allowance)
        assert allowance.spent == pytest.approx(spent[code]), code


def test_bad_privacy_settings_are_refused_by_field(session: Session, settings: Settings) -> None:
    service = rules.get_service(settings, SERVICE)
    for asked, name in (({"epsilon": 0.0}, "epsilon"), ({"epsilon": float("nan")}, "epsilon"),
                        ({"cost_bound": -1.0}, "cost_bound"),
                        ({"cost_bound": float("inf")}, "cost_bound")):  # fmt: skip
        with pytest.raises(Invalid) as invalid:
            rules.simulate_registry(
                session, settings, analyst(session), service, RAISE, on=ON, **asked
            )  # type: ignore[arg-type]
        assert [f.field for f in invalid.value.fields] == [name]


def test_the_demo_grants_say_which_department_gave_them(session: Session) -> None:
    """The demo's role grants are made at set-up as each keeping department would, and
    the ledger says so; none is the anonymous system's."""
    # Role grants other tests make through the API name their officer (user:N).
    grants = [g for g in session.scalars(select(Grant).where(Grant.consumer_kind == "role"))
              if not g.created_by.startswith("user:")]  # fmt: skip
    assert grants and all(g.created_by == f"demo:{g.dataset_code.split('.')[0]}" for g in grants)
    simulation = [g for g in grants if g.purpose == rules.SIMULATION_PURPOSE]
    assert all(g.created_by == f"demo:{g.dataset_code.split('.')[0]}" for g in simulation)
