"""Limits every request meets before a route parses it:

* a body no larger than ``SMARTGOV_MAX_REQUEST_BYTES``, refused from its
  Content-Length before a byte is read, or as soon as a streamed body passes it (a
  300 MB JSON body was parsed, nearly a gigabyte of memory, before the 401);
* no NUL character in the query string or a JSON or form body: PostgreSQL cannot store
  one (its driver error was a 500), and no field needs it. Multipart bodies carry
  files, whose bytes may hold anything; the database's refusal backs that case up
  (``errors``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartgov.core.errors import FieldError
from smartgov.core.i18n import N_

TOO_LARGE = N_("The request is too large.")
HAS_NUL = N_("The request holds a NUL character, which no field accepts.")
# Per body kind, how a NUL is written in it.
_NUL = {b"application/json": (b"\x00", b"\\u0000"),
        b"application/x-www-form-urlencoded": (b"\x00", b"%00")}  # fmt: skip


class Refused(HTTPException):
    """A request refused by its shape; raised from ``receive`` inside a route (FastAPI
    passes HTTP exceptions through its body parsing) and answered like any error."""

    def __init__(self, status: int, message: str, fields: list[FieldError]) -> None:
        super().__init__(status_code=status, detail=message)
        self.message, self.fields = message, fields


def _too_large(limit: int) -> Refused:
    size = FieldError("body", N_("Send at most {size} MB."), {"size": round(limit / 1_048_576, 1)})
    return Refused(413, TOO_LARGE, [size])


#: How an error is answered (``errors.answer``): JSON under /api, a page elsewhere
#: (made off the event loop: a page reads names from the database).
Respond = Callable[[Request, int, str, str, list[FieldError]], Awaitable[Response]]


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_bytes: int, respond: Respond) -> None:
        self.app, self.max_bytes, self.respond = app, max_bytes, respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        early: Refused | None = None
        if not declared.isdigit() or int(declared) > self.max_bytes:
            early = _too_large(self.max_bytes)
        elif b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            early = Refused(422, HAS_NUL, [FieldError("query", HAS_NUL)])
        if early is not None:
            answer = await self.respond(
                Request(scope), early.status_code, "invalid", early.message, early.fields
            )
            await answer(scope, receive, send)
            return
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        patterns = _NUL.get(kind, ())
        seen, tail = 0, b""

        async def guarded() -> Message:
            nonlocal seen, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > self.max_bytes:
                    raise _too_large(self.max_bytes)
                window = tail + chunk  # a pattern may straddle two chunks
                if any(p in window for p in patterns):
                    raise Refused(422, HAS_NUL, [FieldError("body", HAS_NUL)])
                tail = window[-5:]
            return message

        await self.app(scope, guarded, send)
