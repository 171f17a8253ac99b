"""Request dependencies in one place: the session, the user, the language, permissions.

Every route declares exactly one permission with ``require(...)``; an architecture
test fails for any route that does not.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from smartgov.core import i18n
from smartgov.core.db import finish
from smartgov.core.errors import Forbidden, NotAuthenticated
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission, Role, allows
from smartgov.core.settings import Settings
from smartgov.core.users import TokenCache, session_holder

# Dependencies that do no I/O are ``async``: FastAPI runs sync ones in a thread pool,
# and that hand-off costs more than the work itself.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed if the route returns, rolled back if not
    (but a refusal that records itself commits its record: see ``core.db.finish``).

    Opening a session does no I/O (SQLAlchemy connects on the first statement), so it
    happens on the event loop; only the ending goes to a worker thread. A sync
    generator would cost two thread hand-offs per request instead of one."""
    session = request.app.state.sessionmaker()
    session.begin()
    error: BaseException | None = None
    try:
        yield session
    except BaseException as exc:
        error = exc
        raise
    finally:
        # Shielded: a client that hangs up cancels the request, but the transaction
        # must still end and the connection go back, or it would keep SQLite's write
        # lock and the pool's slot.
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(finish, session, error)


# scope="function": the transaction ends before the response is sent. With FastAPI's
# default the commit ran after the client had its answer, so a client could be told
# "created" for a write that then failed, or not find its own write (a new token
# answered 401) on its next request.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


#: Declares the API's bearer tokens in the OpenAPI document, so /docs can authorise.
BEARER = HTTPBearer(
    auto_error=False,
    description="A token from POST /api/v1/auth/token (or `smartgov users token`).",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


async def current_user_or_none(
    request: Request, session: SessionDep, credentials: Credentials
) -> User | None:
    """The account behind the request. A token checked in the last few seconds is
    answered on the event loop; anything else is looked up in a worker thread."""
    if is_api(request):
        # The API takes bearer tokens only, so cookies cannot be used for CSRF on it.
        token = credentials.credentials.strip() if credentials is not None else ""
        if not token:
            return None
        tokens: TokenCache = request.app.state.tokens
        user = tokens.get(token)
        if user is None:
            user = await run_in_threadpool(tokens.look_up, session, token)
        return user
    return await run_in_threadpool(_page_user, request, session)


def client_address(request: Request) -> str:
    """The peer's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client is not None else "unknown"


def _page_user(request: Request, session: Session) -> User | None:
    key = request.session.get("sid")  # the server-side session's key, nothing more
    return session_holder(session, key) if isinstance(key, str) else None


OptionalUser = Annotated[User | None, Depends(current_user_or_none)]


def request_language(request: Request, user: User | None = None) -> str:
    settings: Settings = request.app.state.settings
    return i18n.choose(
        chosen=request.cookies.get("lang"),
        account=user.language if user is not None else None,
        accept=request.headers.get("accept-language"),
        default=settings.language,
    )


async def language(request: Request, user: OptionalUser) -> str:
    return request_language(request, user)


Lang = Annotated[str, Depends(language)]


def require(permission: Permission | str) -> Any:
    """Declare the permission a route needs; returns the user (None for public routes)."""

    async def check(user: OptionalUser) -> User | None:
        if permission is Permission.public:
            return user
        if user is None:
            raise NotAuthenticated()
        if not allows(Role(user.role), permission):
            raise Forbidden()
        return user

    check.permission = permission  # type: ignore[attr-defined]
    return Depends(check)


def route_permission(call: Callable[..., Any]) -> Permission | str | None:
    return getattr(call, "permission", None)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise Forbidden(N_("The form has expired. Reload the page and try again."))
