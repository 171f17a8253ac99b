"""JSON API for accounts and the organisation; capabilities add their own routers."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

import smartgov
from smartgov.accounts.schemas import UserOut
from smartgov.core import migrate
from smartgov.core.models import Department, District, User
from smartgov.core.roles import Permission
from smartgov.core.users import authenticate, change_password, issue_token, revoke_token
from smartgov.server.schemas import (
    DepartmentOut,
    DistrictOut,
    Health,
    PasswordChange,
    TokenOut,
    TokenRequest,
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


@router.get("/me", tags=["accounts"])
def me(user: Signed) -> UserOut:
    return UserOut.model_validate(user)


@router.get("/districts", dependencies=[require(Permission.public)], tags=["organisation"])
def districts(session: SessionDep) -> list[DistrictOut]:
    return [DistrictOut.model_validate(d) for d in session.scalars(select(District))]


@router.get("/departments", dependencies=[require(Permission.public)], tags=["organisation"])
def departments(session: SessionDep) -> list[DepartmentOut]:
    return [DepartmentOut.model_validate(d) for d in session.scalars(select(Department))]
