"""JSON API for accounts and the organisation; capabilities add their own routers."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

import smartgov
from smartgov.core import migrate
from smartgov.core.db import Natural
from smartgov.core.errors import Conflict, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import Department, District, User
from smartgov.core.roles import Permission
from smartgov.core.users import (
    authenticate,
    change_password,
    end_sessions,
    issue_token,
    list_users,
    revoke_token,
    set_active,
)
from smartgov.server.schemas import (
    DepartmentOut,
    DistrictOut,
    Health,
    PasswordChange,
    SessionsEnded,
    TokenOut,
    TokenRequest,
    UserOut,
)
from smartgov.web.deps import SessionDep, client_address, require
from smartgov.web.signin import SignInGuard

log = logging.getLogger("smartgov.web")
router = APIRouter()
Signed = Annotated[User, require(Permission.signed_in)]


@router.get("/health", dependencies=[require(Permission.public)], tags=["system"])
def health(request: Request) -> Health:
    return Health(
        status="ok",
        version=smartgov.__version__,
        schema_revision=", ".join(migrate.current(request.app.state.engine)) or None,
    )


@router.post("/auth/token", dependencies=[require(Permission.public)], tags=["accounts"])
def create_token(body: TokenRequest, request: Request, session: SessionDep) -> TokenOut:
    """Exchange a username and password for a bearer token. Attempts are throttled per
    address and failures per account (429 with Retry-After)."""
    guard: SignInGuard = request.app.state.signin
    user = guard.attempt(client_address(request), body.username, lambda: authenticate(
        session, username=body.username, password=body.password))  # fmt: skip
    token, record = issue_token(session, user=user, name=body.name, days=body.days)
    return TokenOut(token=token, expires_at=record.expires_at)


@router.delete("/auth/token", status_code=204, tags=["accounts"])
def revoke_own_token(request: Request, session: SessionDep, user: Signed) -> Response:
    """Sign out: the bearer token of this request stops working at once."""
    _scheme, _, token = request.headers.get("authorization", "").partition(" ")
    revoke_token(session, token.strip())
    request.app.state.tokens.forget(user.id)
    return Response(status_code=204)


@router.post("/me/password", status_code=204, tags=["accounts"])
def change_own_password(
    body: PasswordChange, request: Request, session: SessionDep, user: Signed
) -> Response:
    """Change your password: every session and token of the account ends, this one too."""
    # The request's account may be the token cache's detached copy: write the row itself.
    account = session.get_one(User, user.id)
    guard: SignInGuard = request.app.state.signin  # a wrong current password is a guess
    guard.attempt(client_address(request), account.username, lambda: change_password(
        session, account, current=body.current, new=body.new))  # fmt: skip
    request.app.state.tokens.forget(user.id)
    return Response(status_code=204)


Manager = Annotated[User, require(Permission.users_manage)]


def _account(session: Session, user_id: int, manager: User) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise NotFound(N_("No account has this number."))
    if found.id == manager.id:
        raise Conflict(N_("Administrators do not lock themselves out; ask another one."))
    return found


@router.post("/users/{user_id}/disable", tags=["accounts"])
def disable_user(
    user_id: Natural, request: Request, session: SessionDep, manager: Manager
) -> UserOut:
    """Disable an account: it cannot sign in, and its sessions and tokens end at once."""
    found = set_active(session, _account(session, user_id, manager), False)
    request.app.state.tokens.forget(found.id)
    log.info("account user:%d disabled by user:%d", found.id, manager.id)
    return UserOut.model_validate(found)


@router.post("/users/{user_id}/enable", tags=["accounts"])
def enable_user(user_id: Natural, session: SessionDep, manager: Manager) -> UserOut:
    """Let a disabled account sign in again (its old sessions and tokens stay ended)."""
    found = set_active(session, _account(session, user_id, manager), True)
    log.info("account user:%d enabled by user:%d", found.id, manager.id)
    return UserOut.model_validate(found)


@router.delete("/users/{user_id}/sessions", tags=["accounts"])
def end_user_sessions(
    user_id: Natural, request: Request, session: SessionDep, manager: Manager
) -> SessionsEnded:
    """End every page session and revoke every API token of an account, at once."""
    found = _account(session, user_id, manager)
    ended = end_sessions(session, found)
    request.app.state.tokens.forget(found.id)
    log.info("sessions of user:%d ended by user:%d", found.id, manager.id)
    return SessionsEnded(ended=ended)


@router.get("/me", tags=["accounts"])
def me(user: Signed) -> UserOut:
    return UserOut.model_validate(user)


@router.get("/users", tags=["accounts"])
def users(
    session: SessionDep, user: Annotated[User, require(Permission.users_read)]
) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in list_users(session)]


@router.get("/districts", dependencies=[require(Permission.public)], tags=["organisation"])
def districts(session: SessionDep) -> list[DistrictOut]:
    return [DistrictOut.model_validate(d) for d in session.scalars(select(District))]


@router.get("/departments", dependencies=[require(Permission.public)], tags=["organisation"])
def departments(session: SessionDep) -> list[DepartmentOut]:
    return [DepartmentOut.model_validate(d) for d in session.scalars(select(Department))]
