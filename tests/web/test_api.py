from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.core.models import User
from smartgov.core.settings import Settings
from smartgov.exchange import service as exchange
from smartgov.exchange.models import PopulationRead
from tests.conftest import bearer


def test_it_serves_openapi_and_the_docs_page(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/token" in spec["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in docs.text


def test_its_openapi_document_declares_bearer_tokens_and_lists_each_route_once(
    client: TestClient,
) -> None:
    """Issue 16: /docs had no Authorize button, and exchange routes appeared twice."""
    spec = client.get("/api/v1/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {**schemes["HTTPBearer"], "type": "http", "scheme": "bearer"}
    fetch = spec["paths"]["/api/v1/exchange/fetch"]["post"]
    assert {"HTTPBearer": []} in fetch["security"]
    many = [
        (path, verb, op["tags"])
        for path, verbs in spec["paths"].items()
        for verb, op in verbs.items()
        if len(op.get("tags", [])) != 1
    ]
    assert many == []
    # The token the document describes opens a route in "Try it out".
    token = bearer(client, "officer")
    assert client.get("/api/v1/grants", headers=token).status_code == 200
    assert client.get("/api/v1/grants", headers={"Authorization": "Basic x"}).status_code == 401


def test_it_issues_tokens_and_knows_who_is_calling(client: TestClient) -> None:
    me = client.get("/api/v1/me", headers=bearer(client, "analyst")).json()
    assert me["username"] == "analyst" and me["role"] == "analyst"
    assert "password_hash" not in me


def test_it_trusts_a_checked_token_for_a_few_seconds_only_if_set(settings, engine, cast) -> None:  # type: ignore[no-untyped-def]
    """The documented trade-off of SMARTGOV_TOKEN_CACHE_SECONDS: a token removed from
    the database still works in a process that checked it moments ago, unless 0."""
    from sqlalchemy import delete

    from smartgov.core.db import make_sessionmaker, transaction
    from smartgov.core.models import ApiToken
    from smartgov.server.app import create_app

    for seconds, afterwards in ((60, 200), (0, 401)):
        app = create_app(settings.model_copy(update={"token_cache_seconds": seconds}))
        with TestClient(app) as c:
            headers = bearer(c, "analyst")
            assert c.get("/api/v1/me", headers=headers).status_code == 200
            with transaction(make_sessionmaker(engine)) as session:
                session.execute(delete(ApiToken))
            assert c.get("/api/v1/me", headers=headers).status_code == afterwards


def test_it_freezes_its_startup_heap_while_it_serves(settings, engine, cast) -> None:  # type: ignore[no-untyped-def]
    """The collector's full passes would otherwise walk everything built at startup
    and stall requests (the API read's p99, docs/benchmarks.md)."""
    import gc

    from smartgov.server.app import create_app

    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_it_answers_401_in_the_callers_language(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "请登录。"
    assert response.headers["www-authenticate"] == "Bearer"


def test_it_ignores_session_cookies_on_the_api(client: TestClient) -> None:
    from tests.conftest import login

    login(client, "analyst")
    assert client.get("/api/v1/me").status_code == 401


def test_it_gives_field_level_messages_for_malformed_requests(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token",
        json={"username": "analyst", "days": "many"},
        headers={"Accept-Language": "zh"},
    )
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields == {"password": "此项为必填项。", "days": "请输入整数。"}


def test_it_refuses_bad_credentials_without_saying_which_part(client: TestClient) -> None:
    for username in ("analyst", "nobody"):
        response = client.post(
            "/api/v1/auth/token",
            json={"username": username, "password": "wrong-one"},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "Wrong username or password."


def test_it_forbids_what_a_role_may_not_do(client: TestClient) -> None:
    response = client.get("/api/v1/users", headers=bearer(client, "citizen"))
    assert response.status_code == 403
    assert client.get("/api/v1/users", headers=bearer(client, "auditor")).status_code == 200


def test_it_shows_citizens_only_their_own_record(client: TestClient, cast) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(client, "citizen")
    own = client.get("/api/v1/me/record", headers=headers).json()
    assert own["person"]["id"] == cast["citizen"].person_id
    other = cast["citizen"].person_id + 1
    assert client.get(f"/api/v1/registry/people/{other}", headers=headers).status_code == 403


def test_it_limits_staff_to_their_departments_registries(client: TestClient, cast) -> None:  # type: ignore[no-untyped-def]
    police = bearer(client, "officer")
    market = bearer(client, "market")
    assert client.get("/api/v1/registry/people/3", headers=police).status_code == 200
    denied = client.get("/api/v1/registry/people/3", headers=market)
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "本部门不管理该登记库。"
    assert client.get("/api/v1/registry/enterprises/1", headers=market).status_code == 200
    assert client.get("/api/v1/registry/enterprises/1", headers=police).status_code == 403
    assert client.get("/api/v1/registry/people/999999", headers=police).status_code == 404


def test_it_gives_analysts_aggregates_read_through_the_exchange(client: TestClient) -> None:
    answer = client.get("/api/v1/statistics/districts", headers=bearer(client, "analyst"))
    assert answer.status_code == 200, answer.text
    rows = answer.json()
    assert len(rows) == 8 and 350 <= sum(r["people"] or 0 for r in rows) <= 400
    counts = [r[k] for r in rows for k in ("people", "aged_60_plus", "with_disability")]
    assert None in counts  # a small group is withheld, not shown
    assert all(c is None or c == 0 or c >= 10 for c in counts)
    read = client.get("/api/v1/statistics/population-reads").json()[0]
    assert read["purpose"] == "official-statistics" and read["rows"] == 400
    assert read["fields"]["civil_affairs.people"] == ["disability_grade"]


def test_district_figures_need_a_grant_for_official_statistics(
    session: Session, settings: Settings
) -> None:
    reviewer = session.scalars(select(User).where(User.username == "reviewer")).one()
    assert exchange.population_by_district(session, settings, reviewer, if_granted=True) is None
    with pytest.raises(exchange.Refused) as refused:
        exchange.population_by_district(session, settings, reviewer)
    assert refused.value.status == 403
    read = session.scalars(select(PopulationRead).order_by(PopulationRead.seq.desc())).first()
    assert read is not None and read.outcome == "refused"
    assert read.consumer == f"user:{reviewer.id}" and read.purpose == "official-statistics"


def test_it_returns_json_404s_under_the_api(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "http_error"


def test_it_lists_the_organisation_publicly(client: TestClient) -> None:
    assert len(client.get("/api/v1/districts").json()) == 8
    assert {d["code"] for d in client.get("/api/v1/departments").json()} >= {"taxation", "hrss"}


def test_it_writes_nothing_when_a_request_fails(client: TestClient, session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from smartgov.core.models import ApiToken

    before = session.scalar(select(func.count()).select_from(ApiToken))
    client.post("/api/v1/auth/token", json={"username": "analyst", "password": "wrong-pass"})
    client.post("/api/v1/auth/token", json={"username": "analyst", "days": 0, "password": "x"})
    assert session.scalar(select(func.count()).select_from(ApiToken)) == before
