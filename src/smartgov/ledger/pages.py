"""The ledger as pages, for auditors and anyone else: browse and search its entries by
kind and date, see the latest signed checkpoint, open one entry with its inclusion
proof, and check that proof and the checkpoint's signature in the browser itself
(WebCrypto SHA-256 and noble-ed25519), or with the standalone verifier, downloadable
as one file."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from smartgov.core import i18n
from smartgov.core.db import Natural
from smartgov.core.errors import FieldError, NotFound
from smartgov.core.i18n import N_
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.ledger import kinds, labels, service
from smartgov.ledger.api import SignerDep
from smartgov.ledger.verify import VerificationError, leaf_hash, open_checkpoint, verify_inclusion
from smartgov.web.deps import Lang, SessionDep, require
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[User | None, require(Permission.public)]
VERIFIER = Path(__file__).resolve().parent / "verify.py"


def _words(lang: str) -> tuple[dict[str, str], dict[str, str]]:
    _ = i18n.translator(lang)
    return ({k: _(v) for k, v in labels.KINDS.items()},
            {k: _(v) for k, v in labels.FIELDS.items()})  # fmt: skip


def _day(raw: str, field: str, errors: list[FieldError]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(field, N_("Give a date as YYYY-MM-DD.")))
        return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@router.get("/ledger")
def ledger_page(
    request: Request, session: SessionDep, user: Public, lang: Lang,
    kind: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    before: Natural | None = None,
) -> HTMLResponse:  # fmt: skip
    errors: list[FieldError] = []
    if kind and kind not in kinds.schemas():
        errors.append(FieldError("kind", N_("Choose one of the kinds of entry.")))
    first, last = _day(since, "since", errors), _day(until, "until", errors)
    found: list[Any] = []
    if not errors:
        found = service.browse(
            session, before=before, kind=kind or None,
            since=_midnight(first) if first else None,
            until=_midnight(last + timedelta(days=1)) if last else None,  # the whole last day
        )  # fmt: skip
    kind_words, _fields = _words(lang)
    shown = found[: service.PAGE]
    return render(
        request, "ledger.html", lang=lang, user=user, entries=shown,
        older=shown[-1].seq if len(found) > service.PAGE else None,
        kinds=sorted(kinds.schemas()), kind_words=kind_words,
        form={"kind": kind, "since": since, "until": until}, errors=errors,
        fields={"kind": i18n.translator(lang)("Kind of entry"),
                "since": i18n.translator(lang)("From"), "until": i18n.translator(lang)("To")},
        size=service.size(session), signed=service.latest(session),
        status_code=422 if errors else 200,
    )  # fmt: skip


@router.get("/ledger/verify.py")
def verifier_file(_user: Public) -> FileResponse:
    """The standalone verifier: Python's standard library and `cryptography`, nothing else."""
    return FileResponse(VERIFIER, media_type="text/x-python; charset=utf-8",
                        filename="smartgov_verify.py")  # fmt: skip


@router.get("/ledger/entries/{index}")
def entry_page(
    index: Natural,
    request: Request,
    session: SessionDep,
    signer: SignerDep,
    user: Public,
    lang: Lang,
) -> HTMLResponse:
    found = service.entry(session, index)
    if found is None:
        raise NotFound()
    leaf = leaf_hash(found.body.encode())
    signed = service.latest(session)
    proof: list[bytes] = []
    pending = signed is None or index >= signed.size
    problem = None
    if signed is not None and not pending:
        proof = service.inclusion_proof(session, index, signed.size).proof
        try:  # the same check the standalone verifier makes, against the signed root
            opened = open_checkpoint(signed.note, signer.verifier)
            verify_inclusion(index, opened.size, leaf, proof, opened.root)
        except VerificationError as exc:
            problem = str(exc)
    base = str(request.base_url).rstrip("/")
    kind_words, field_words = _words(lang)
    record = found.record
    return render(
        request, "ledger_entry.html", lang=lang, user=user, entry=found,
        kind_word=kind_words.get(found.kind, found.kind),
        rows=[(field_words.get(k, k), _shown(v, lang)) for k, v in sorted(record.items())
              if k not in ("kind", "time")],
        body=json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True),
        leaf=service.b64(leaf), proof=[service.b64(h) for h in proof], pending=pending,
        checkpoint=signed.note if signed else "", size=signed.size if signed else 0,
        problem=problem, key=str(signer.verifier),
        command=f"python smartgov_verify.py --log {base}/api/v1/ledger "
        f"--key '{signer.verifier}' --entry {index}",
    )  # fmt: skip


def _shown(value: Any, lang: str) -> str:  # noqa: ANN401 - any JSON value
    """A value as a line of text: lists joined, objects as compact JSON, none as a dash."""
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(_shown(v, lang) for v in value) or "–"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return i18n.translator(lang)(N_("Yes") if value else N_("No"))
    return str(value)
