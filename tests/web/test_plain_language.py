"""Issue 16: residents never see code. Every page a resident opens, in both languages,
is searched (outside the folded "as code" sections) for raw identifiers (snake_case
names, expressions) and, on Chinese pages, for English words."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.models import User
from smartgov.core.settings import Settings
from tests.conftest import login, open_case

#: What may stay in Latin letters on a Chinese page: names, units and formats.
ALLOWED = {"smartgov", "English", "PDF", "PNG", "JPEG", "API", "UTC", "SHA", "YYYY", "MM",
           "DD", "Ctrl", "QR", "SVG", "JSON", "epsilon", "Ed25519", "WebCrypto"}  # fmt: skip


def visible_text(page: str) -> str:
    """The text a reader sees, without folded sections, scripts and markup."""
    page = re.sub(r"<details.*?</details>", " ", page, flags=re.S)
    # Text marked as another language (a legal basis kept in English) is that language.
    page = re.sub(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", page, flags=re.S)
    page = re.sub(r"<(script|style|head)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def problems(page: str, lang: str) -> list[str]:
    text = visible_text(page)
    found = re.findall(r"\b[a-z]+_[a-z_]+\b", text)  # snake_case names
    found += re.findall(r"\b[A-Z_]+\([^)]*\)", text)  # function calls of the rule language
    found += re.findall(r"[a-z_]+ (?:>=|<=|==|!=) [a-z_0-9]+", text)  # comparisons
    if lang == "zh-Hans":
        words = re.findall(r"\b[A-Za-z]{3,}\b", text)
        found += [w for w in words if w not in ALLOWED and not re.fullmatch(r"[A-Z0-9]+", w)]
    return found


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_resident_pages_show_no_code_and_no_other_language(
    client: TestClient, factory: sessionmaker[Session], settings: Settings,
    cast: dict[str, User], lang: str,
) -> None:  # fmt: skip
    ref = open_case(factory, settings, cast["citizen"])
    login(client, "citizen")
    pages = ["/", "/services", "/services/old-age-allowance",
             "/services/minimum-living-allowance", "/services/old-age-allowance/apply",
             "/me/cases", f"/cases/{ref}", "/me/accesses"]  # fmt: skip
    found = {}
    for path in pages:
        page = client.get(path, cookies={"lang": lang})
        assert page.status_code == 200, path
        # What the person typed or uploaded is theirs: their name and file names.
        text = re.sub(r"[\w-]+\.pdf", "", page.text.replace(cast["citizen"].display_name, ""))
        if bad := problems(text, lang):
            found[path] = sorted(set(bad))[:12]
    assert found == {}
