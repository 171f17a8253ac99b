"""The ledger's pages: browse and search by kind and date (a bisection over positions
for dates), an entry's fields in words, the standalone verifier as a download, and bad
searches answered with field messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.db import transaction
from smartgov.ledger import service


def test_anyone_browses_the_ledger_newest_first_with_the_checkpoint(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        service.record(session, "test", {"note": "browse me"})
    page = client.get("/ledger", cookies={"lang": "en"})
    assert page.status_code == 200
    positions = [int(p) for p in re.findall(r'href="/ledger/entries/(\d+)"', page.text)]
    assert positions == sorted(positions, reverse=True) and len(positions) <= 50
    assert 'href="/ledger/verify.py"' in page.text and "Latest signed checkpoint" in page.text


def test_it_finds_entries_by_kind_and_by_day(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        made = service.record(session, "test", {"note": "by kind"})
        stamped = service.entry(session, made).time  # type: ignore[union-attr]
    assert stamped is not None
    day = stamped.date().isoformat()
    found = client.get(f"/ledger?kind=test&since={day}&until={day}", cookies={"lang": "en"})
    assert found.status_code == 200 and f'href="/ledger/entries/{made}"' in found.text
    with factory() as session:
        kinds = {
            service.entry(session, int(p)).kind  # type: ignore[union-attr]
            for p in re.findall(r'href="/ledger/entries/(\d+)"', found.text)
        }
    assert kinds == {"test"}
    tomorrow = (stamped + timedelta(days=1)).date().isoformat()
    later = client.get(f"/ledger?kind=test&since={tomorrow}", cookies={"lang": "en"})
    assert f'href="/ledger/entries/{made}"' not in later.text and "No entry matches" in later.text


def test_a_date_is_found_by_bisection(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        size = service.size(session)
        assert service.first_from(session, datetime(1970, 1, 1, tzinfo=UTC), size) == 0
        assert service.first_from(session, datetime(9999, 1, 1, tzinfo=UTC), size) == size


def test_a_bad_search_says_which_field_is_wrong(client: TestClient) -> None:
    bad = client.get("/ledger?kind=nothing&since=31/12/2026", cookies={"lang": "en"})
    assert bad.status_code == 422
    assert "Choose one of the kinds of entry." in bad.text
    assert "Give a date as YYYY-MM-DD." in bad.text


def test_an_entry_shows_its_fields_in_words(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    with transaction(factory) as session:
        made = service.record(session, "account", {
            "action": "disable", "account": "user:99999", "by": "operator",
            "role": "reviewer", "department": None})  # fmt: skip
    page = client.get(f"/ledger/entries/{made}", cookies={"lang": "en"}).text
    assert "Account changed by an administrator" in page
    assert '<th scope="row">Action</th>' in page and '<th scope="row">By</th>' in page
    assert '<th scope="row">action</th>' not in page
    zh = client.get(f"/ledger/entries/{made}", cookies={"lang": "zh-Hans"}).text
    assert "管理员变更账号" in zh


def test_the_standalone_verifier_downloads_as_one_file(client: TestClient) -> None:
    got = client.get("/ledger/verify.py")
    assert got.status_code == 200
    assert 'filename="smartgov_verify.py"' in got.headers["content-disposition"]
    assert got.text.startswith('"""Check a smartgov ledger from outside')
    assert "import smartgov" not in got.text and "from smartgov" not in got.text
