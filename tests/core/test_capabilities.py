"""A capability is one folder and one line: enabled, its routers, pages, tables,
commands, permissions, navigation links and deployment checks appear in the app, the
CLI, the migrations' metadata, every page and `smartgov check` without any other file
changing."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartgov.core import capabilities, migrate
from smartgov.core.deployment import run_checks
from smartgov.core.settings import Settings
from tests.conftest import bearer, login

FILES = {
    "__init__.py": """
        from smartgov.core.capabilities import Capability, NavEntry

        CAPABILITY = Capability(
            name="parks",
            models=("sg_parks.models",),
            api="sg_parks.api:router",
            pages="sg_parks.pages:router",
            cli="sg_parks.cli:parks_app",
            checks=("sg_parks.cli:findings",),
            permissions={"parks.book": ("citizen",)},
            navigation=(NavEntry("/parks", "Parks", "parks.book"),),
        )
    """,
    "models.py": """
        from sqlalchemy.orm import Mapped, mapped_column

        from smartgov.core.db import Base


        class Park(Base):
            __tablename__ = "parks_park"
            id: Mapped[int] = mapped_column(primary_key=True)
    """,
    "api.py": """
        from fastapi import APIRouter

        from smartgov.core.roles import Permission
        from smartgov.web.deps import require

        router = APIRouter(dependencies=[require(Permission.public)])


        @router.get("/parks")
        def parks() -> list[str]:
            return ["Donghu Park"]


        @router.post("/parks/booking", dependencies=[require("parks.book")])
        def book() -> str:
            return "booked"
    """,
    "pages.py": """
        from fastapi import APIRouter
        from fastapi.responses import HTMLResponse

        from smartgov.core.roles import Permission
        from smartgov.web.deps import require

        router = APIRouter(include_in_schema=False, dependencies=[require(Permission.public)])


        @router.get("/parks")
        def parks_page() -> HTMLResponse:
            return HTMLResponse("<h1>Parks</h1>")
    """,
    "cli.py": '''
        import typer

        from smartgov.core.deployment import Finding

        parks_app = typer.Typer(help="The city's parks.", no_args_is_help=True)


        @parks_app.command("count")
        def count() -> None:
            """How many parks."""
            typer.echo("1 park")


        def findings(settings: object) -> list[Finding]:
            return [Finding("PK001", "warning", "the parks have no opening hours yet")]
    ''',
}


@pytest.fixture
def parks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    package = tmp_path / "sg_parks"
    package.mkdir()
    for name, text in FILES.items():
        (package / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(capabilities, "ENABLED", (*capabilities.ENABLED, "sg_parks"))  # the line
    capabilities.enabled.cache_clear()
    yield
    monkeypatch.undo()  # the line taken out again, before anything reads the registry
    capabilities.enabled.cache_clear()
    from smartgov.core.db import Base

    Base.metadata.remove(Base.metadata.tables["parks_park"])
    for name in [m for m in sys.modules if m.startswith("sg_parks")]:
        del sys.modules[name]
    importlib.reload(importlib.import_module("smartgov.cli"))


def test_an_enabled_capability_appears_everywhere_without_other_edits(
    parks: None, settings: Settings, engine: object, cast: object
) -> None:
    from smartgov.server.app import create_app

    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/parks").json() == ["Donghu Park"]
        assert client.get("/parks").text == "<h1>Parks</h1>"
        assert "/api/v1/parks" in client.get("/api/v1/openapi.json").json()["paths"]
        # Its own permission: held by the roles it names, by nobody else.
        assert client.post("/api/v1/parks/booking").status_code == 401
        booked = client.post("/api/v1/parks/booking", headers=bearer(client, "citizen"))
        assert booked.json() == "booked"
        refused = client.post("/api/v1/parks/booking", headers=bearer(client, "reviewer"))
        assert refused.status_code == 403
        # Its link, on every page, for those who hold the permission.
        login(client, "citizen")
        assert 'href="/parks"' in client.get("/").text
    assert "parks_park" in migrate.all_models_metadata().tables
    cli = importlib.reload(importlib.import_module("smartgov.cli"))
    ran = CliRunner().invoke(cli.app, ["parks", "count"])
    assert ran.exit_code == 0 and ran.output == "1 park\n"
    assert "parks" in CliRunner().invoke(cli.app, ["--help"]).output
    codes = [f.code for f in run_checks(settings, engine)]  # type: ignore[arg-type]
    assert "PK001" in codes


def test_without_the_line_it_is_nowhere(settings: Settings) -> None:
    assert "sg_parks" not in capabilities.ENABLED
    assert [c.name for c in capabilities.enabled()] == [
        "ledger", "exchange", "rules", "cases", "demo",
    ]  # fmt: skip
