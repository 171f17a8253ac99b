"""Errors answer in the user's language: JSON under /api, an error page elsewhere."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartgov.core import i18n
from smartgov.core.errors import DomainError, FieldError, error_body, field_errors
from smartgov.core.i18n import N_
from smartgov.web.deps import is_api, request_language
from smartgov.web.templating import render

log = logging.getLogger("smartgov.web")

STATUS_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Please sign in."),
    403: N_("You do not have permission to do this."),
    404: N_("This page does not exist."),
    405: N_("This method is not allowed here."),
    409: N_("This conflicts with the current state."),
    422: N_("Some fields are not valid."),
    500: N_("Something went wrong on our side. Please try again later."),
}


def _respond(request: Request, status: int, code: str, message: str,
             fields: list[FieldError]) -> Response:  # fmt: skip
    # The handler runs outside the route's dependencies: no account language here.
    lang = request_language(request)
    _ = i18n.translator(lang)
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        body = error_body(code, message, fields, _)
        return JSONResponse(body, status_code=status, headers=headers)
    if status == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return render(
        request,
        "error.html",
        lang=lang,
        user=None,
        status_code=status,
        status=status,
        message=_(message),
        fields=[FieldError(f.field, f.text(_)) for f in fields],
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        return _respond(request, exc.status, exc.code, exc.message, exc.fields)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        fields = field_errors(exc.errors(), skip="body")
        return _respond(request, 422, "invalid", STATUS_MESSAGES[422], fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = STATUS_MESSAGES.get(exc.status_code, STATUS_MESSAGES[400])
        return _respond(request, exc.status_code, "http_error", message, [])

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        # Only the exception class and route: messages and locals may hold personal data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return _respond(request, 500, "server_error", STATUS_MESSAGES[500], [])
