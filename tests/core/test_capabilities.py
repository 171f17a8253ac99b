"""A capability is one folder and one line: enabled, its routers, pages, tables and
their migrations, commands, permissions, navigation links, deployment checks, server
jobs and demo steps appear in the app, the CLI, the migrations, every page, `smartgov
check`, the server's lifespan and `smartgov demo city` without any other file
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
from tests.test_cli import smartgov

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
            migrations=True,
            jobs={"park_keeper": "sg_parks.jobs:keeper"},
            demo=("sg_parks.jobs:plant",),
        )
    """,
    "migrations/p001_parks.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "p001"
        down_revision = None  # a branch of its own ...
        branch_labels = ("parks",)
        depends_on = "0012"  # ... after the platform's tables it needs


        def upgrade() -> None:
            op.create_table("parks_park", sa.Column("id", sa.Integer(), primary_key=True))


        def downgrade() -> None:
            op.drop_table("parks_park")
    """,
    "jobs.py": """
        EVENTS = []


        class Keeper:
            def start(self) -> None:
                EVENTS.append("started")

            def stop(self) -> None:
                EVENTS.append("stopped")


        def keeper(state):
            return Keeper()


        def plant(session, settings) -> str:
            return "3 trees planted"
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
        (package / name).parent.mkdir(exist_ok=True)
        (package / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(capabilities, "ENABLED", (*capabilities.ENABLED, "sg_parks"))  # the line
    capabilities.forget()
    yield
    monkeypatch.undo()  # the line taken out again, before anything reads the registry
    capabilities.forget()
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
    # Its job ran while the server was up, started and stopped by the lifespan.
    assert importlib.import_module("sg_parks.jobs").EVENTS == ["started", "stopped"]


def test_its_migrations_are_a_branch_of_their_own(parks: None, tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from smartgov.core.db import make_engine

    fresh = make_engine(Settings(environment="test", data_dir=tmp_path / "var",
                                 secret_key="test-secret-key-that-is-long-enough-000"))  # fmt: skip
    migrate.upgrade(fresh)
    assert "p001" in migrate.heads() and migrate.current(fresh) == migrate.heads()
    assert "parks_park" in inspect(fresh).get_table_names()
    migrate.downgrade(fresh, "parks@base")  # its branch goes, the platform's stays
    assert "parks_park" not in inspect(fresh).get_table_names()
    assert migrate.current(fresh) and "p001" not in migrate.current(fresh)
    fresh.dispose()


def test_demo_city_runs_its_demo_step(parks: None, tmp_path: Path) -> None:
    importlib.reload(importlib.import_module("smartgov.cli"))
    assert smartgov("db", "upgrade", data=tmp_path).returncode == 0
    ran = smartgov("demo", "city", "--people", "50", "--enterprises", "5", data=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "parks: 3 trees planted" in ran.stdout


def test_without_the_line_it_is_nowhere(settings: Settings) -> None:
    assert "sg_parks" not in capabilities.ENABLED
    assert [c.name for c in capabilities.enabled()] == [
        "ledger", "users", "exchange", "rules", "cases", "demo",
    ]  # fmt: skip
