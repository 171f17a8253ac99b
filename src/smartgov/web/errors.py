"""Errors answer in the user's language: JSON under /api, an error page elsewhere."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartgov.core import i18n
from smartgov.core.errors import DomainError, FieldError, error_body, field_errors
from smartgov.core.i18n import N_
from smartgov.web import limits
from smartgov.web.deps import is_api, request_language
from smartgov.web.signin import Throttled
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
    413: N_("The request is too large."),
    500: N_("Something went wrong on our side. Please try again later."),
}
UNSTORABLE = N_(
    "A value cannot be stored: check for characters such as NUL, and numbers out of range."
)


def respond(
    request: Request, status: int, code: str, message: str, fields: list[FieldError]
) -> Response:
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


class _WithoutTraceback(logging.Filter):
    """Starlette re-raises an unhandled error after answering 500, so the server logs it
    with its traceback, whose messages and locals may hold personal data. The handler
    below has logged its class and route already; the server's line keeps its words."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


async def answer(
    request: Request, status: int, code: str, message: str, fields: list[FieldError]
) -> Response:
    """``respond`` from an exception handler, which runs on the event loop: a page
    reads the organisation's names from the database, so it is made in a thread."""
    if is_api(request):
        return respond(request, status, code, message, fields)
    return await run_in_threadpool(respond, request, status, code, message, fields)


def install(app: FastAPI) -> None:
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _WithoutTraceback) for f in server_log.filters):
        server_log.addFilter(_WithoutTraceback())

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        shown = await answer(request, exc.status, exc.code, exc.message, exc.fields)
        if isinstance(exc, Throttled):
            shown.headers["Retry-After"] = str(exc.retry_after)
        return shown

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        fields = field_errors(exc.errors(), skip="body")
        return await answer(request, 422, "invalid", STATUS_MESSAGES[422], fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc, limits.Refused):
            return await answer(request, exc.status_code, "invalid", exc.message, exc.fields)
        message = STATUS_MESSAGES.get(exc.status_code, STATUS_MESSAGES[400])
        return await answer(request, exc.status_code, "http_error", message, [])

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # The database refused a value (a NUL in a multipart field, a number out of
        # range): the request's transaction is rolled back; the values stay unlogged.
        log.warning("refused by the database: %s on %s %s", type(exc.orig).__name__,
                    request.method, request.url.path)  # fmt: skip
        return await answer(request, 422, "invalid", UNSTORABLE, [])

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        # Only the exception class and route: messages and locals may hold personal data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return await answer(request, 500, "server_error", STATUS_MESSAGES[500], [])
