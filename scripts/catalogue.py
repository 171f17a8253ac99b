"""Extract translatable strings and merge them into the catalogues.

    python scripts/catalogue.py          # update src/smartgov/locale/*/messages.po
    python scripts/catalogue.py --check  # exit 1 if a string lacks a translation

Python files mark strings with ``N_()`` or ``_()``; templates call ``_()``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "src" / "smartgov"
LOCALES = {"zh_Hans": "zh_Hans"}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "N_": None}


def extract() -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, []).append((filename, lineno))
    return found


def po_path(folder: str) -> Path:
    return ROOT / "locale" / folder / "LC_MESSAGES" / "messages.po"


def load(folder: str) -> Catalog:
    path = po_path(folder)
    if not path.exists():
        return Catalog(locale=folder, project="smartgov")
    with path.open("rb") as handle:
        return read_po(handle)


def missing(folder: str) -> list[str]:
    table = {m.id: m.string for m in load(folder) if m.id}
    return [msgid for msgid in extract() if not table.get(msgid)]


def update() -> None:
    strings = extract()
    for folder in LOCALES:
        old = load(folder)
        new = Catalog(locale=folder, project="smartgov", fuzzy=False)
        for msgid, locations in sorted(strings.items()):
            previous = old.get(msgid)
            new.add(msgid, previous.string if previous else "", locations=locations)
        path = po_path(folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, width=100, omit_header=False, sort_output=True)
        print(f"{path.relative_to(ROOT.parent.parent)}: {len(strings)} strings")


if __name__ == "__main__":
    if "--check" in sys.argv:
        gaps = {folder: missing(folder) for folder in LOCALES}
        for folder, ids in gaps.items():
            for msgid in ids:
                print(f"{folder}: untranslated: {msgid}")
        sys.exit(1 if any(gaps.values()) else 0)
    update()
