"""The ledger's read API: public, so that anyone can check it. `ledger/verify.py`
is its client."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse

from smartgov.core.db import Natural
from smartgov.core.errors import NotFound
from smartgov.core.i18n import N_
from smartgov.core.roles import Permission
from smartgov.ledger import kinds, service
from smartgov.ledger.keys import Signer
from smartgov.ledger.models import LedgerEntry
from smartgov.ledger.schemas import ConsistencyOut, EntriesOut, EntryOut, InclusionOut, KeyOut
from smartgov.ledger.verify import leaf_hash
from smartgov.web.deps import SessionDep, require


async def get_signer(request: Request) -> Signer:
    """The app's checkpoint signer (made at start-up, so a bad key stops the start)."""
    signer: Signer = request.app.state.signer
    return signer


SignerDep = Annotated[Signer, Depends(get_signer)]
router = APIRouter(prefix="/ledger", tags=["ledger"], dependencies=[require(Permission.public)])


def entry_out(entry: LedgerEntry) -> EntryOut:
    return EntryOut(
        index=entry.seq,
        kind=entry.kind,
        body=entry.body,
        leaf_hash=service.b64(leaf_hash(entry.body.encode())),
    )


@router.get("/key")
def key(signer: SignerDep) -> KeyOut:
    """The key that signs checkpoints; auditors should get it from the city, not here."""
    return KeyOut(origin=signer.name, verifier_key=str(signer.verifier))


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(session: SessionDep) -> str:
    """The latest checkpoint: a C2SP signed note with the size and root of the log. The
    server signs one every few seconds while the log grows, never on request."""
    signed = service.latest(session)
    if signed is None:
        raise NotFound(N_("No checkpoint has been signed yet; the server signs one within "
                          "seconds of the first entry."))  # fmt: skip
    return signed.note


@router.get("/schemas")
def entry_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each kind of entry, by kind: what an entry may hold, checked
    before it is appended."""
    return kinds.schemas()


@router.get("/entries")
def entries(session: SessionDep, start: Natural, end: Natural) -> EntriesOut:
    """Entries from `start` up to, not including, `end` (at most 1,000)."""
    return EntriesOut(entries=[entry_out(e) for e in service.entries(session, start, end)])


@router.get("/entries/{index}")
def entry(session: SessionDep, index: Natural) -> EntryOut:
    found = service.entry(session, index)
    if found is None:
        raise NotFound()
    return entry_out(found)


@router.get("/proof/inclusion")
def inclusion(session: SessionDep, index: Natural, size: Natural | None = None) -> InclusionOut:
    """The proof that entry `index` is in the tree of `size` entries (default: all)."""
    proof = service.inclusion_proof(session, index, size)
    return InclusionOut(
        index=proof.index,
        size=proof.size,
        leaf_hash=service.b64(proof.leaf_hash),
        proof=[service.b64(h) for h in proof.proof],
    )


@router.get("/proof/consistency")
def consistency(
    session: SessionDep, first: Natural, second: Natural | None = None
) -> ConsistencyOut:
    """The proof that the log of `second` entries extends the one of `first`."""
    second = service.size(session) if second is None else second
    proof = service.consistency_proof(session, first, second)
    return ConsistencyOut(first=first, second=second, proof=[service.b64(h) for h in proof])
