"""Accounts: creation, password checks and API tokens. Functions take an explicit session."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cachetools import TLRUCache
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from smartgov.core.clock import now
from smartgov.core.errors import Conflict, FieldError, Invalid, NotAuthenticated
from smartgov.core.i18n import N_
from smartgov.core.models import ApiToken, Department, User, UserSession
from smartgov.core.roles import STAFF_ROLES, Role

_hasher = PasswordHasher()
# A real hash to check against when the user is unknown, so timing does not reveal
# which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10
#: An address a mail server takes: one @, a dot in the domain, no spaces (RFC 5321 length).
EMAIL = re.compile(r"^(?=.{3,254}$)[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    department_code: str | None = None,
    person_id: int | None = None,
    enterprise_id: int | None = None,
    email: str | None = None,
) -> User:
    errors = account_problems(
        session,
        role=role,
        department_code=department_code,
        person_id=person_id,
        enterprise_id=enterprise_id,
        email=email,
    )
    if not USERNAME.match(username):
        errors.append(
            FieldError(
                "username",
                N_("Use 3 to 64 lowercase letters, digits, dots, dashes or underscores."),
            )
        )
    if len(password) < MIN_PASSWORD:
        errors.append(FieldError("password", N_("Use a password of at least 10 characters.")))
    if errors:
        raise Invalid(N_("The account could not be created."), errors)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            N_("The account could not be created."),
            [FieldError("username", N_("This username is taken."))],
        )
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=_hasher.hash(password),
        department_code=department_code,
        person_id=person_id,
        enterprise_id=enterprise_id,
        email=email or None,
    )
    session.add(user)
    session.flush()
    return user


def account_problems(
    session: Session, *, role: Role, department_code: str | None, person_id: int | None,
    enterprise_id: int | None, email: str | None,
) -> list[FieldError]:  # fmt: skip
    """What is wrong with an account's role and ties, field by field (none: it holds)."""
    errors: list[FieldError] = []
    if email and not EMAIL.match(email):
        errors.append(FieldError("email", N_("Give an email address such as name@example.org.")))
    if role in STAFF_ROLES and not department_code:
        errors.append(FieldError("department", N_("Staff accounts need a department.")))
    if department_code and session.get(Department, department_code) is None:
        errors.append(FieldError("department", N_("No such department.")))
    if role is Role.citizen and person_id is None:
        errors.append(FieldError("person_id", N_("A citizen account needs a registry person.")))
    if role is Role.enterprise and enterprise_id is None:
        errors.append(FieldError("enterprise_id", N_("An enterprise account needs an enterprise.")))
    return errors


def change_account(
    session: Session, user: User, *, role: Role, department_code: str | None,
    display_name: str, email: str | None,
) -> User:  # fmt: skip
    """Give an account another role, department, name or address; a change of role or
    department ends its sessions and tokens, so no page keeps the old powers."""
    errors = account_problems(session, role=role, department_code=department_code,
                              person_id=user.person_id, enterprise_id=user.enterprise_id,
                              email=email)  # fmt: skip
    if not display_name.strip():
        errors.append(FieldError("display_name", N_("Give a name to show.")))
    if errors:
        raise Invalid(N_("The account could not be changed."), errors)
    powers_changed = (user.role, user.department_code) != (role.value, department_code or None)
    user.role, user.department_code = role.value, department_code or None
    user.display_name, user.email = display_name.strip(), email or None
    if powers_changed:
        end_sessions(session, user)
    session.flush()
    return user


def active_administrators(session: Session) -> int:
    query = select(func.count()).where(User.role == Role.administrator.value, User.active)
    return session.scalar(query) or 0


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated(N_("Wrong username or password.")) from None
    if user is None or not user.active:
        raise NotAuthenticated(N_("Wrong username or password."))
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, user: User, name: str, days: int = 30) -> tuple[str, ApiToken]:
    """Return the token (shown once) and its stored record."""
    token = "sg_" + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        token_hash=_digest(token),
        name=name,
        expires_at=now() + timedelta(days=days),
    )
    session.add(record)
    session.flush()
    return token, record


# Built once: every API request runs it, and building a select costs more than running it.
_TOKEN_HOLDER = (
    select(User, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


def token_holder(session: Session, token: str) -> tuple[User, datetime] | None:
    """The active account a live token stands for, and when the token expires."""
    row = session.execute(_TOKEN_HOLDER, {"digest": _digest(token)}).first()
    if row is None:
        return None
    user, expires_at = row
    if expires_at.tzinfo is None:  # SQLite returns naive datetimes
        expires_at = expires_at.replace(tzinfo=now().tzinfo)
    if expires_at < now() or not user.active:
        return None
    return user, expires_at


def user_for_token(session: Session, token: str) -> User | None:
    found = token_holder(session, token)
    return found[0] if found else None


class TokenCache:
    """The accounts of API tokens checked in the last few seconds, so a client's next
    requests skip the lookup and the thread hand-off it costs (10 to 25% of an API
    read's CPU, measured in docs/benchmarks.md). An entry never outlives its token;
    an account deactivated or changed in the database is seen within ``seconds``.
    Only tokens that checked out are kept, by their SHA-256, so a guesser's wrong
    tokens cost a lookup each and fill nothing. The accounts kept are detached
    copies: read, never written."""

    def __init__(
        self, seconds: float, size: int = 10_000, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._timer = timer
        self._users: TLRUCache[str, tuple[User, float]] = TLRUCache(
            size, ttu=lambda _key, value, _now: value[1], timer=timer
        )
        self._lock = threading.Lock()  # looked up on the event loop, filled from threads

    def forget(self, user_id: int) -> None:
        """Drop the account's tokens from this process's cache (it was disabled or its
        tokens revoked); other processes drop them within ``seconds``."""
        with self._lock:
            for digest, (user, _until) in list(self._users.items()):
                if user.id == user_id:
                    del self._users[digest]

    def get(self, token: str) -> User | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            found = self._users.get(_digest(token))
        return found[0] if found else None

    def look_up(self, session: Session, token: str) -> User | None:
        """Check the token in the database and keep its account if it checks out."""
        found = token_holder(session, token)
        if found is None:
            return None
        user, expires_at = found
        if self.seconds > 0:
            session.expunge(user)  # the request's rollback must not expire a shared copy
            left = (expires_at - now()).total_seconds()
            with self._lock:
                self._users[_digest(token)] = (user, self._timer() + min(self.seconds, left))
        return user


# --- Page sessions, kept on the server ----------------------------------------------


def open_session(session: Session, user: User, seconds: int) -> str:
    """A new page session for ``user``; the key for the cookie (only its hash is kept)."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=_digest(key),
                            expires_at=now() + timedelta(seconds=seconds)))  # fmt: skip
    session.flush()
    return key


_SESSION_HOLDER = (
    select(User, UserSession.expires_at)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.key_hash == bindparam("digest"))
)


def session_holder(session: Session, key: str) -> User | None:
    """The active account of a live page session, or None."""
    row = session.execute(_SESSION_HOLDER, {"digest": _digest(key)}).first()
    if row is None:
        return None
    user, expires_at = row
    return user if expires_at > now() and user.active else None


def close_session(session: Session, key: str) -> None:
    session.execute(delete(UserSession).where(UserSession.key_hash == _digest(key)))


def end_sessions(session: Session, user: User) -> int:
    """End every page session and API token of ``user`` at once; how many."""
    ended = session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    revoked = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    return ended.rowcount + revoked.rowcount  # type: ignore[attr-defined,no-any-return]


def revoke_token(session: Session, token: str) -> bool:
    """Revoke one API token (its holder signing out); whether it existed."""
    gone = session.execute(delete(ApiToken).where(ApiToken.token_hash == _digest(token)))
    return bool(gone.rowcount)  # type: ignore[attr-defined]


def set_active(session: Session, user: User, active: bool) -> User:
    """Disable (or enable again) an account; disabling ends its sessions and tokens."""
    user.active = active
    if not active:
        end_sessions(session, user)
    session.flush()
    return user


class WrongPassword(Invalid):
    """The current password given to change it is wrong: a guess, counted like a failed
    sign-in (``web.signin``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [FieldError("current", N_("This is not your password."))])


def change_password(session: Session, user: User, *, current: str | None, new: str) -> User:
    """Set a new password (``current`` checked unless an administrator resets it);
    every session and token of the account ends, this one included."""
    refused = N_("The password could not be changed.")
    if current is not None:
        try:
            _hasher.verify(user.password_hash, current)
        except (VerificationError, InvalidHashError):
            raise WrongPassword(refused) from None
    if len(new) < MIN_PASSWORD:
        short = FieldError("new", N_("Use a password of at least 10 characters."))
        raise Invalid(refused, [short])
    user.password_hash = _hasher.hash(new)
    end_sessions(session, user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def list_users(session: Session, *, department_code: str | None = None) -> list[User]:
    query = select(User).order_by(User.role, User.username)
    if department_code:
        query = query.where(User.department_code == department_code)
    return list(session.scalars(query))


def find_accounts(
    session: Session, *, text: str = "", role: str = "", limit: int = 200
) -> list[User]:
    """Accounts whose username or name contains ``text``, of ``role`` if given: a city
    has as many resident accounts as residents, so a page shows a search, not them all."""
    query = select(User).order_by(User.role, User.username).limit(limit)
    if text.strip():
        # What is typed is matched as text: LIKE's wildcards in it match only themselves.
        typed = text.strip().lower().replace("\\", "").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"
        query = query.where(
            func.lower(User.username).like(pattern, escape="\\")
            | func.lower(User.display_name).like(pattern, escape="\\")
        )
    if role:
        query = query.where(User.role == role)
    return list(session.scalars(query))


def count_accounts(session: Session) -> dict[str, int]:
    """Active and disabled accounts, counted by the database."""
    rows = session.execute(select(User.active, func.count()).group_by(User.active)).all()
    found = {bool(active): n for active, n in rows}
    return {"active": found.get(True, 0), "disabled": found.get(False, 0)}
