from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from smartgov.core.clock import now
from smartgov.core.errors import Conflict, Invalid, NotAuthenticated
from smartgov.core.models import ApiToken
from smartgov.core.roles import Permission, Role, allows
from smartgov.core.users import (
    TokenCache,
    authenticate,
    create_user,
    issue_token,
    user_for_token,
)
from smartgov.exchange.permissions import OWN_RECORD_READ, REGISTRY_READ
from tests.conftest import PASSWORD


def test_it_hashes_passwords_with_argon2(session: Session) -> None:
    user = create_user(
        session, username="new.analyst", password="a-long-password", role=Role.analyst
    )
    assert user.password_hash.startswith("$argon2")
    assert "a-long-password" not in user.password_hash


def test_it_reports_every_bad_field_at_once(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        create_user(session, username="X", password="short", role=Role.reviewer)
    fields = {f.field for f in caught.value.fields}
    assert fields == {"username", "password", "department"}


def test_it_refuses_a_taken_username(session: Session) -> None:
    with pytest.raises(Conflict):
        create_user(session, username="analyst", password="another-password", role=Role.analyst)


def test_it_refuses_unknown_departments(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        create_user(
            session, username="x.officer", password="a-long-password",
            role=Role.department_officer, department_code="ministry_of_magic",
        )  # fmt: skip
    assert caught.value.fields[0].message == "No such department."


def test_it_authenticates_and_refuses_wrong_passwords(session: Session) -> None:
    assert authenticate(session, username="Analyst ", password=PASSWORD).username == "analyst"
    with pytest.raises(NotAuthenticated):
        authenticate(session, username="analyst", password="wrong-password")
    with pytest.raises(NotAuthenticated):
        authenticate(session, username="nobody", password=PASSWORD)


def test_it_stores_only_a_hash_of_tokens(session: Session, cast) -> None:  # type: ignore[no-untyped-def]
    token, record = issue_token(session, user=cast["analyst"], name="t")
    assert token not in record.token_hash
    assert user_for_token(session, token).username == "analyst"  # type: ignore[union-attr]
    assert user_for_token(session, token + "x") is None


def test_it_ignores_expired_tokens(session: Session, cast) -> None:  # type: ignore[no-untyped-def]
    token, record = issue_token(session, user=cast["analyst"], name="t")
    session.get(ApiToken, record.id).expires_at = now() - timedelta(seconds=1)  # type: ignore[union-attr]
    session.flush()
    assert user_for_token(session, token) is None


class Clock:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


def test_its_token_cache_keeps_a_checked_token_for_its_seconds_only(session: Session, cast) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    tokens = TokenCache(10, timer=clock)
    token, _record = issue_token(session, user=cast["analyst"], name="t")
    assert tokens.get(token) is None  # never checked yet
    assert tokens.look_up(session, token).username == "analyst"  # type: ignore[union-attr]
    assert tokens.get(token).username == "analyst"  # type: ignore[union-attr]
    clock.at += 10.5
    assert tokens.get(token) is None  # checked again after its seconds


def test_its_token_cache_never_outlives_the_token(session: Session, cast) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    tokens = TokenCache(60, timer=clock)
    token, record = issue_token(session, user=cast["analyst"], name="t")
    record.expires_at = now() + timedelta(seconds=2)
    session.flush()
    assert tokens.look_up(session, token) is not None
    clock.at += 3
    assert tokens.get(token) is None


def test_its_token_cache_keeps_nothing_for_wrong_tokens_or_when_off(session: Session, cast) -> None:  # type: ignore[no-untyped-def]
    tokens = TokenCache(10)
    assert tokens.look_up(session, "sg_not-a-token") is None
    assert tokens.get("sg_not-a-token") is None
    off = TokenCache(0)
    token, _record = issue_token(session, user=cast["analyst"], name="t")
    assert off.look_up(session, token) is not None
    assert off.get(token) is None


def test_it_grants_each_role_only_its_permissions() -> None:
    assert allows(Role.citizen, OWN_RECORD_READ)
    assert not allows(Role.citizen, REGISTRY_READ)
    assert not allows(Role.analyst, REGISTRY_READ)
    assert allows(Role.administrator, Permission.users_manage)
    assert not allows(Role.auditor, Permission.users_manage)
