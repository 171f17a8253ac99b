"""The stored log: appends, proofs checked by the standalone verifier, signed
checkpoints, and tampering found by `verify_log`. Each test works in a transaction
that is rolled back, after whatever the shared test database already holds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from smartgov.core import migrate
from smartgov.core.clock import now
from smartgov.core.db import make_engine, make_sessionmaker, transaction
from smartgov.core.errors import Invalid
from smartgov.core.settings import Settings
from smartgov.ledger import keys, merkle, service
from smartgov.ledger.models import LedgerEntry, LedgerHead, LedgerNode
from smartgov.ledger.verify import (
    leaf_hash,
    open_checkpoint,
    root_of,
    verify_consistency,
    verify_inclusion,
)


def fill(session: Session, count: int) -> list[int]:
    positions: list[int] = []
    for start in range(0, count, 7):  # several batches, of uneven sizes
        batch = [{"kind": "test", "n": i} for i in range(start, min(start + 7, count))]
        positions += service.append(session, batch)
    return positions


def leaves(session: Session, size: int) -> list[bytes]:
    """Every leaf hash up to ``size``, read a page (MAX_RANGE entries) at a time."""
    found: list[bytes] = []
    for start in range(0, size, service.MAX_RANGE):
        page = service.entries(session, start, min(start + service.MAX_RANGE, size))
        found += [leaf_hash(e.body.encode()) for e in page]
    return found


def test_it_hands_out_consecutive_positions(session: Session) -> None:
    before = service.size(session)
    positions = fill(session, 20)
    assert positions == list(range(before, before + 20))
    assert service.size(session) == before + 20
    found = service.entry(session, before + 3)
    assert found is not None and found.kind == "test"
    assert found.body == service.canonical({"kind": "test", "n": 3, "time": found.record["time"]})


def test_the_log_stamps_each_entry_with_its_time_inside_the_body(session: Session) -> None:
    started = now()
    (seq,) = service.append(session, [{"kind": "test", "time": "1999-01-01T00:00:00+00:00"}])
    found = service.entry(session, seq)
    assert found is not None and found.time is not None
    assert started - timedelta(seconds=1) <= found.time <= now()  # the caller's time is replaced
    assert found.time.tzinfo is not None


def test_every_proof_checks_out_with_the_standalone_verifier(session: Session) -> None:
    start = service.size(session)
    fill(session, 45)
    end = service.size(session)
    hashes = leaves(session, end)
    for size in range(max(start, 1), end + 1):
        root = service.root(session, size)
        assert root == root_of(hashes[:size])
        for index in range(max(0, size - 9), size):
            proof = service.inclusion_proof(session, index, size)
            assert proof.leaf_hash == hashes[index]
            verify_inclusion(index, size, proof.leaf_hash, proof.proof, root)
        for first in range(1, size + 1, max(1, size // 6)):
            verify_consistency(
                first, size, service.root(session, first), root,
                service.consistency_proof(session, first, size),
            )  # fmt: skip


def test_it_signs_checkpoints_the_verifier_opens(session: Session, settings: Settings) -> None:
    signer = keys.from_settings(settings)
    fill(session, 3)
    first = service.sign(session, signer)
    assert service.sign(session, signer) is first  # nothing new: no new signature
    opened = open_checkpoint(first.note, signer.verifier)
    assert (opened.size, opened.root) == (service.size(session), service.root(session, opened.size))
    other = keys.parse(keys.generate("someone.else/log"))
    with pytest.raises(ValueError, match="not signed by someone.else/log"):
        open_checkpoint(first.note, other.verifier)


def test_a_key_round_trips_through_its_text_form() -> None:
    text = keys.generate("city.example/ledger")
    signer = keys.parse(text)
    assert signer.name == "city.example/ledger"
    assert str(signer.verifier).startswith("city.example/ledger+")
    with pytest.raises(keys.LedgerKeyError, match="keygen"):
        keys.parse("not a key")
    with pytest.raises(keys.LedgerKeyError, match="id does not match"):
        keys.parse(text.replace("city.example", "city.other"))


def test_it_refuses_proofs_it_cannot_make(session: Session) -> None:
    size = service.size(session) or service.append(session, [{"kind": "test"}])[0] + 1
    with pytest.raises(Invalid) as caught:
        service.inclusion_proof(session, size + 5)
    assert caught.value.fields[0].field == "index"
    with pytest.raises(Invalid) as caught:
        service.inclusion_proof(session, 0, size + 1)
    assert caught.value.fields[0].field == "size"
    with pytest.raises(Invalid) as caught:
        service.consistency_proof(session, 0)
    assert caught.value.fields[0].field == "first"


def _tampered(session: Session, settings: Settings, change: str) -> list[str]:
    signer = keys.from_settings(settings)
    base = service.size(session)
    fill(session, 30)
    service.sign(session, signer)
    assert service.verify_log(session, signer.verifier).ok
    target = base + 11
    if change == "edit":
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.seq == target)
            .values(body='{"kind":"test","n":999}')
        )
    elif change == "delete":
        session.execute(delete(LedgerEntry).where(LedgerEntry.seq == target))
    else:  # swap two entries' contents
        a, b = service.entry(session, target), service.entry(session, target + 1)
        assert a is not None and b is not None
        a.body, b.body = b.body, a.body
        session.flush()
    session.expire_all()
    return service.verify_log(session, signer.verifier).problems


@pytest.mark.parametrize("change", ["edit", "delete", "reorder"])
def test_it_finds_a_changed_deleted_or_reordered_entry(
    session: Session, settings: Settings, change: str
) -> None:
    problems = _tampered(session, settings, change)
    assert problems, f"a {change} went unnoticed"
    target = service.size(session) - 30 + 11
    if change == "delete":
        assert problems[0].startswith(f"entry {target}: missing")
    else:  # the entry's block of 16 (always complete here) is named: no entry keeps a hash
        first = target - target % 16
        assert problems[0].startswith(f"entries {first} to {first + 15}:")


def test_canonical_records_have_one_spelling() -> None:
    assert service.canonical({"b": 1, "a": "数据"}) == '{"a":"数据","b":1}'
    with pytest.raises(ValueError):
        service.canonical({"x": float("nan")})


def _end_of(node: tuple[int, int]) -> int:
    level, index = node
    return (index + 1) << level


def _cut(session: Session, count: int) -> int:
    """Remove the newest ``count`` entries and lower the head, as someone with write
    access to the database would; the new size."""
    at = service.size(session) - count
    session.execute(delete(LedgerEntry).where(LedgerEntry.seq >= at))
    session.execute(update(LedgerHead).where(LedgerHead.id == 1).values(size=at))
    # The stored subtrees that covered the removed entries go too, as they would.
    stored = session.scalars(select(LedgerNode.node).where(LedgerNode.node >= service.STORED_KEYS))
    covering = [k for k in stored if _end_of(merkle.node_of(k)) > at]
    session.execute(delete(LedgerNode).where(LedgerNode.node.in_(covering)))
    session.expire_all()
    return at


def test_signing_refuses_an_edited_tail_entry(session: Session, settings: Settings) -> None:
    """An entry appended after the latest checkpoint and changed before the next one is
    caught at that signing once a stored subtree covers it, and nothing is signed."""
    signer = keys.from_settings(settings)
    fill(session, 3)
    signed = service.sign(session, signer)
    assert signed is not None
    fill(session, 40)
    target = next(p for p in range(signed.size, signed.size + 40) if p % 16 == 0)
    session.execute(
        update(LedgerEntry).where(LedgerEntry.seq == target).values(body='{"kind":"test","n":-1}')
    )
    session.expire_all()
    with pytest.raises(service.LogTampered, match=f"entries {target} to {target + 15}:"):
        service.sign(session, signer)
    assert service.latest_signed_size(session) == signed.size


def test_a_cut_log_is_refused_by_verify_and_by_signing(
    session: Session, settings: Settings
) -> None:
    signer = keys.from_settings(settings)
    fill(session, 20)
    signed = service.sign(session, signer)
    assert signed is not None
    at = _cut(session, 3)
    problems = service.verify_log(session, signer.verifier).problems
    assert problems == [
        f"the log holds {at} entries but a checkpoint signed {signed.size}: entries were cut"
    ]
    with pytest.raises(service.LogTampered, match="entries were cut"):
        service.sign(session, signer)
    # Appending again up to the signed size does not hide it: the entries differ.
    fill(session, 3)
    assert service.verify_log(session, signer.verifier).problems == [
        f"checkpoint at {signed.size}: the entries do not hash to its root"
    ]


def test_a_log_without_a_checkpoint_verifies_its_tree_and_says_so(
    settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/l.db"}))
    migrate.upgrade(engine)
    signer = keys.from_settings(settings)
    with transaction(make_sessionmaker(engine)) as session:
        assert service.sign(session, signer) is None  # an empty log: nothing to sign
        fill(session, 40)
        report = service.verify_log(session, signer.verifier)
        assert report.ok and report.checkpoints == 0 and report.size == 40
        signed = service.sign(session, signer)
        assert signed is not None and signed.size == 40
        assert service.verify_log(session, signer.verifier).checkpoints == 1
    engine.dispose()
