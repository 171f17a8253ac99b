"""Documents an applicant uploads: checked for size and for what they really are (the
first bytes, not the name or the browser's claim), stored once under their SHA-256,
and listed on the case with that hash."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from smartgov.cases.models import Case, CaseDocument
from smartgov.core.errors import FieldError, Invalid
from smartgov.core.i18n import N_
from smartgov.core.settings import Settings
from smartgov.rules import service as rules

#: What an upload may be, told by its first bytes.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def kind_of(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


def folder(settings: Settings) -> Path:
    return settings.data_dir / "documents"


def check(settings: Settings, field: str, data: bytes) -> str:
    """The upload's real type, or a refusal naming the field."""
    if not data:
        raise Invalid(N_("A document is empty."), [FieldError(field, N_("The file is empty."))])
    if len(data) > settings.max_upload_bytes:
        raise Invalid(
            N_("A document is too large."),
            [
                FieldError(
                    field,
                    N_("Files may be at most {size} MB."),
                    {"size": round(settings.max_upload_bytes / 1_048_576, 1)},
                )
            ],
        )
    found = kind_of(data)
    if found is None:
        raise Invalid(
            N_("A document is not of an accepted type."),
            [FieldError(field, N_("Upload a PDF, PNG or JPEG file."))],
        )
    return found


def store(
    session: Session, settings: Settings, case: Case, *, kind: str, filename: str, data: bytes
) -> CaseDocument:
    """Keep one document of ``case``. The file is written (atomically, by rename) before
    the row; a rolled-back case leaves at most an unreferenced file, never a row
    pointing at nothing."""
    service = rules.get_service(settings, case.service_id)
    if kind not in {d.id for d in service.definition.documents}:
        raise Invalid(
            N_("The service does not ask for this document."),
            [FieldError(f"documents.{kind}", N_("Not a document of this service."))],
        )
    content_type = check(settings, f"documents.{kind}", data)
    digest = hashlib.sha256(data).hexdigest()
    target = folder(settings) / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    document = CaseDocument(
        case_id=case.id,
        kind=kind,
        filename=Path(filename).name[:200],
        content_type=content_type,
        size=len(data),
        sha256=digest,
    )
    session.add(document)
    session.flush()
    return document


def missing(service: rules.Service, kinds: set[str]) -> list[FieldError]:
    """Required documents of ``service`` not among ``kinds``."""
    return [
        FieldError(f"documents.{d.id}", N_("This document is required."))
        for d in service.definition.documents
        if d.required and d.id not in kinds
    ]
