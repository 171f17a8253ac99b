"""Every YAML test case beside every shipped service, run by pytest (as by the CLI)."""

from __future__ import annotations

import dataclasses

import pytest

from smartgov.rules.casetests import run_tests
from smartgov.rules.compiled import Service
from tests.rules.conftest import SHIPPED


@pytest.mark.parametrize("service_id", SHIPPED)
def test_it_passes_the_services_own_cases(shipped: dict[str, Service], service_id: str) -> None:
    results = run_tests(shipped[service_id])
    assert len(results) >= 10, "each shipped service carries at least ten cases"
    failed = [str(r) for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def test_it_reports_a_wrong_expectation_with_its_line(shipped: dict[str, Service]) -> None:
    service = shipped["old-age-allowance"]
    case = service.tests[0].model_copy(update={"output": {"outcome": "ineligible", "amount": 1}})
    broken = dataclasses.replace(service, tests=[case], _compiled={})
    (result,) = run_tests(broken)
    assert not result.passed
    assert "outcome: expected 'ineligible', got 'eligible'" in result.failures
    assert str(result).count("tests.yaml:2:") == 2


def test_it_has_six_shipped_services_with_legal_basis(shipped: dict[str, Service]) -> None:
    assert len(shipped) >= 6
    for service in shipped.values():
        assert service.definition.legal_basis
        assert any(ref.url for ref in service.definition.legal_basis)


def test_it_proposes_the_formula_s_amount_where_the_case_is_not_eligible(
    shipped: dict[str, Service],
) -> None:
    """What a reviewer approving a refused case is offered: the amount formula on the
    case's facts (None where the facts do not give one), and the service's maximum."""
    from datetime import date

    from smartgov.rules.evaluate import decide

    service = shipped["minimum-living-allowance"]
    on = date(2026, 6, 1)  # the line is 1,100 yuan a month per person
    poor = decide(service, {"size": 3, "income": 1500, "savings": 0}, on=on)
    assert poor.outcome == "eligible" and poor.amount == poor.proposed_amount == 1800
    saver = decide(service, {"size": 3, "income": 1500, "savings": 10**7}, on=on)
    assert saver.outcome == "ineligible" and saver.amount == 0 and saver.proposed_amount == 1800
    rich = decide(service, {"size": 1, "income": 9000, "savings": 0}, on=on)
    assert rich.proposed_amount == 50  # the smallest payment, as the formula says
    unknown = decide(service, {"size": 3, "income": None, "savings": 0}, on=on)
    assert unknown.outcome == "undetermined" and unknown.proposed_amount is None
    assert poor.maximum == saver.maximum == unknown.maximum == 11000
