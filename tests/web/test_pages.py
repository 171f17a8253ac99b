from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import CAST, bearer, csrf_of, login

HOME_MARKERS = {
    "citizen": ("My registry record", "我的登记信息"),
    "enterprise": ("Unified social credit code", "统一社会信用代码"),
    "counter": ("Serve a resident at the counter", "窗口接待居民"),
    "officer": ("Population registry", "人口登记"),
    "market": ("Enterprise registry", "企业登记"),
    "reviewer": ("Registries your department keeps", "本部门管理的登记库"),
    "auditor": ("active accounts", "启用账号"),
    "analyst": ("Population by district", "各区县人口"),
    "admin": ("active accounts", "启用账号"),
}


@pytest.mark.parametrize("username", list(CAST))
@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_it_shows_each_role_its_home_in_both_languages(
    client: TestClient, username: str, lang: str
) -> None:
    client.cookies.set("lang", lang)
    login(client, username)
    page = client.get("/")
    assert page.status_code == 200
    english, chinese = HOME_MARKERS[username]
    assert (english if lang == "en" else chinese) in page.text
    assert f'<html lang="{lang}">' in page.text


def test_it_follows_accept_language_before_a_choice_is_made(client: TestClient) -> None:
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB"}).text


def test_it_switches_language_with_a_cookie_and_same_site_redirect(client: TestClient) -> None:
    response = client.get("/language?lang=en&next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"
    assert "lang=en" in response.headers["set-cookie"]


def test_it_rejects_a_wrong_password_in_the_users_language(client: TestClient) -> None:
    client.cookies.set("lang", "zh-Hans")
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "analyst", "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert "uid" not in client.cookies.get("smartgov_session", "")


def test_it_refuses_a_form_without_its_csrf_token(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "analyst", "password": "x"})
    assert response.status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client: TestClient) -> None:
    response = client.post("/counter/lookup", data={}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_it_forbids_pages_outside_the_role(client: TestClient) -> None:
    login(client, "citizen")
    token = csrf_of(client.get("/").text)
    response = client.post("/counter/lookup", data={"resident_id": "1", "csrf_token": token})
    assert response.status_code == 403
    assert "您没有权限执行此操作" in response.text


def test_it_shows_a_translated_error_page_for_unknown_pages(client: TestClient) -> None:
    client.cookies.set("lang", "zh-Hans")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "该页面不存在" in response.text


def test_it_signs_out_with_a_post(client: TestClient) -> None:
    login(client, "analyst")
    token = csrf_of(client.get("/").text)
    client.post("/logout", data={"csrf_token": token})
    assert "Population by district" not in client.get("/").text


def test_it_finds_a_resident_at_the_counter_by_posted_id(client: TestClient, session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from smartgov.demo.models import Person

    person = session.scalars(select(Person).limit(1)).one()
    login(client, "counter")
    token = csrf_of(client.get("/").text)
    found = client.post(
        "/counter/lookup", data={"resident_id": person.resident_id, "csrf_token": token}
    )
    assert found.status_code == 200 and person.name in found.text
    assert (
        str(person.monthly_income) not in found.text.split("<main")[1] or person.monthly_income == 0
    )
    bad = client.post("/counter/lookup", data={"resident_id": "123", "csrf_token": token})
    assert bad.status_code == 422


def test_it_sets_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_home_pages_show_recent_district_figures_without_reading_again(
    client: TestClient, session
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from smartgov.exchange.models import PopulationRead

    def reads() -> int:
        session.expire_all()
        return session.scalar(select(func.count()).select_from(PopulationRead))

    login(client, "analyst")
    client.cookies.set("lang", "en")
    before = reads()
    for _ in range(3):
        assert "Population by district" in client.get("/").text
    viewed = reads()
    assert viewed - before <= 1  # one read made the figures; the views reuse them
    asked = client.get("/api/v1/statistics/districts", headers=bearer(client, "analyst"))
    assert asked.status_code == 200 and reads() == viewed + 1  # a request always reads


def test_the_larger_display_is_switched_on_every_page_and_remembered(client: TestClient) -> None:
    page = client.get("/services", cookies={"lang": "en"})
    assert 'href="/display?care=1&amp;next=/services"' in page.text
    assert 'class="sg-care"' not in page.text
    switched = client.get("/display?care=1&next=/services", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/services"
    assert "care=1" in switched.headers["set-cookie"]
    larger = client.get("/services", cookies={"lang": "en", "care": "1"})
    assert '<html lang="en" class="sg-care">' in larger.text and "Standard text" in larger.text
    away = client.get("/display?care=1&next=https://evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/"  # no open redirect


def test_the_footer_gives_contact_privacy_accessibility_and_search(client: TestClient) -> None:
    page = client.get("/", cookies={"lang": "en"}).text
    assert 'href="tel:12345"' in page
    assert all(f'href="/{p}"' in page for p in ("privacy", "accessibility", "search"))
    for path in ("/privacy", "/accessibility"):
        assert client.get(path, cookies={"lang": "zh-Hans"}).status_code == 200
    found = client.get("/search?q=old-age", cookies={"lang": "en"}).text
    assert 'href="/services/old-age-allowance"' in found
    zh = client.get("/search?q=高龄", cookies={"lang": "zh-Hans"}).text
    assert 'href="/services/old-age-allowance"' in zh
    nothing = client.get("/search?q=zzzz", cookies={"lang": "en"}).text
    assert "Nothing matches" in nothing
    help_found = client.get("/search?q=privacy", cookies={"lang": "en"}).text
    assert 'href="/privacy"' in help_found
    assert client.get("/search?q=" + "x" * 101).status_code == 422
