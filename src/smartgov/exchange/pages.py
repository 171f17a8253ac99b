"""Counter officers find the person in front of them (the ID number is posted, never in a URL)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.exchange import service
from smartgov.web.deps import Lang, SessionDep, check_csrf, require
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
Counter = Annotated[User, require(Permission.counter_lookup)]


@router.post("/counter/lookup")
def counter_lookup(
    request: Request,
    session: SessionDep,
    user: Counter,
    lang: Lang,
    resident_id: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    resident_id = resident_id.strip().upper()
    error, person, status = None, None, 200
    if not service.valid_resident_id(resident_id):
        error = N_("Enter an 18-character resident ID number; the last character is a check digit.")
        status = 422
    else:
        person_id = service.find_person_id(session, resident_id)
        if person_id is None:
            error = N_("No resident with this ID number is registered in the city.")
        else:
            person = service.counter_view(session, person_id)
    return render(
        request, "counter.html", lang=lang, user=user, person=person, error=error,
        status_code=status,
    )  # fmt: skip
