"""Services over the API and on pages: reading, deciding with a trace, simulating."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, csrf_of, login


def test_it_lists_and_shows_services_to_anyone(client: TestClient) -> None:
    listed = client.get("/api/v1/services", headers={"Accept-Language": "en"}).json()
    ids = {s["id"] for s in listed}
    assert {"old-age-allowance", "minimum-living-allowance", "startup-subsidy"} <= ids
    shown = client.get("/api/v1/services/old-age-allowance").json()
    assert shown["legal_basis"][0]["article"]["zh"] == "第三十三条"
    assert client.get("/api/v1/services/no-such-service").status_code == 404


def test_it_decides_with_a_trace_for_officers(client: TestClient) -> None:
    body = {"facts": {"birth_date": "1940-02-01"}, "on": "2026-06-01"}
    headers = {**bearer(client, "officer"), "Accept-Language": "en"}
    decision = client.post(
        "/api/v1/services/old-age-allowance/decide", json=body, headers=headers
    ).json()
    assert decision["outcome"] == "eligible" and decision["amount"] == 120
    values = {v["name"]: v["value"] for v in decision["trace"]["values"]}
    assert values["age"] == 86
    params = {p["name"]: p for p in decision["trace"]["parameters"]}
    assert params["amount_80"]["since"] == "2026-01-01"
    assert decision["trace"]["tables"][0]["rows"][0]["row"] == 3
    assert "Article 33" in decision["explanation"]


def test_it_refuses_deciding_to_citizens(client: TestClient) -> None:
    body = {"facts": {"birth_date": "1940-02-01"}}
    response = client.post(
        "/api/v1/services/old-age-allowance/decide", json=body, headers=bearer(client, "citizen")
    )
    assert response.status_code == 403


def test_it_names_each_wrong_fact(client: TestClient) -> None:
    body = {"facts": {"birth_date": "1940-02-31", "shoe_size": 42}}
    response = client.post(
        "/api/v1/services/old-age-allowance/decide",
        json=body,
        headers={**bearer(client, "analyst"), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields == {
        "facts.shoe_size": "This is not an input of the service.",
        "facts.birth_date": "Enter a date as YYYY-MM-DD.",
    }


def test_it_simulates_a_reform_for_analysts(client: TestClient) -> None:
    """Over the registries, the comparison is released with noise and charged to the
    analyst's allowances; the read is listed publicly (closeness to the truth is
    tested in test_private_simulation on a population large enough to show it)."""
    body = {
        "reform": {
            "name": {"zh": "提高标准", "en": "Raise the line"},
            "parameters": {"line": 1500},
        },
        "on": "2026-06-01",
        "epsilon": 0.1,
    }
    url = "/api/v1/services/minimum-living-allowance/simulate"
    assert client.post(url, json=body, headers=bearer(client, "officer")).status_code == 403
    analyst = bearer(client, "analyst")
    before = {
        a["dataset_code"]: a["epsilon"] - a["spent"]
        for a in client.get("/api/v1/statistics/allowances", headers=analyst).json()
        if a["consumer"] == "role:analyst"
    }
    answer = client.post(url, json=body, headers=analyst)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    privacy = result["privacy"]
    assert privacy["epsilon"] == 0.1 and privacy["left_out"] == ["income"]
    read = set(privacy["budget_left"])
    assert {"taxation.households", "civil_affairs.households"} <= read
    for code, left in privacy["budget_left"].items():
        assert left == pytest.approx(before[code] - 0.1)
    assert set(result["breakdowns"]) == {"district", "gender", "age_band", "disability"}
    assert set(result["breakdowns"]["gender"]) == {"M", "F", "unknown"}
    listed = client.get("/api/v1/statistics/population-reads").json()[0]
    assert listed["purpose"] == "policy-simulation" and listed["outcome"] == "granted"
    assert listed["unit"] == "household" and listed["rows"] > 100
    assert set(listed["fields"]) == read
    assert listed["consumer"].startswith("user:") and "analyst" not in str(listed)
    page = client.get("/statistics/population-reads", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and f"/ledger/entries/{listed['seq']}" in page.text


def test_it_refuses_a_reform_of_an_unknown_parameter(client: TestClient) -> None:
    body = {"reform": {"name": {"zh": "x", "en": "x"}, "parameters": {"lines": 1500}}}
    response = client.post(
        "/api/v1/services/minimum-living-allowance/simulate",
        json=body,
        headers=bearer(client, "analyst"),
    )
    assert response.status_code == 422
    (field,) = response.json()["error"]["fields"]
    assert field["field"] == "reform.parameters.lines"
    assert "not a parameter" in field["message"] and "line" in field["message"]


def test_it_shows_rules_beside_their_legal_basis(client: TestClient) -> None:
    page = client.get("/services/unemployment-insurance-benefit", headers={"Accept-Language": "zh"})
    assert page.status_code == 200
    assert "失业保险条例" in page.text and "第十七条" in page.text
    assert "insurance_months &gt;= 120" in page.text
    assert client.get("/services", headers={"Accept-Language": "en"}).status_code == 200


def test_it_runs_a_reform_from_the_simulation_page(client: TestClient) -> None:
    anonymous = client.get("/services/old-age-allowance/simulate", follow_redirects=False)
    assert anonymous.status_code == 303
    login(client, "analyst")
    form = client.get("/services/old-age-allowance/simulate")
    assert form.status_code == 200
    page = client.post(
        "/services/old-age-allowance/simulate",
        data={
            "csrf_token": csrf_of(form.text),
            "on": "2026-06-01",
            "p.minimum_age": "75",
            "p.amount_80": "150",
            "p.amount_90": "300",
            "p.amount_100": "600",
        },
    )
    assert page.status_code == 200, page.text
    assert "data:image/svg+xml;base64," in page.text
    bad = client.post(
        "/services/old-age-allowance/simulate",
        data={"csrf_token": csrf_of(form.text), "on": "2026-06-01", "p.amount_80": "a lot"},
    )
    assert bad.status_code == 422 and "p.amount_80" in bad.text


def test_the_statistical_reads_are_public_but_name_nobody_and_figures_stay_staff_only(
    client: TestClient,
) -> None:
    """The public list says who read what for which purpose, never a person or a
    value; the figures themselves stay with the staff their grants name."""
    citizen = bearer(client, "citizen")
    assert client.get("/api/v1/statistics/districts", headers=citizen).status_code == 403
    body = {"reform": {"name": {"zh": "x", "en": "x"}, "parameters": {"line": 1400}}}
    simulate = "/api/v1/services/minimum-living-allowance/simulate"
    assert client.post(simulate, json=body, headers=citizen).status_code == 403
    assert client.post(simulate, json=body).status_code == 401
    listed = client.get("/api/v1/statistics/population-reads").json()
    for read in listed:
        assert set(read) == {"seq", "at", "outcome", "consumer", "department_code", "purpose",
                             "unit", "fields", "rows", "proof"}  # fmt: skip
        kind, _, who = read["consumer"].partition(":")
        assert kind == "service" or (kind == "user" and who.isdigit())  # a number, no name
