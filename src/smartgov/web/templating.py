"""Jinja2 pages: every string goes through the translation catalogue."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from smartgov.core import capabilities, i18n
from smartgov.core.models import Department, District, User
from smartgov.core.roles import ROLE_LABELS, Role, allows
from smartgov.web.deps import csrf_token

SHELL = Path(__file__).resolve().parent / "templates"


def make_environment() -> Environment:
    """Templates of the web shell first, then each enabled capability's; the codes the
    capabilities label (``label()`` on every page) gathered once."""
    folders = [SHELL, *capabilities.folders("templates")]
    env = Environment(
        loader=FileSystemLoader([str(p) for p in folders]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Charts are embedded as data: images, which the CSP allows and inline SVG is not.
    env.filters["b64"] = lambda text: base64.b64encode(text.encode("utf-8")).decode("ascii")
    # Figures that may be withheld (None): a dash, never "None" or a crash.
    env.filters["count"] = lambda value: "–" if value is None else f"{value:,}"
    env.filters["money"] = lambda value: "–" if value is None else f"{value:,.0f}"
    labels: dict[str, str] = {}
    for _capability, path in capabilities.each("labels"):
        labels.update(capabilities.resolve(path))
    env.globals["labels"] = labels
    # Each capability's links in every page's navigation.
    links = [e for _c, entries in capabilities.each("navigation") for e in entries]
    env.globals["navigation"] = sorted(links, key=lambda e: e.order)
    return env


def render(
    request: Request,
    template: str,
    *,
    lang: str,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    env: Environment = request.app.state.templates
    districts, departments = organisation_names(request, lang)
    translate = i18n.translator(lang)
    labels: dict[str, str] = env.globals["labels"]  # type: ignore[assignment]
    html = env.get_template(template).render(
        request=request,
        lang=lang,
        user=user,
        role=Role(user.role) if user else None,
        can=lambda p: user is not None and allows(Role(user.role), p),
        csrf_token=csrf_token(request),
        care=request.cookies.get("care") == "1",  # the larger, plainer display
        site=request.app.state.settings,  # the footer's contact and filing details
        assets=request.app.state.assets,
        _=translate,
        label=lambda code: translate(labels.get(str(code), str(code))),
        role_label=lambda r: translate(ROLE_LABELS[Role(r)]),
        district_names=districts,
        department_names=departments,
        department_name=departments.get(user.department_code or "", "") if user else "",
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def organisation_names(request: Request, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """District and department names in the page's language (read once per language)."""
    cache: dict[str, tuple[dict[str, str], dict[str, str]]] = request.app.state.names
    if lang not in cache:
        with request.app.state.sessionmaker() as session:
            zh = lang == "zh-Hans"
            cache[lang] = (
                {d.code: d.name_zh if zh else d.name_en for d in session.scalars(select(District))},
                {
                    d.code: d.name_zh if zh else d.name_en
                    for d in session.scalars(select(Department))
                },
            )
    return cache[lang]
