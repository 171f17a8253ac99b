"""Account administration: create, change, disable and enable accounts, reset their
passwords and end their sessions. Each change is checked against the two ways an
administrator could lock the city out (acting on their own account, taking away the
last active administrator) and recorded in the ledger in the same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.core.errors import Conflict, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Role
from smartgov.core.users import (
    active_administrators,
    change_account,
    change_password,
    create_user,
    end_sessions,
    set_active,
)
from smartgov.ledger import service as ledger

#: Who acts when a command is run on the server itself.
OPERATOR = "operator"


def actor(by: User | None) -> str:
    return f"user:{by.id}" if by is not None else OPERATOR


def _record(session: Session, action: str, account: User, by: User | None) -> None:
    ledger.record(session, "account", {
        "action": action, "account": f"user:{account.id}", "by": actor(by),
        "role": account.role, "department": account.department_code,
    })  # fmt: skip


def find(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise NotFound(N_("No account has this number."))
    return found


def _guard(session: Session, account: User, by: User | None, *, keeps_admin: bool) -> None:
    """Refuse what would lock administrators out: acting on one's own account, or
    leaving no active administrator (``keeps_admin``: whether, after the change, the
    account is still an active administrator)."""
    if by is not None and account.id == by.id:
        raise Conflict(N_("Administrators do not change their own account here; ask another one."))
    last = account.role == Role.administrator.value and account.active
    if last and not keeps_admin and active_administrators(session) <= 1:
        raise Conflict(N_("This is the last active administrator; make another one first."))


def create(session: Session, by: User | None, **fields: object) -> User:
    made = create_user(session, **fields)  # type: ignore[arg-type]
    _record(session, "create", made, by)
    return made


def change(session: Session, account: User, by: User | None, *, role: Role,
           department_code: str | None, display_name: str, email: str | None) -> User:  # fmt: skip
    _guard(session, account, by, keeps_admin=role is Role.administrator)
    change_account(session, account, role=role, department_code=department_code,
                   display_name=display_name, email=email)  # fmt: skip
    _record(session, "change", account, by)
    return account


def set_enabled(session: Session, account: User, by: User | None, enabled: bool) -> User:
    _guard(session, account, by, keeps_admin=enabled)
    set_active(session, account, enabled)
    _record(session, "enable" if enabled else "disable", account, by)
    return account


def reset_password(session: Session, account: User, by: User | None, new: str) -> User:
    if by is not None and account.id == by.id:
        raise Conflict(N_("Change your own password from your account page."))
    change_password(session, account, current=None, new=new)
    _record(session, "password_reset", account, by)
    return account


def end_all_sessions(session: Session, account: User, by: User | None) -> int:
    ended = end_sessions(session, account)
    _record(session, "sessions_ended", account, by)
    return ended
