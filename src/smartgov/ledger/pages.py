"""One ledger entry as a page: its text, the signed checkpoint, the inclusion proof
checked here, and the command that checks it again anywhere else."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from smartgov.core.db import Natural
from smartgov.core.errors import NotFound
from smartgov.core.models import User
from smartgov.core.roles import Permission
from smartgov.ledger import service
from smartgov.ledger.api import SignerDep
from smartgov.ledger.verify import VerificationError, leaf_hash, open_checkpoint, verify_inclusion
from smartgov.web.deps import Lang, SessionDep, require
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[User | None, require(Permission.public)]


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
    return render(
        request, "ledger_entry.html", lang=lang, user=user, entry=found,
        body=json.dumps(json.loads(found.body), ensure_ascii=False, indent=2, sort_keys=True),
        leaf=service.b64(leaf), proof=[service.b64(h) for h in proof], pending=pending,
        checkpoint=signed.note if signed else "", size=signed.size if signed else 0,
        problem=problem,
        command=f"python -m smartgov.ledger.verify --log {base}/api/v1/ledger "
        f"--key '{signer.verifier}' --entry {index}",
    )  # fmt: skip
