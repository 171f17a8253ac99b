"""Translations. Source strings are English; catalogues live in ``smartgov/locale``.

Catalogues are read from their ``.po`` files with Babel at start-up, so there is no
compile step to forget and the file in the repository is the one that is served.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from smartgov.core.settings import SUPPORTED_LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: Babel's locale folder for each language tag we use.
FOLDERS = {"zh-Hans": "zh_Hans", "en": "en"}

Translate = Callable[[str], str]


@cache
def catalogue(language: str) -> dict[str, str]:
    path = LOCALE_DIR / FOLDERS[language] / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        cat = read_po(handle)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def translator(language: str) -> Translate:
    table = catalogue(language if language in FOLDERS else "en")

    def translate(message: str) -> str:
        return table.get(message, message)

    return translate


def negotiate(accept_language: str | None, default: str) -> str:
    """Pick a supported language from an Accept-Language header, in its order."""
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return default


def supported(language: str | None) -> bool:
    return language in SUPPORTED_LANGUAGES


def choose(*, chosen: str | None, account: str | None, accept: str | None, default: str) -> str:
    """The visitor's explicit choice, then their account's, then their browser's."""
    for candidate in (chosen, account):
        if candidate is not None and supported(candidate):
            return candidate
    return negotiate(accept, default)


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it yet (it is looked up later)."""
    return message
