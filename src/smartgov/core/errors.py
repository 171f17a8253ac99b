"""Domain errors. Messages are English msgids, translated where they are shown."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from smartgov.core.i18n import N_


@dataclass
class FieldError:
    """``message`` is a msgid; ``params`` fill its {placeholders} after translation."""

    field: str
    message: str
    # `field` is the name of the first attribute here, hence the module path.
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    def text(self, translate: Callable[[str], str] = str) -> str:
        return translate(self.message).format(**self.params)


@dataclass
class DomainError(Exception):
    message: str
    fields: list[FieldError] = field(default_factory=list)
    status: int = 400
    code: str = "invalid"
    #: True for an error that records itself (a refused read): its transaction commits.
    keep_writes: ClassVar[bool] = False

    def __str__(self) -> str:
        return self.message


class Invalid(DomainError):
    def __init__(self, message: str, fields: list[FieldError] | None = None) -> None:
        super().__init__(message, fields or [], 422, "invalid")


class NotFound(DomainError):
    def __init__(self, message: str = N_("Not found.")) -> None:
        super().__init__(message, [], 404, "not_found")


class NotAuthenticated(DomainError):
    def __init__(self, message: str = N_("Please sign in.")) -> None:
        super().__init__(message, [], 401, "not_authenticated")


class Forbidden(DomainError):
    def __init__(self, message: str = N_("You do not have permission to do this.")) -> None:
        super().__init__(message, [], 403, "forbidden")


class Conflict(DomainError):
    def __init__(self, message: str, fields: list[FieldError] | None = None) -> None:
        super().__init__(message, fields or [], 409, "conflict")
