"""Real pages in headless Chromium, checked with axe-core (no serious or critical issues)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CAST, PASSWORD, ROOT

CHROMIUM = os.environ.get("SMARTGOV_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


def axe_violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    tags = "['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']"
    # Only violations are reported in full: axe skips the details of what passed.
    options = f"{{runOnly: {tags}, resultTypes: ['violations']}}"
    result = page.evaluate(f"async () => await axe.run(document, {options})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def open_as(browser: Any, server: str, lang: str, username: str | None) -> Any:
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    context.add_cookies([{"name": "lang", "value": lang, "url": server}])
    page = context.new_page()
    if username:
        page.goto(f"{server}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("form.usa-form button[type=submit]")
        page.wait_for_url(f"{server}/")
    return page


@pytest.mark.same_on_every_database
@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_it_passes_axe_on_public_pages(browser, server, lang) -> None:  # type: ignore[no-untyped-def]
    page = open_as(browser, server, lang, None)
    for path in (
        "/",
        "/login",
        "/no-such-page",
        "/services",
        "/services/startup-subsidy",
        "/ledger",
    ):
        page.goto(server + path)
        assert page.locator("link[href='/static/uswds/css/uswds.min.css']").count() == 1
        assert axe_violations(page) == [], path
    page.context.close()


@pytest.mark.same_on_every_database
@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
@pytest.mark.parametrize("username", list(CAST))
def test_it_passes_axe_on_every_roles_home(browser, server, username, lang) -> None:  # type: ignore[no-untyped-def]
    page = open_as(browser, server, lang, username)
    assert page.locator("h1").inner_text()
    assert page.evaluate("document.documentElement.lang") == lang
    assert axe_violations(page) == []
    # The design system's stylesheet really applied (USWDS sets the header's layout).
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.usa-button')).display") != "inline"
    )
    page.context.close()


def test_it_switches_language_and_signs_out_in_the_browser(browser, server) -> None:  # type: ignore[no-untyped-def]
    page = open_as(browser, server, "zh-Hans", "analyst")
    assert "各区县人口" in page.content()
    page.click("a[lang=en]")
    page.wait_for_load_state()
    assert "Population by district" in page.content()
    page.click("form.sg-logout button")
    page.wait_for_url(f"{server}/")
    assert page.locator("a.usa-button[href='/login']").count() >= 1
    assert "Population by district" not in page.content()
    page.context.close()


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_it_runs_a_reform_from_the_simulation_page(browser, server, lang) -> None:  # type: ignore[no-untyped-def]
    page = open_as(browser, server, lang, "analyst")
    page.goto(f"{server}/services/old-age-allowance/simulate")
    assert axe_violations(page) == []
    page.fill("#p-minimum_age", "75")
    page.click("form.usa-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#result").count() == 1
    chart = page.locator("img.sg-chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    assert axe_violations(page) == []
    page.context.close()


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_it_shows_the_citizen_who_read_their_data_with_a_proof(  # type: ignore[no-untyped-def]
    browser, server, lang, cast, factory, settings
) -> None:
    from smartgov.core.db import transaction
    from smartgov.demo.models import Person
    from smartgov.ledger import keys
    from smartgov.ledger import service as ledger

    with transaction(factory) as session:
        resident_id = session.get(Person, cast["citizen"].person_id).resident_id
    # A counter officer serves the citizen: the read goes through the exchange.
    counter = open_as(browser, server, lang, "counter")
    counter.fill("#resident_id", resident_id)
    counter.click("form[action='/counter/lookup'] button[type=submit]")
    counter.wait_for_load_state()
    assert counter.locator("dl.sg-facts").count() == 1
    counter.context.close()
    page = open_as(browser, server, lang, "citizen")
    page.goto(f"{server}/me/accesses")
    assert axe_violations(page) == []
    # The purpose in words, not its code.
    assert (
        "窗口为您办理业务" if lang == "zh-Hans" else "Serving you at a counter"
    ) in page.content()
    assert "counter-service" not in page.content()
    page.locator("table a[href^='/ledger/entries/']").first.click()
    page.wait_for_load_state()
    # Newer than the latest checkpoint (tests turn the schedule off): no proof yet.
    assert page.locator(".usa-alert--info").count() == 1
    assert axe_violations(page) == []
    with transaction(factory) as session:  # one tick of the server's schedule
        ledger.sign(session, keys.from_settings(settings))
    page.reload()
    assert page.locator(".usa-alert--success").count() == 1
    assert "smartgov_verify.py --log" in page.content()
    assert axe_violations(page) == []
    # The browser checks the signature and the proof itself.
    page.click("#sg-verify button[type=submit]")
    page.wait_for_selector("#sg-verify-result[data-verdict]")
    assert page.get_attribute("#sg-verify-result", "data-verdict") == "ok"
    assert page.locator("#sg-verify-result li").count() == 3
    key = page.input_value("#sg-key")
    page.fill("#sg-key", "another.example" + key[key.index("+") :])  # another log's name
    page.click("#sg-verify button[type=submit]")
    page.wait_for_selector("#sg-verify-result[data-verdict=failed]")
    assert axe_violations(page) == []
    page.goto(f"{server}/catalogue")
    assert page.locator("table").count() >= 10
    assert axe_violations(page) == []
    page.context.close()


def test_it_lets_a_citizen_apply_see_the_decision_and_appeal(  # type: ignore[no-untyped-def]
    browser, server, factory, settings, cast
) -> None:
    from smartgov.cases import service as cases
    from tests.cases.helpers import trained

    trained(factory, settings, cast, "old-age-allowance")
    worker = cases.Worker(factory, settings, poll=0.05)
    worker.start()
    try:
        page = open_as(browser, server, "en", "citizen")
        page.goto(f"{server}/services/old-age-allowance")
        page.click("text=Apply")
        assert axe_violations(page) == []
        page.set_input_files("#doc-identity_card", files=[
            {"name": "id.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        ])  # fmt: skip
        page.click("label[for=consent]")
        page.click("form.usa-form button[type=submit]")
        page.wait_for_selector("#case-state")
        page.wait_for_selector("#case-outcome", timeout=15_000)  # the page refreshes itself
        assert "decided automatically" in page.inner_text("#case-outcome")
        assert page.inner_text("#case-explanation")
        assert axe_violations(page) == []
        page.fill("#reason", "My birth date in the register is wrong.")
        with page.expect_navigation():
            page.click("form[action$='/appeal'] button[type=submit]")
        page.wait_for_selector("text=Appeal being reviewed")
        ref = page.url.rsplit("/", 1)[-1]
    finally:
        worker.stop()
    reviewer = open_as(browser, server, "zh-Hans", "reviewer")
    reviewer.goto(f"{server}/review?state=appealed")
    assert ref in reviewer.content()
    assert axe_violations(reviewer) == []
    reviewer.goto(f"{server}/cases/{ref}")
    reviewer.click("label[for=decision-reject]")
    reviewer.click("form[action$='/review'] button[type=submit]")
    reviewer.wait_for_selector("#case-outcome")
    assert axe_violations(reviewer) == []
    analyst = open_as(browser, server, "en", "analyst")
    analyst.goto(f"{server}/cases-metrics")
    assert "old-age" in analyst.content() or "Old-age" in analyst.content()
    assert axe_violations(analyst) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_the_counter_officer_applies_for_a_resident_and_prints_a_receipt(  # type: ignore[no-untyped-def]
    browser, server, factory, width
) -> None:
    """On a phone-sized screen and a desktop: find, apply with the ID carried over,
    submit, open the receipt; axe-clean at every step."""
    from sqlalchemy import select

    from smartgov.demo.models import Person

    with factory() as session:
        resident_id = session.scalars(
            select(Person.resident_id).order_by(Person.birth_date).offset(width % 97).limit(1)
        ).one()
    page = open_as(browser, server, "zh-Hans", "counter")
    page.set_viewport_size({"width": width, "height": 900})
    page.fill("#resident_id", resident_id)
    page.click("form[action='/counter/lookup'] button[type=submit]")
    page.wait_for_selector(".sg-apply-for")
    assert axe_violations(page) == []
    page.click("form[action='/counter/apply']:has(input[value=old-age-allowance]) button")
    page.wait_for_selector("#resident_id[readonly]")
    assert page.input_value("#resident_id") == resident_id
    assert axe_violations(page) == []
    page.click("label[for=consent]")
    page.click("form.usa-form button[type=submit]")
    page.wait_for_selector("#case-state")
    page.click("a[href$='/receipt']")
    page.wait_for_selector("#receipt-ref")
    assert page.locator("img.sg-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert resident_id not in page.content()
    assert axe_violations(page) == []
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()


@pytest.mark.same_on_every_database
@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_the_header_fits_every_width_and_the_larger_display_passes_axe(  # type: ignore[no-untyped-def]
    browser, server, lang
) -> None:
    """Issue 16: on Chinese pages the signed-in area sat above the top of the page."""
    page = open_as(browser, server, lang, "officer")
    for width in (320, 375, 1024, 1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        if width >= 1024:  # the secondary area is on the page, not above it
            box = page.locator(".usa-nav__secondary").bounding_box()
            assert box is not None and box["y"] >= 0 and box["height"] > 0, width
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(f"{server}/display?care=1&next=/services")
    assert page.evaluate("document.documentElement.classList.contains('sg-care')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []
    page.goto(f"{server}/")  # remembered on the next page
    assert page.evaluate("document.documentElement.classList.contains('sg-care')")
    page.context.close()
