"""Domain errors. Messages are English msgids, translated where they are shown."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

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

    @classmethod
    def literal(cls, field: str, text: str) -> FieldError:
        """A message that is no msgid (a parser's words): braces in it, which may come
        from the input (a reform named `{x}`), are kept as text, not placeholders."""
        return cls(field, text.replace("{", "{{").replace("}", "}}"))


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


# Pydantic error types mapped to messages in the catalogue; others get a generic one.
FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This is too short."),
    "string_too_long": N_("This is too long."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "string_type": N_("Enter text."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("The request body must be a JSON object."),
    "dict_type": N_("The request body must be a JSON object."),
    "enum": N_("Choose one of the allowed values."),
}
INVALID_VALUE = N_("This value is not valid.")


def field_errors(errors: Iterable[Mapping[str, Any]], skip: str = "") -> list[FieldError]:
    """Pydantic's errors as field messages from the catalogue; ``skip`` drops a leading
    location part (FastAPI's ``body``)."""
    return [
        FieldError(
            ".".join(str(p) for p in err["loc"] if p != skip) or skip or "value",
            FIELD_MESSAGES.get(err["type"], INVALID_VALUE),
        )
        for err in errors
    ]


def error_body(
    code: str, message: str, fields: list[FieldError], translate: Callable[[str], str] = str
) -> dict[str, Any]:
    """The JSON every API error answers with: ``{"error": {code, message, fields}}``."""
    return {
        "error": {
            "code": code,
            "message": translate(message),
            "fields": [{"field": f.field, "message": f.text(translate)} for f in fields],
        }
    }
