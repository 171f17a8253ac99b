"""Rules about the code base itself (Notify, Datasette): they fail when a convention slips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.routing import APIRoute
from starlette.routing import Mount

from smartgov.core.settings import Settings
from smartgov.web.deps import SessionDep, route_permission

ROOT = Path(__file__).resolve().parent.parent
# Served by FastAPI itself, documented as public.
BUILT_IN = {"/api/v1/openapi.json"}


def _routes(app):  # type: ignore[no-untyped-def]
    """(path, dependant) of every route; FastAPI keeps included routers as one entry."""
    for route in app.routes:
        if isinstance(route, Mount) or getattr(route, "path", None) in BUILT_IN:
            continue
        if hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                yield ctx.path, ctx.dependant
        else:
            assert isinstance(route, APIRoute), route
            yield route.path, route.dependant


def _permissions(dependant) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    stack = [dependant]
    while stack:
        dep = stack.pop()
        if dep.call is not None and route_permission(dep.call) is not None:
            found.append(str(route_permission(dep.call)))
        stack.extend(dep.dependencies)
    return found


def test_it_declares_exactly_one_permission_on_every_route(app) -> None:  # type: ignore[no-untyped-def]
    missing, doubled = [], []
    paths = []
    for path, dependant in _routes(app):
        paths.append(path)
        if path in BUILT_IN:
            continue
        perms = _permissions(dependant)
        if not perms:
            missing.append(path)
        if len(set(perms)) > 1:
            doubled.append((path, perms))
    assert {"/", "/login", "/api/v1/me", "/api/v1/registry/people/{person_id}"} <= set(paths)
    assert missing == [], f"routes without require(...): {missing}"
    assert doubled == []


def test_every_permission_a_route_names_is_declared_and_held(app) -> None:  # type: ignore[no-untyped-def]
    """A misspelt permission would be held by nobody: a route closed to everyone."""
    from smartgov.core import capabilities
    from smartgov.core.roles import GRANTS, Permission

    declared = set(capabilities.granted()) | {str(p) for ps in GRANTS.values() for p in ps}
    declared |= {Permission.public, Permission.signed_in}
    named = {p for _path, dependant in _routes(app) for p in _permissions(dependant)}
    assert named - declared == set()
    assert {"cases.apply", "exchange.fetch", "rules.simulate", "users.manage"} <= named


def test_it_documents_every_setting() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"SMARTGOV_{name.upper()}" in doc, f"SMARTGOV_{name.upper()} is not documented"


def test_it_keeps_the_readme_cli_reference_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_cli_docs.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_translates_every_string_shown_to_people() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "catalogue.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_it_keeps_capabilities_out_of_each_others_tables() -> None:
    """A capability may use another's service functions, never its models or routes."""
    src = ROOT / "src" / "smartgov"
    capabilities = [p.name for p in src.iterdir() if (p / "__init__.py").exists()]
    offenders = []
    for path in src.rglob("*.py"):
        owner = path.relative_to(src).parts[0]
        if path == src / "core" / "migrate.py":
            continue  # collects every capability's tables for Alembic, by design
        text = path.read_text(encoding="utf-8")
        for other in capabilities:
            if other in (owner, "core", "migrations") or owner in ("migrations", "web"):
                continue
            for part in ("models", "api", "pages"):
                if f"smartgov.{other}.{part}" in text:
                    offenders.append(f"{path.relative_to(src)} uses smartgov.{other}.{part}")
    assert offenders == []


def test_a_route_that_blocks_the_event_loop_fails_its_tests(settings: Settings) -> None:
    """Outside production the app refuses a database statement on the event loop's
    thread, so an ``async def`` route doing synchronous database work answers 500 in
    the tests (and in development) instead of stalling every request of the server."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from smartgov.core.roles import Permission
    from smartgov.server.app import create_app
    from smartgov.web.deps import require

    app = create_app(settings)
    public = require(Permission.public)

    @app.get("/blocking", dependencies=[public])
    async def blocking(session: SessionDep) -> int:
        return int(session.execute(text("SELECT 1")).scalar_one())

    @app.get("/threaded", dependencies=[public])
    def threaded(session: SessionDep) -> int:
        return int(session.execute(text("SELECT 1")).scalar_one())

    async def handed_off(session: Session) -> int:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(lambda: int(session.execute(text("SELECT 1")).scalar_one()))

    @app.get("/handed-off", dependencies=[public])
    async def handed(session: SessionDep) -> int:
        return await handed_off(session)

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/blocking").status_code == 500
        assert client.get("/threaded").json() == 1
        assert client.get("/handed-off").json() == 1
