"""The ledger as outsiders see it: the public API, the standalone verifier over real
HTTP, and the `smartgov ledger` commands; all pass on the log and fail once an entry
is changed behind the log's back."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.db import transaction
from smartgov.core.settings import Settings
from smartgov.ledger import keys, service
from smartgov.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerHead
from smartgov.ledger.verify import (
    VerifierKey,
    leaf_hash,
    main,
    open_checkpoint,
    open_cosignature,
    verify_inclusion,
)


@pytest.fixture(scope="module")
def logged(factory: sessionmaker[Session], settings: Settings) -> list[int]:
    """Committed entries and a checkpoint over them: at least one whole block of 16."""
    with transaction(factory) as session:
        positions = service.append(session, [{"kind": "test", "n": i} for i in range(40)])
        service.sign(session, keys.from_settings(settings))
    return positions


@pytest.fixture
def tampered(factory: sessionmaker[Session], logged: list[int]) -> Iterator[int]:
    """One committed entry changed behind the log's back, restored afterwards. It starts
    a block of 16 whose subtree hash is stored, so the block is what verify names."""
    target = next(p for p in logged if p % 16 == 0)
    with transaction(factory) as session:
        original = session.get(LedgerEntry, target)
        assert original is not None
        body = original.body
        edited = body.replace('"n":', '"m":')
        assert edited != body
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == target).values(body=edited))
    yield target
    with transaction(factory) as session:
        session.execute(update(LedgerEntry).where(LedgerEntry.seq == target).values(body=body))


def test_the_api_serves_what_the_verifier_checks(
    client: TestClient, settings: Settings, logged: list[int]
) -> None:
    vkey = keys.from_settings(settings).verifier
    assert client.get("/api/v1/ledger/key").json()["verifier_key"] == str(vkey)
    note = client.get("/api/v1/ledger/checkpoint")
    assert note.headers["content-type"].startswith("text/plain")
    checkpoint = open_checkpoint(note.text, vkey)
    index = logged[3]
    entry = client.get(f"/api/v1/ledger/entries/{index}").json()
    proof = client.get(
        "/api/v1/ledger/proof/inclusion", params={"index": index, "size": checkpoint.size}
    ).json()
    leaf = leaf_hash(entry["body"].encode())
    hashes = [base64.b64decode(h) for h in proof["proof"]]
    verify_inclusion(index, checkpoint.size, leaf, hashes, checkpoint.root)
    listed = client.get("/api/v1/ledger/entries", params={"start": index, "end": index + 2})
    assert [e["index"] for e in listed.json()["entries"]] == [index, index + 1]


def test_the_api_refuses_proofs_it_cannot_make_field_by_field(
    client: TestClient, logged: list[int]
) -> None:
    response = client.get("/api/v1/ledger/proof/inclusion", params={"index": 10**9})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "index"
    response = client.get("/api/v1/ledger/proof/consistency", params={"first": 0})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "first"
    assert client.get("/api/v1/ledger/entries/999999999").status_code == 404
    response = client.get("/api/v1/ledger/entries", params={"start": 5, "end": 2})
    assert response.json()["error"]["fields"][0]["field"] == "end"


def test_the_standalone_verifier_checks_the_log_over_http(
    server: str,
    settings: Settings,
    factory: sessionmaker[Session],
    logged: list[int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    vkey = str(keys.from_settings(settings).verifier)
    log, state = f"{server}/api/v1/ledger", tmp_path / "seen.txt"
    assert (
        main(["--log", log, "--key", vkey, "--entry", str(logged[0]), "--state", str(state)]) == 0
    )
    assert state.read_text().startswith(keys.from_settings(settings).name)
    # The log grows; the next run proves it only grew since the checkpoint it saved.
    with transaction(factory) as session:
        service.append(session, [{"kind": "test", "n": "later"}])
    assert main(["--log", log, "--key", vkey, "--state", str(state), "--all"]) == 0
    out = capsys.readouterr().out
    assert "consistent with the" in out and "hash to the signed root" in out


def test_the_standalone_verifier_refuses_a_tampered_log(
    server: str, settings: Settings, tampered: int, capsys: pytest.CaptureFixture[str]
) -> None:
    vkey = str(keys.from_settings(settings).verifier)
    log = f"{server}/api/v1/ledger"
    assert main(["--log", log, "--key", vkey, "--entry", str(tampered)]) == 1
    assert f"entry {tampered} is not in the tree" in capsys.readouterr().err
    assert main(["--log", log, "--key", vkey, "--all"]) == 1
    assert "do not hash to the root it signed" in capsys.readouterr().err
    other = str(keys.parse(keys.generate("someone.else/log")).verifier)
    assert main(["--log", log, "--key", other]) == 1
    assert "not signed by someone.else/log" in capsys.readouterr().err


def ledger_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTGOV_")}
    env.update(
        SMARTGOV_DATABASE_URL=settings.effective_database_url,
        SMARTGOV_SECRET_KEY=settings.secret_key.get_secret_value(),
        SMARTGOV_DATA_DIR=str(settings.data_dir),
    )
    return subprocess.run(
        [sys.executable, "-m", "smartgov", "ledger", *args],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip


def test_the_cli_verifies_proves_and_finds_tampering(
    settings: Settings, logged: list[int], tampered: int
) -> None:
    failed = ledger_command(settings, "verify")
    assert failed.returncode == 1
    first = tampered - tampered % 16  # the block of entries whose stored hash differs
    assert f"entries {first} to {first + 15}:" in failed.stderr


def test_the_cli_verifies_and_proves_an_untouched_log(
    settings: Settings, logged: list[int]
) -> None:
    verified = ledger_command(settings, "verify")
    assert verified.returncode == 0, verified.stderr
    assert "entries rehashed" in verified.stdout
    proved = ledger_command(settings, "prove", str(logged[2]))
    assert proved.returncode == 0, proved.stderr
    assert json.loads(proved.stdout)["index"] == logged[2]
    missing = ledger_command(settings, "prove", "999999999")
    assert missing.returncode == 1 and "there is no entry 999999999" in missing.stderr
    made = ledger_command(settings, "keygen", "city.example/ledger")
    assert made.stdout.startswith("PRIVATE+KEY+city.example/ledger+")
    assert "verifier key: city.example/ledger+" in made.stderr


@contextmanager
def cut(factory: sessionmaker[Session], settings: Settings, *, hide: bool) -> Iterator[int]:
    """The newest 3 entries deleted and the head lowered, as someone with write access
    to the database would; with ``hide``, the checkpoints above the cut go too and the
    shorter log is signed (as the schedule would sign it). Restored afterwards."""
    entries, checkpoints = LedgerEntry.__table__, LedgerCheckpoint.__table__
    with transaction(factory) as session:
        service.sign(session, keys.from_settings(settings))
        at = service.size(session) - 3
        removed = session.execute(select(entries).where(entries.c.seq >= at)).mappings().all()
        session.execute(delete(entries).where(entries.c.seq >= at))
        session.execute(update(LedgerHead).values(size=at))
        signed = session.execute(select(checkpoints).where(checkpoints.c.size > at)).mappings()
        hidden = [dict(row) for row in signed] if hide else []
        session.execute(
            delete(checkpoints).where(checkpoints.c.size.in_([h["size"] for h in hidden]))
        )
        had = session.get(LedgerCheckpoint, at) is not None
        if hide:
            service.sign(session, keys.from_settings(settings))
    try:
        yield at
    finally:
        with transaction(factory) as session:
            if hide and not had:
                session.execute(delete(checkpoints).where(checkpoints.c.size == at))
            session.execute(insert(entries), [dict(row) for row in removed])
            session.execute(update(LedgerHead).values(size=at + 3))
            if hidden:
                session.execute(insert(checkpoints), hidden)


def test_the_cli_finds_a_cut_and_will_not_sign_over_it(
    factory: sessionmaker[Session], settings: Settings, logged: list[int]
) -> None:
    with cut(factory, settings, hide=False) as at:
        failed = ledger_command(settings, "verify")
        assert failed.returncode == 1
        assert f"the log holds {at} entries but a checkpoint signed {at + 3}" in failed.stderr
        refused = ledger_command(settings, "checkpoint")
        assert refused.returncode == 1 and "not signing" in refused.stderr
    assert ledger_command(settings, "verify").returncode == 0


def test_a_witness_cosigns_growth_and_refuses_a_cut_the_log_hid(
    server: str,
    factory: sessionmaker[Session],
    settings: Settings,
    logged: list[int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = ledger_command(settings, "keygen", "witness.example/w1", "--witness")
    witness_key = tmp_path / "witness.key"
    witness_key.write_text(made.stdout)
    witness = VerifierKey.parse(made.stderr.removeprefix("verifier key: ").strip())
    vkey = str(keys.from_settings(settings).verifier)
    args = ["--log", f"{server}/api/v1/ledger", "--key", vkey, "--state", str(tmp_path / "w")]
    args += ["--witness", str(witness_key)]
    with transaction(factory) as session:
        service.sign(session, keys.from_settings(settings))
    assert main(args) == 0
    first = (tmp_path / "w").read_text()
    assert open_cosignature(first, witness) > 0  # C2SP cosignature/v1 over the checkpoint
    with transaction(factory) as session:  # the log grows and the schedule signs it
        service.append(session, [{"kind": "test", "n": "grown"}] * 5)
        service.sign(session, keys.from_settings(settings))
    assert main(args) == 0
    assert "consistent with the" in capsys.readouterr().out
    kept = (tmp_path / "w").read_text()
    assert open_checkpoint(kept, keys.from_settings(settings).verifier).size > int(
        first.split("\n")[1]
    )
    # Entries cut, the checkpoints above removed and the shorter log signed: every
    # signature checks out, only the witness's memory shows the log shrank.
    with cut(factory, settings, hide=True):
        assert main(args) == 1
        assert "the log shrank" in capsys.readouterr().err
        assert (tmp_path / "w").read_text() == kept  # nothing cosigned, nothing forgotten
    other = str(keys.parse(keys.generate("log.example/l")).verifier)
    assert main([*args[:3], other, *args[4:]]) == 1  # a log key is no witness's key
