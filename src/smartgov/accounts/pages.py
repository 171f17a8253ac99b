"""The administrator's account pages: the list, a new account, and one account's role,
access and password. Every change goes through the accounts service (recorded in the
ledger); a refused form is shown again with what was entered and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from smartgov.accounts import service
from smartgov.core import i18n
from smartgov.core.db import Natural, attempt
from smartgov.core.errors import DomainError, FieldError, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission, Role
from smartgov.core.users import find_accounts
from smartgov.web.deps import Lang, SessionDep, check_csrf, require
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[User, require(Permission.users_manage)]
Reader = Annotated[User, require(Permission.users_read)]
Text = Annotated[str, Form(max_length=256)]

#: What the page says after a change (the redirect carries only the code).
DONE = {
    "created": N_("The account was created."),
    "changed": N_("The changes were saved."),
    "disabled": N_("The account was disabled; its sessions and tokens ended."),
    "enabled": N_("The account can sign in again."),
    "sessions": N_("The account was signed out everywhere."),
    "password": N_("The new password is set; the account's sessions and tokens ended."),
}


def _fields(lang: str) -> dict[str, str]:
    _ = i18n.translator(lang)
    return {
        "username": _("Username"), "role": _("Role"), "department": _("Department"),
        "display_name": _("Name shown"), "email": _("Email address (optional)"),
        "person_id": _("Registry person number (residents only)"),
        "enterprise_id": _("Registry enterprise number (enterprises only)"),
        "password": _("First password"), "new": _("New password"),
    }  # fmt: skip


def _done(code: str | None, lang: str) -> str | None:
    return i18n.translator(lang)(DONE[code]) if code in DONE else None


#: Accounts one page lists; a search narrows a city's many resident accounts.
PAGE = 200


@router.get("/accounts")
def accounts_page(
    request: Request, session: SessionDep, user: Reader, lang: Lang, done: str | None = None,
    q: Annotated[str, Query(max_length=64)] = "", role: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:  # fmt: skip
    role = role if role in {r.value for r in Role} else ""
    found = find_accounts(session, text=q, role=role, limit=PAGE + 1)
    return render(request, "accounts.html", lang=lang, user=user, accounts=found[:PAGE],
                  more=len(found) > PAGE, q=q, chosen_role=role, roles=list(Role),
                  done=_done(done, lang))  # fmt: skip


def _new_form(
    request: Request, user: User, lang: str, form: dict[str, Any],
    errors: list[FieldError] | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(request, "account_new.html", lang=lang, user=user, form=form, roles=list(Role),
                  errors=errors or [], fields=_fields(lang), status_code=status)  # fmt: skip


@router.get("/accounts/new")
def new_account_page(request: Request, user: Manager, lang: Lang) -> HTMLResponse:
    return _new_form(request, user, lang, {"role": Role.citizen.value})


def _number(raw: str, field: str, errors: list[FieldError]) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 18:
        errors.append(FieldError(field, N_("Give a whole number.")))
        return None
    return int(raw)


def _problem(done: DomainError) -> list[FieldError]:
    return done.fields or [FieldError("form", done.message)]


@router.post("/accounts/new")
def create_account(
    request: Request, session: SessionDep, user: Manager, lang: Lang,
    username: Text = "", role: Text = "", department_code: Text = "", display_name: Text = "",
    email: Text = "", person_id: Text = "", enterprise_id: Text = "", password: Text = "",
    csrf_token: Text = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    form = {"username": username.strip().lower(), "role": role, "department_code": department_code,
            "display_name": display_name, "email": email.strip(), "person_id": person_id,
            "enterprise_id": enterprise_id}  # fmt: skip
    errors: list[FieldError] = []
    person = _number(person_id, "person_id", errors)
    enterprise = _number(enterprise_id, "enterprise_id", errors)
    if role not in {r.value for r in Role}:
        errors.append(FieldError("role", N_("Choose one of the roles.")))
    if errors:
        return _new_form(request, user, lang, form, errors, 422)
    done = attempt(session, lambda: service.create(
        session, user, username=form["username"], password=password, role=Role(role),
        display_name=display_name.strip() or None, department_code=department_code or None,
        person_id=person, enterprise_id=enterprise, email=form["email"] or None,
    ))  # fmt: skip
    if isinstance(done, DomainError):
        return _new_form(request, user, lang, form, _problem(done), done.status)
    return RedirectResponse(f"/accounts/{done.id}?done=created", status_code=303)


def _account_page(request: Request, user: User, lang: str, account: User,
                  form: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                  status: int = 200, done: str | None = None) -> HTMLResponse:  # fmt: skip
    shown = form or {"role": account.role, "department_code": account.department_code,
                     "display_name": account.display_name, "email": account.email}  # fmt: skip
    return render(request, "account.html", lang=lang, user=user, account=account, form=shown,
                  roles=list(Role), errors=errors or [], fields=_fields(lang),
                  done=_done(done, lang), status_code=status)  # fmt: skip


@router.get("/accounts/{user_id}")
def account_page(
    request: Request, user_id: Natural, session: SessionDep, user: Manager, lang: Lang,
    done: str | None = None,
) -> HTMLResponse:  # fmt: skip
    return _account_page(request, user, lang, service.find(session, user_id), done=done)


def _after(request: Request, session: Any, user: User, lang: str, account: User,  # noqa: ANN401 - the request's session
           done: object, code: str) -> Response:  # fmt: skip
    if isinstance(done, DomainError):
        session.refresh(account)  # the savepoint was undone: show the account as it is
        return _account_page(request, user, lang, account, errors=_problem(done),
                             status=done.status)  # fmt: skip
    request.app.state.tokens.forget(account.id)
    return RedirectResponse(f"/accounts/{account.id}?done={code}", status_code=303)


@router.post("/accounts/{user_id}")
def change_account(
    request: Request, user_id: Natural, session: SessionDep, user: Manager, lang: Lang,
    role: Text = "", department_code: Text = "", display_name: Text = "", email: Text = "",
    csrf_token: Text = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    account = service.find(session, user_id)
    form = {"role": role, "department_code": department_code, "display_name": display_name,
            "email": email.strip()}  # fmt: skip
    if role not in {r.value for r in Role}:
        errors = [FieldError("role", N_("Choose one of the roles."))]
        return _account_page(request, user, lang, account, form, errors, 422)
    done = attempt(session, lambda: service.change(
        session, account, user, role=Role(role), department_code=department_code or None,
        display_name=display_name, email=form["email"] or None))  # fmt: skip
    if isinstance(done, DomainError):
        session.refresh(account)
        return _account_page(request, user, lang, account, form, _problem(done), done.status)
    return _after(request, session, user, lang, account, done, "changed")


@router.post("/accounts/{user_id}/password")
def reset_account_password(request: Request, user_id: Natural, session: SessionDep,
                           user: Manager, lang: Lang, new: Text = "",
                           csrf_token: Text = "") -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    account = service.find(session, user_id)
    done = attempt(session, lambda: service.reset_password(session, account, user, new))
    return _after(request, session, user, lang, account, done, "password")


#: The buttons of an account's page that take nothing but the account: what each does
#: (session, account, administrator) and the code of what the page then says.
ACTIONS: dict[str, tuple[Callable[[Session, User, User], object], str]] = {
    "disable": (lambda s, a, by: service.set_enabled(s, a, by, False), "disabled"),
    "enable": (lambda s, a, by: service.set_enabled(s, a, by, True), "enabled"),
    "sessions": (service.end_all_sessions, "sessions"),
}


@router.post("/accounts/{user_id}/{action}")
def account_action(request: Request, user_id: Natural, action: str, session: SessionDep,
                   user: Manager, lang: Lang, csrf_token: Text = "") -> Response:  # fmt: skip
    """Disable, enable, or sign out everywhere (each recorded by the service)."""
    check_csrf(request, csrf_token)
    if action not in ACTIONS:
        raise NotFound()
    work, code = ACTIONS[action]
    account = service.find(session, user_id)
    done = attempt(session, lambda: work(session, account, user))
    return _after(request, session, user, lang, account, done, code)
