"""Fixtures of the rules tests: the shipped services, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartgov.rules.compiled import Service
from smartgov.rules.loader import Catalogue

SERVICES = Path(__file__).resolve().parents[2] / "services"
SHIPPED = sorted(p.name for p in SERVICES.iterdir() if (p / "service.yaml").is_file())


@pytest.fixture(scope="session")
def shipped() -> dict[str, Service]:
    catalogue = Catalogue(SERVICES)
    problems = catalogue.reload()
    assert problems == {}, problems
    return catalogue.services
