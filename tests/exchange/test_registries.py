"""A city plugs in its own registries: the platform finds residents, households and the
fields services may read only through the ``Registries`` the setting names, and never
imports the demo city."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from smartgov.core.deployment import run_checks
from smartgov.core.models import User
from smartgov.core.settings import ConfigError, Settings
from smartgov.demo.registries import DemoRegistries
from smartgov.exchange import registries
from smartgov.exchange.registries import Unit
from tests.conftest import bearer

SRC = Path(__file__).resolve().parents[2] / "src" / "smartgov"


class Renumbered(DemoRegistries):
    """A city whose registers number people CITY-<n>, not by the national ID."""

    def valid_identifier(self, unit: Unit, identifier: str) -> bool:
        return re.fullmatch(r"CITY-\d{1,9}", identifier.strip().upper()) is not None

    def find(self, session: Session, unit: Unit, identifier: str) -> int | None:
        key = int(identifier.strip().upper().removeprefix("CITY-"))
        return key if self.households_of(session, [key]) else None


class CivilRegister(DemoRegistries):
    """A city whose civil affairs bureau, not the police, keeps the population register."""

    keepers = {**DemoRegistries.keepers, "people": "civil_affairs"}


PLUGGED = Renumbered()
CIVIL = CivilRegister()
NOT_A_CITY = object()


@pytest.fixture
def plugged(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SMARTGOV_REGISTRIES", f"{__name__}:PLUGGED")
    registries.current.cache_clear()
    yield
    registries.current.cache_clear()  # the next call reads the default again


def test_the_counter_finds_people_through_the_city_s_own_registries(
    plugged: None, client: TestClient, cast: dict[str, User]
) -> None:
    counter = bearer(client, "counter")
    person = cast["citizen"].person_id
    found = client.post(
        "/api/v1/counter/lookup", json={"resident_id": f"city-{person}"}, headers=counter
    )
    assert found.status_code == 200, found.text
    assert found.json()["ledger_index"] > 0  # read through the exchange, recorded
    national = client.post(
        "/api/v1/counter/lookup", json={"resident_id": "110101199003070000"}, headers=counter
    )
    assert national.status_code == 422  # not a number this city's registers know
    unknown = client.post(
        "/api/v1/counter/lookup", json={"resident_id": "CITY-999999999"}, headers=counter
    )
    assert unknown.status_code == 404


def test_who_keeps_a_register_is_the_city_s_to_say(
    monkeypatch: pytest.MonkeyPatch, client: TestClient, cast: dict[str, User]
) -> None:
    police = bearer(client, "officer")  # a public security officer
    assert client.get("/api/v1/registry/people/3", headers=police).status_code == 200
    monkeypatch.setenv("SMARTGOV_REGISTRIES", f"{__name__}:CIVIL")
    registries.current.cache_clear()
    try:
        refused = client.get("/api/v1/registry/people/3", headers=police)
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "本部门不管理该登记库。"
    finally:
        monkeypatch.undo()
        registries.current.cache_clear()


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("smartgov.no_such_city:REGISTRIES", "names nothing importable"),
        ("smartgov.demo.registries:NOWHERE", "names nothing importable"),
        (f"{__name__}:NOT_A_CITY", "is not a smartgov Registries"),
    ],
)
def test_registries_that_do_not_plug_in_are_refused_by_name(
    path: str, says: str, settings: Settings, engine: object
) -> None:
    with pytest.raises(ConfigError, match=says) as refused:
        registries.load(path)
    assert "SMARTGOV_REGISTRIES" in str(refused.value)
    findings = run_checks(settings.model_copy(update={"registries": path}), engine)  # type: ignore[arg-type]
    assert [f.code for f in findings if f.level == "error"] == ["SG009"]


def _imports(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_the_platform_never_imports_the_demo_city() -> None:
    # The CLI, the server and the migrations' model check reach the demo as an enabled
    # capability (core.capabilities.ENABLED names it), never by an import.
    allowed: set[Path] = set()
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if SRC / "demo" not in path.parents
        and path not in allowed
        and any(name.startswith("smartgov.demo") for name in _imports(ast.parse(path.read_text())))
    ]
    assert offenders == []


def test_a_kind_of_provider_is_found_by_its_registration(settings: Settings) -> None:
    """Providers are looked up by kind where they registered, not by an if-chain: a new
    kind works once registered, and an unknown one is refused by name."""
    from smartgov.core.errors import NotFound
    from smartgov.exchange import providers

    class Fixed:
        def read(self, session: object, key: int, names: object) -> dict[str, object]:
            return {"birth_date": None}

        def read_many(self, session: object, keys: object, names: object) -> dict[int, object]:
            return {}

    with pytest.raises(NotFound, match="No provider of this kind"):
        providers.provider_for({"kind": "queue"}, settings)
    providers.register("queue", providers.ProviderKind(
        make=lambda _spec, _settings: Fixed(), columns=lambda *_: {"birth_date"}))  # fmt: skip
    try:
        assert isinstance(providers.provider_for({"kind": "queue"}, settings), Fixed)
        assert providers.columns({"kind": "queue"}, settings, None) == {"birth_date"}  # type: ignore[arg-type]
    finally:
        providers.KINDS.unregister("queue")
