"""Shared fixtures: a real database (SQLite by default, PostgreSQL when
SMARTGOV_TEST_DATABASE_URL says so), migrated with Alembic, a small demo city, and a
fixed cast of named users, one per role."""

from __future__ import annotations

import base64
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from pydantic import ConfigDict
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core import migrate, users
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.models import ApiToken, User
from smartgov.core.roles import Role
from smartgov.core.settings import Settings
from smartgov.core.users import create_user
from smartgov.demo import city, publish
from smartgov.ledger import kinds
from smartgov.rules.service import sync_grants
from smartgov.server.app import create_app


class ScratchEntry(kinds.Entry):
    """Entries tests append to exercise the log itself: any fields."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["test"]


kinds.register("test", ScratchEntry)

# The suite signs in some hundreds of times, each a password check: its accounts hash
# with argon2id at the lowest cost the library allows (the same code; about 1 ms a
# check instead of 150). Production keeps argon2-cffi's defaults (core/users.py).
users._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
users._DUMMY_HASH = users._hasher.hash("not-a-real-password")
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"
CAST = {
    "citizen": (Role.citizen, None),
    "enterprise": (Role.enterprise, None),
    "counter": (Role.counter_officer, "civil_affairs"),
    "officer": (Role.department_officer, "public_security"),
    "market": (Role.department_officer, "market_regulation"),
    "reviewer": (Role.reviewer, "civil_affairs"),
    "auditor": (Role.auditor, None),
    "analyst": (Role.analyst, None),
    "admin": (Role.administrator, "civil_affairs"),
}


def worker_database(url: str) -> str:
    """The database this test process uses. SQLite (empty URL): a file in the process's
    own temporary folder. PostgreSQL under pytest-xdist: a database of each worker's own
    beside the one given (``<name>_gw0``, made afresh), so workers never share rows."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    import psycopg
    from sqlalchemy.engine import make_url

    given = make_url(url)
    name = f"{given.database}_{worker}"
    with psycopg.connect(host=given.host, port=given.port or 5432, user=given.username,
                         password=given.password, dbname=given.database,
                         autocommit=True) as conn:  # fmt: skip
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("var")
    return Settings(
        environment="test",
        database_url=worker_database(os.environ.get("SMARTGOV_TEST_DATABASE_URL", "")),
        data_dir=data,
        secret_key="test-secret-key-that-is-long-enough-000",
        assets_dir=ROOT / "node_modules",
        services_dir=ROOT / "services",
        checkpoint_seconds=0,  # tests sign when they need a checkpoint
        # The suite signs in hundreds of times a minute from one address; the throttle
        # has its own tests with the real limits.
        signin_limit_address="100000/minute",
        signin_limit_account="100000/minute",
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    engine = make_engine(settings)
    migrate.upgrade(engine)
    city.generate(engine, people=400, enterprises=40, seed=7, replace=True)
    with transaction(make_sessionmaker(engine)) as session:
        publish.set_up(session, settings)
        sync_grants(session, settings)
        publish.approve_requests(session)  # as the keeping departments' officers would
    return engine


@pytest.fixture(scope="session")
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture(scope="session")
def cast(factory: sessionmaker[Session]) -> dict[str, User]:
    """One committed account per role, made once: argon2 is slow on purpose."""
    with transaction(factory) as session:
        session.execute(delete(ApiToken))
        session.execute(delete(User))
        person_id, enterprise_id = city.first_subjects(session)
        users = {}
        for name, (role, department) in CAST.items():
            users[name] = create_user(
                session,
                username=name,
                password=PASSWORD,
                role=role,
                display_name=f"Test {name}",
                department_code=department,
                person_id=person_id if role is Role.citizen else None,
                enterprise_id=enterprise_id if role is Role.enterprise else None,
            )
    return users


@pytest.fixture
def session(factory: sessionmaker[Session], cast: dict[str, User]) -> Iterator[Session]:
    """A session whose writes are rolled back; accounts made by a test are removed."""
    with factory() as s:
        yield s
        s.rollback()
    with transaction(factory) as s:
        s.execute(delete(ApiToken))
        s.execute(delete(User).where(User.username.not_in(list(CAST))))


@pytest.fixture
def app(settings: Settings, engine: Engine, cast: dict[str, User]):  # type: ignore[no-untyped-def]
    return create_app(settings)


@contextmanager
def serving(app: Any) -> Iterator[str]:  # noqa: ANN401 - an ASGI app
    """``app`` served over real HTTP on a free local port while the block runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def server(settings, engine, cast) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served over real HTTP on a free local port, for browsers and clients."""
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture
def client(app, session: Session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def bearer(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def grant_service(session: Session, **needs: Any) -> None:  # noqa: ANN401
    """A test service's data needs, requested and approved as the demo's departments do."""
    from smartgov.demo import publish
    from smartgov.exchange import service as exchange

    exchange.request_service_grants(session, **needs)
    publish.approve_requests(session)


#: The smallest file the document check takes for a PDF.
PDF = b"%PDF-1.4\n1 0 obj\n%%EOF\n"


def papers(settings: Settings, service_id: str) -> dict[str, tuple[str, bytes]]:
    """A PDF for each document the service requires, as an applicant sends them."""
    from smartgov.rules import service as rules

    required = rules.get_service(settings, service_id).definition.documents
    return {d.id: (f"{d.id}.pdf", PDF) for d in required if d.required}


def papers_json(settings: Settings, service_id: str) -> dict[str, dict[str, str]]:
    """``papers`` as the API takes them: base64 in the JSON body."""
    return {kind: {"filename": name, "content": base64.b64encode(data).decode()}
            for kind, (name, data) in papers(settings, service_id).items()}  # fmt: skip


def open_case(
    factory: sessionmaker[Session], settings: Settings, applicant: User,
    service: str = "old-age-allowance",
) -> str:  # fmt: skip
    """A case of ``applicant`` waiting for a reviewer of the service's department (the
    applicant asked for a person), as case-bound reads need; its reference."""
    from smartgov.cases import service as cases

    app = cases.Application(service_id=service, idempotency_key=uuid.uuid4().hex,
                            consent=True, human_decision=True,
                            documents=papers(settings, service))  # fmt: skip
    with transaction(factory) as session:
        case, _ = cases.submit(session, settings, actor=applicant, app=app)
        ref = case.ref
    while cases.decide_batch(factory, settings):
        pass
    return ref
