"""Server-rendered pages: sign in and out, language, and each role's home page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from smartgov.cases import service as cases
from smartgov.cases.permissions import CASES_APPLY
from smartgov.core import i18n
from smartgov.core.errors import NotAuthenticated
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission, Role, allows
from smartgov.core.settings import Settings
from smartgov.core.users import authenticate, close_session, count_accounts, open_session
from smartgov.exchange import service as registries
from smartgov.exchange.permissions import REGISTRY_READ, STATISTICS_READ
from smartgov.rules import service as rules
from smartgov.web.deps import Lang, SessionDep, SettingsDep, check_csrf, client_address, require
from smartgov.web.signin import SignInGuard, Throttled
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[User | None, require(Permission.public)]
Signed = Annotated[User, require(Permission.signed_in)]


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/")
def home(
    request: Request, session: SessionDep, settings: SettingsDep, user: Public, lang: Lang
) -> HTMLResponse:
    if user is None:
        return render(request, "landing.html", lang=lang, user=None)
    return render(
        request,
        "home.html",
        lang=lang,
        user=user,
        **home_context(session, settings, user, request.app.state, lang),
    )


def home_context(
    session: Session,
    settings: Settings,
    user: User,
    state: Any,  # noqa: ANN401 - app.state
    lang: str,
) -> dict[str, Any]:
    """What each role sees first; each part is gated by the permission behind it."""
    role = Role(user.role)
    context: dict[str, Any] = {"department": user.department_code}
    if role is Role.citizen and user.person_id is not None:
        context["record"] = registries.read_person_as(
            session, settings, user=user, person_id=user.person_id
        )
    if role is Role.enterprise and user.enterprise_id is not None:
        context["enterprise"] = registries.read_enterprise_as(
            session, settings, user=user, enterprise_id=user.enterprise_id
        )
    if allows(role, REGISTRY_READ):
        counts = registries.registry_counts(session)
        context["registries"] = {
            name: counts[name] for name in registries.registries_of(user.department_code)
        }
    if allows(role, STATISTICS_READ):
        context["districts"] = registries.population_by_district(
            session, settings, user, cache=registries.population_cache(state), if_granted=True
        )
    if allows(role, Permission.users_read):
        context["accounts_count"] = count_accounts(session)
    if allows(role, CASES_APPLY):
        context["applications"] = cases.home_items(session, settings, user, lang)
    return context


@router.get("/login")
def login_form(request: Request, user: Public, lang: Lang, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", lang=lang, user=None, next=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    lang: Lang,
    _user: Public,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    guard: SignInGuard = request.app.state.signin
    try:
        user = guard.attempt(client_address(request), username, lambda: authenticate(
            session, username=username, password=password))  # fmt: skip
    except (NotAuthenticated, Throttled) as exc:
        return render(
            request, "login.html", lang=lang, user=None, status_code=exc.status,
            error=exc.message, username=username, next=safe_next(next),
        )  # fmt: skip
    key = open_session(session, user, request.app.state.settings.session_max_age)
    request.session.clear()  # a fresh session (and CSRF token) for the signed-in user
    request.session["sid"] = key
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, _user: Public, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    key = request.session.get("sid")
    if isinstance(key, str):
        close_session(session, key)  # the cookie's key opens nothing any more
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/privacy")
def privacy_page(request: Request, user: Public, lang: Lang) -> HTMLResponse:
    return render(request, "privacy.html", lang=lang, user=user)


@router.get("/accessibility")
def accessibility_page(request: Request, user: Public, lang: Lang) -> HTMLResponse:
    return render(request, "accessibility.html", lang=lang, user=user)


#: Help pages search finds, by their title (an English msgid) and path.
HELP = (
    (N_("Privacy"), "/privacy", N_("What is read about you, why, and what you can see.")),
    (N_("Accessibility"), "/accessibility", N_("Larger text, screen readers, other ways in.")),
    (N_("Transparency ledger"), "/ledger", N_("Every data access and decision, with proofs.")),
    (N_("Data catalogue"), "/catalogue", N_("The registries' datasets and their fields.")),
)  # fmt: skip


@router.get("/search")
def search_page(
    request: Request, settings: SettingsDep, user: Public, lang: Lang,
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:  # fmt: skip
    """Services and help pages whose name or summary holds every word typed, in the
    page's language (Chinese is matched as typed, without word breaks)."""
    words = [w for w in q.lower().split() if w]
    translate = i18n.translator(lang)
    found: list[tuple[str, str, str]] = []
    if words:
        for service in rules.services(settings).services.values():
            d = service.definition
            title, text = rules.pick(d.name, lang), rules.pick(d.summary, lang)
            haystack = f"{title} {text} {d.name.zh} {d.name.en}".lower()
            if all(w in haystack for w in words):
                found.append((title, text, f"/services/{service.id}"))
        for title_id, path, text_id in HELP:
            title, text = translate(title_id), translate(text_id)
            if all(w in f"{title} {text}".lower() for w in words):
                found.append((title, text, path))
    return render(request, "search.html", lang=lang, user=user, q=q, results=found)


@router.get("/display")
def choose_display(_user: Public, care: int = 0, next: str = "/") -> Response:
    """Larger text, stronger contrast and plainer pages (适老化) on or off; remembered in
    a cookie on this device, signed in or not."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if care:
        response.set_cookie("care", "1", max_age=365 * 86400, samesite="lax")
    else:
        response.delete_cookie("care")
    return response


@router.get("/language")
def choose_language(_user: Public, lang: str = "zh-Hans", next: str = "/") -> Response:
    """Switch language; remembered in a cookie, so it also works before signing in."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in ("zh-Hans", "en"):
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
