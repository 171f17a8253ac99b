"""JSON routes for account administration; each change is recorded in the ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from smartgov.accounts import service
from smartgov.accounts.schemas import (
    AccountChange,
    AccountNew,
    PasswordReset,
    SessionsEnded,
    UserOut,
)
from smartgov.core.db import Natural
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.core.users import list_users
from smartgov.web.deps import SessionDep, require

router = APIRouter(tags=["accounts"])
Manager = Annotated[User, require(Permission.users_manage)]
Reader = Annotated[User, require(Permission.users_read)]


@router.get("/users")
def users(session: SessionDep, _user: Reader) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in list_users(session)]


@router.post("/users", status_code=201)
def create_user(body: AccountNew, session: SessionDep, manager: Manager) -> UserOut:
    """Create an account (422 names each field that is wrong, 409 a taken username)."""
    made = service.create(session, manager, **body.model_dump())
    return UserOut.model_validate(made)


@router.put("/users/{user_id}")
def change_user(
    user_id: Natural, body: AccountChange, request: Request, session: SessionDep, manager: Manager
) -> UserOut:
    """Change an account's role, department, name or address; a new role or department
    ends its sessions and tokens."""
    account = service.change(session, service.find(session, user_id), manager,
                             **body.model_dump())  # fmt: skip
    request.app.state.tokens.forget(account.id)
    return UserOut.model_validate(account)


@router.post("/users/{user_id}/disable")
def disable_user(
    user_id: Natural, request: Request, session: SessionDep, manager: Manager
) -> UserOut:
    """Disable an account: it cannot sign in, and its sessions and tokens end at once."""
    account = service.set_enabled(session, service.find(session, user_id), manager, False)
    request.app.state.tokens.forget(account.id)
    return UserOut.model_validate(account)


@router.post("/users/{user_id}/enable")
def enable_user(user_id: Natural, session: SessionDep, manager: Manager) -> UserOut:
    """Let a disabled account sign in again (its old sessions and tokens stay ended)."""
    account = service.set_enabled(session, service.find(session, user_id), manager, True)
    return UserOut.model_validate(account)


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(
    user_id: Natural, body: PasswordReset, request: Request, session: SessionDep, manager: Manager
) -> None:
    """Set a new password for someone who lost theirs; their sessions and tokens end."""
    account = service.reset_password(session, service.find(session, user_id), manager, body.new)
    request.app.state.tokens.forget(account.id)


@router.delete("/users/{user_id}/sessions")
def end_user_sessions(
    user_id: Natural, request: Request, session: SessionDep, manager: Manager
) -> SessionsEnded:
    """End every page session and revoke every API token of an account, at once."""
    account = service.find(session, user_id)
    ended = service.end_all_sessions(session, account, manager)
    request.app.state.tokens.forget(account.id)
    return SessionsEnded(ended=ended)
