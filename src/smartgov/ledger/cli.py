"""Ledger commands: make a key, sign a checkpoint, check the whole log, prove an entry."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from smartgov.core.commands import fail, settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from smartgov.ledger.keys import Signer

ledger_app = typer.Typer(
    help="The transparency ledger: keys, checkpoints, proofs.", no_args_is_help=True
)


def _open() -> tuple[sessionmaker[Session], Signer]:
    from smartgov.core.db import make_engine, make_sessionmaker
    from smartgov.ledger import keys

    settings = settings_or_exit()
    try:
        signer = keys.from_settings(settings)
    except keys.LedgerKeyError as exc:
        fail(f"SMARTGOV_LEDGER_KEY: {exc}")
    return make_sessionmaker(make_engine(settings)), signer


@ledger_app.command("keygen")
def keygen(
    name: str = typer.Argument(..., help="The log's name, e.g. city.example/ledger."),
    witness: bool = typer.Option(
        False, help="A witness's cosigning key (for `python -m smartgov.ledger.verify --witness`)."
    ),
) -> None:
    """Print a new signing key (keep it secret: SMARTGOV_LEDGER_KEY or _FILE); the
    verifier key to publish goes to standard error."""
    from smartgov.ledger import keys
    from smartgov.ledger.verify import PrivateKey

    try:
        text = keys.generate(name, witness=witness)
    except keys.LedgerKeyError as exc:
        fail(str(exc))
    typer.echo(text)
    typer.echo(f"verifier key: {PrivateKey.parse(text).verifier}", err=True)


@ledger_app.command("key")
def key() -> None:
    """Print the verifier key auditors need to check checkpoints."""
    _factory, signer = _open()
    typer.echo(str(signer.verifier))


@ledger_app.command("checkpoint")
def checkpoint() -> None:
    """Check the entries added since the latest checkpoint, sign the current size (if it
    grew) and print the checkpoint; the server and `smartgov worker` do this every few
    seconds (SMARTGOV_CHECKPOINT_SECONDS). Refuses a log that was cut or edited."""
    from smartgov.core.db import transaction
    from smartgov.ledger import service

    factory, signer = _open()
    try:
        with transaction(factory) as session:
            signed = service.sign(session, signer)
            note = None if signed is None else signed.note
    except service.LogTampered as exc:
        fail(f"not signing: {exc}")
    if note is None:
        fail("the log is empty: there is nothing to sign yet")
    typer.echo(note, nl=False)


@ledger_app.command("verify")
def verify() -> None:
    """Rehash every stored entry and check the tree and every signed checkpoint."""
    from smartgov.core.db import transaction
    from smartgov.ledger import service

    factory, signer = _open()
    with transaction(factory) as session:
        report = service.verify_log(session, signer.verifier)
        signed = service.latest_signed_size(session)
    for problem in report.problems:
        typer.echo(f"FAILED  {problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)
    typer.echo(f"ok  {report.size} entries rehashed; the stored tree matches them")
    if not report.checkpoints:
        typer.echo("note  no checkpoint is signed yet: the tree checks out, but no signature "
                   "binds it (the server signs one within seconds of the first entry)")  # fmt: skip
        return
    typer.echo(f"ok  {report.checkpoints} signed checkpoints match the entries")
    if signed < report.size:
        typer.echo(
            f"note  entries {signed} to {report.size - 1} are not under a signed checkpoint yet "
            "(the next scheduled one signs them; `smartgov ledger checkpoint` does it now)"
        )


@ledger_app.command("prove")
def prove(
    entry: int = typer.Argument(..., help="Position of the entry in the log (from 0)."),
) -> None:
    """Print an entry and the proof that it is in the latest signed checkpoint, as JSON."""
    from smartgov.core.db import transaction
    from smartgov.core.errors import DomainError
    from smartgov.ledger import service
    from smartgov.ledger.verify import open_checkpoint, verify_inclusion

    factory, signer = _open()
    with transaction(factory) as session:
        found = service.entry(session, entry)
        if found is None:
            fail(f"there is no entry {entry}; the log holds {service.size(session)}")
        signed = service.latest(session)
        if signed is None:
            fail("no checkpoint is signed yet; `smartgov ledger checkpoint` signs one")
        try:
            proof = service.inclusion_proof(session, entry, signed.size)
        except DomainError as exc:
            fail(exc)
        opened = open_checkpoint(signed.note, signer.verifier)
        verify_inclusion(entry, opened.size, proof.leaf_hash, proof.proof, opened.root)
        typer.echo(
            json.dumps(
                {
                    "index": entry,
                    "body": found.body,
                    "leaf_hash": service.b64(proof.leaf_hash),
                    "size": proof.size,
                    "proof": [service.b64(h) for h in proof.proof],
                    "checkpoint": signed.note,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
