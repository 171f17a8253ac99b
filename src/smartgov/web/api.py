"""JSON API for accounts and the organisation; capabilities add their own routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from sqlalchemy import select

import smartgov
from smartgov.cases.api import router as cases_router
from smartgov.core import migrate
from smartgov.core.models import Department, District, User
from smartgov.core.roles import Permission
from smartgov.core.users import authenticate, issue_token, list_users
from smartgov.exchange.api import router as exchange_router
from smartgov.ledger.api import router as ledger_router
from smartgov.rules.api import router as rules_router
from smartgov.web.deps import SessionDep, require
from smartgov.web.schemas import (
    DepartmentOut,
    DistrictOut,
    Health,
    TokenOut,
    TokenRequest,
    UserOut,
)

router = APIRouter()
Signed = Annotated[User, require(Permission.signed_in)]


@router.get("/health", dependencies=[require(Permission.public)], tags=["system"])
def health(request: Request) -> Health:
    return Health(
        status="ok",
        version=smartgov.__version__,
        schema_revision=migrate.current(request.app.state.engine),
    )


@router.post("/auth/token", dependencies=[require(Permission.public)], tags=["accounts"])
def create_token(body: TokenRequest, session: SessionDep) -> TokenOut:
    """Exchange a username and password for a bearer token."""
    user = authenticate(session, username=body.username, password=body.password)
    token, record = issue_token(session, user=user, name=body.name, days=body.days)
    return TokenOut(token=token, expires_at=record.expires_at)


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


#: Every capability's API, included by the app beside this router rather than inside
#: it: each nesting of routers makes FastAPI match a request's path once more.
capabilities = (exchange_router, rules_router, ledger_router, cases_router)
