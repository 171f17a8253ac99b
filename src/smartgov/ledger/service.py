"""The transparency ledger: append records, prove them, sign checkpoints, and check
the whole stored log.

Appends run inside the caller's transaction, so a record commits with the action it
records or not at all; positions come from one head row that the append updates
first, which serialises appends without gaps. Every append also stores the hashes of
the subtrees it completes, so proofs read a few dozen stored hashes at any size."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, func, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from smartgov.core.clock import now
from smartgov.core.db import write_rows
from smartgov.core.errors import FieldError, Invalid
from smartgov.core.i18n import N_
from smartgov.core.settings import Settings
from smartgov.ledger import batch, kinds, merkle
from smartgov.ledger.keys import Signer
from smartgov.ledger.merkle import Node
from smartgov.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from smartgov.ledger.verify import (
    EMPTY_ROOT,
    VerificationError,
    VerifierKey,
    leaf_hash,
    node_hash,
    open_checkpoint,
)

if TYPE_CHECKING:  # the schedule signs through this module: named here for types only
    from smartgov.ledger.schedule import Checkpointer

ENTRIES = cast(Table, LedgerEntry.__table__)
NODES = cast(Table, LedgerNode.__table__)
HEAD = cast(Table, LedgerHead.__table__)
BAD_PROOF_REQUEST = N_("That proof cannot be made.")
#: Entries returned by one range read.
MAX_RANGE = 1000
#: The lowest level of subtree whose hash is stored. Below it, a subtree (at most 8
#: leaves) is rehashed from its leaves when a proof needs it: an append then writes
#: about one subtree row per 8 entries instead of one per entry, as tiles do in Tessera.
STORED_FROM = 4
#: Stored keys from here up are subtrees; below, positions of entries (leaves).
STORED_KEYS = merkle.key((STORED_FROM, 0))
# Built once: appends and proofs run these thousands of times a second, and building a
# statement costs more than running it.
_GROW = (
    update(HEAD)
    .where(HEAD.c.id == 1)
    .values(size=HEAD.c.size + bindparam("n"))
    .returning(HEAD.c.size)
)


#: One encoder for every record: building one per call costs a fifth of an append.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical(record: Mapping[str, Any]) -> str:
    """One spelling per record: sorted keys, no spaces, UTF-8 text, no NaN."""
    return _CANONICAL.encode(record)


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


# --- Appending ---------------------------------------------------------------------


def record(session: Session, kind: str, body: Mapping[str, Any]) -> int:
    """Append one record of ``kind`` in this transaction; its position in the log."""
    return append(session, [{**body, "kind": kind}])[0]


#: Appends records from many requests in batches (group commit); see ``batch``.
Writer = batch.Writer
Follow = batch.Follow
Deferred = batch.Deferred
insert_followers = batch.insert_followers


def append(session: Session, records: Sequence[Mapping[str, Any]]) -> list[int]:
    """Append records (each with a ``kind``) in this transaction; their positions.
    Each body gets the append's time as ``time``, so the tree covers when as well as
    what; a ``time`` the caller gave is replaced."""
    if not records:
        return []
    stamp = now().isoformat(timespec="milliseconds")
    stamped = [{**r, "time": stamp} for r in records]
    kinds.check(stamped)  # each kind's schema: no field, and so no personal data, unplanned
    bodies = [canonical(r) for r in stamped]
    conn = session.connection()
    end = conn.execute(_GROW, {"n": len(bodies)}).scalar_one()
    start = end - len(bodies)
    known = nodes(session, merkle.frontier(start))
    leaves = [leaf_hash(b.encode()) for b in bodies]
    made = merkle.extend(start, leaves, known.__getitem__, keep_from=STORED_FROM)
    _insert(session, ENTRIES, ("seq", "body"), list(zip(range(start, end), bodies, strict=True)))
    _insert(session, NODES, ("node", "hash"), [(merkle.key((lv, ix)), h) for lv, ix, h in made])
    return list(range(start, end))


def _insert(
    session: Session, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    # SQLAlchemy's own bulk insert costs more than the rest of an append together.
    write_rows(session.connection(), table.name, names, rows)


# --- Reading -----------------------------------------------------------------------


def size(session: Session) -> int:
    return session.scalar(select(LedgerHead.size).where(LedgerHead.id == 1)) or 0


def nodes(session: Session, wanted: Iterable[Node]) -> dict[Node, bytes]:
    """Hashes of the given subtrees, in one query: stored subtrees by primary key,
    leaves from their entries' bodies, and a subtree below ``STORED_FROM`` rehashed
    from its few leaves."""
    leaves: list[int] = []
    inner: list[int] = []
    low: list[Node] = []
    for node in wanted:
        level, index = node
        if level == 0:
            leaves.append(index)
        elif level < STORED_FROM:
            low.append(node)
            leaves.extend(range(index << level, (index + 1) << level))
        else:
            inner.append(merkle.key(node))
    if not leaves and not inner:
        return {}
    # Plain SQL with one placeholder per key: SQLAlchemy's expanding IN re-renders the
    # statement on every call, which cost more than the rest of a proof.
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # Both halves of the union give bytes: the body's UTF-8, or a stored hash.
    body = "convert_to(body, 'UTF8')" if conn.dialect.name == "postgresql" else "CAST(body AS BLOB)"
    parts = [
        f"SELECT {key}, {value} FROM {table} WHERE {key} IN ({', '.join([mark] * len(keys))})"  # noqa: S608 - our names; the keys are bound
        for table, key, value, keys in (
            ("ledger_entry", "seq", body, leaves),
            ("ledger_node", "node", "hash", inner),
        )
        if keys
    ]
    rows = conn.exec_driver_sql(" UNION ALL ".join(parts), (*leaves, *inner)).fetchall()
    # A leaf's key is its position, below any stored subtree's (merkle.key).
    found = {
        merkle.node_of(k): leaf_hash(bytes(v)) if k < STORED_KEYS else bytes(v) for k, v in rows
    }
    for node in low:
        found[node] = _rehash(found, node)
    return found


def _rehash(found: Mapping[Node, bytes], node: Node) -> bytes:
    level, index = node
    if level == 0:
        return found[node]
    return node_hash(
        _rehash(found, (level - 1, 2 * index)), _rehash(found, (level - 1, 2 * index + 1))
    )


def _stored_span(session: Session, wanted: Iterable[Node]) -> dict[Node, bytes]:
    """Stored subtree hashes from the lowest to the highest wanted index of each level:
    one range scan per level rather than tens of thousands of bound values."""
    spans: dict[int, tuple[int, int]] = {}
    for level, index in wanted:
        low, high = spans.get(level, (index, index))
        spans[level] = (min(low, index), max(high, index))
    parts = [
        select(NODES.c.node, NODES.c.hash).where(
            NODES.c.node.between(merkle.key((lv, lo)), merkle.key((lv, hi)))
        )
        for lv, (lo, hi) in spans.items()
        if lv >= STORED_FROM
    ]
    if not parts:
        return {}
    return {merkle.node_of(k): bytes(h) for k, h in session.execute(union_all(*parts))}


def root(session: Session, at: int) -> bytes:
    wanted = merkle.frontier(at)
    return merkle.range_hash(0, at, nodes(session, wanted)) if at else EMPTY_ROOT


def entries(session: Session, start: int, end: int) -> list[LedgerEntry]:
    """Entries [start, end), at most MAX_RANGE of them."""
    problems = []
    if start < 0:
        problems.append(FieldError("start", N_("Give a position of 0 or more.")))
    if end <= start:
        problems.append(FieldError("end", N_("Give an end after the start.")))
    if problems:
        raise Invalid(N_("That range of entries cannot be read."), problems)
    end = min(end, start + MAX_RANGE)
    query = select(LedgerEntry).where(LedgerEntry.seq >= start, LedgerEntry.seq < end)
    return list(session.scalars(query.order_by(LedgerEntry.seq)))


def entry(session: Session, seq: int) -> LedgerEntry | None:
    return session.get(LedgerEntry, seq)


#: Entries a page of the ledger shows.
PAGE = 50


def first_from(session: Session, when: datetime, end: int) -> int:
    """The position of the first entry appended at or after ``when``, among the first
    ``end``: entries are appended in time order, so a bisection reads about 20 of a
    million instead of scanning them."""
    low, high = 0, end
    while low < high:
        middle = (low + high) // 2
        found = session.get(LedgerEntry, middle)
        stamped = found.time if found is not None else None
        if stamped is not None and stamped >= when:
            high = middle
        else:
            low = middle + 1
    return low


def browse(
    session: Session, *, before: int | None = None, kind: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> list[LedgerEntry]:  # fmt: skip
    """The newest entries before position ``before``, of one ``kind`` and appended in
    [since, until) if given; at most PAGE + 1 (the one more says there are older)."""
    end = size(session) if before is None else min(before, size(session))
    start = 0
    if until is not None:
        end = first_from(session, until, end)
    if since is not None:
        start = first_from(session, since, end)
    query = select(LedgerEntry).where(LedgerEntry.seq >= start, LedgerEntry.seq < end)
    if kind:
        # Canonical JSON has no spaces and escapes every quote inside a string, so the
        # key and value appear like this only where the entry's kind is written.
        pattern = '%"kind":' + json.dumps(kind).replace("%", "").replace("_", "\\_") + "%"
        query = query.where(LedgerEntry.body.like(pattern, escape="\\"))
    query = query.order_by(LedgerEntry.seq.desc()).limit(PAGE + 1)
    return [e for e in session.scalars(query) if not kind or e.kind == kind]


@dataclass
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]


def _size_for(session: Session, wanted: int | None, name: str) -> int:
    current = size(session)
    if wanted is None:
        return current
    if not 0 <= wanted <= current:
        message = N_("The log holds {size} entries; give a size from 0 to that.")
        raise Invalid(BAD_PROOF_REQUEST, [FieldError(name, message, {"size": current})])
    return wanted


def inclusion_proof(session: Session, index: int, at: int | None = None) -> InclusionProof:
    """The proof that entry ``index`` is in the tree of the first ``at`` entries."""
    at = _size_for(session, at, "size")
    if not 0 <= index < at:
        message = N_("Entry {index} is not among the first {size} entries.")
        raise Invalid(
            BAD_PROOF_REQUEST, [FieldError("index", message, {"index": index, "size": at})]
        )
    ranges = merkle.inclusion_ranges(index, at)
    known = nodes(session, merkle.needed(ranges) | {(0, index)})
    proof = [merkle.range_hash(a, b, known) for a, b in ranges]
    return InclusionProof(index, at, known[(0, index)], proof)


def consistency_proof(session: Session, first: int, second: int | None = None) -> list[bytes]:
    """The proof that the tree of ``second`` entries extends the one of ``first``."""
    second = _size_for(session, second, "second")
    if not 0 < first <= second:
        message = N_("Give a first size from 1 to {second}.")
        raise Invalid(BAD_PROOF_REQUEST, [FieldError("first", message, {"second": second})])
    ranges = merkle.consistency_ranges(first, second)
    known = nodes(session, merkle.needed(ranges))
    return [merkle.range_hash(a, b, known) for a, b in ranges]


# --- Checkpoints -------------------------------------------------------------------


class LogTampered(RuntimeError):
    """The stored log no longer matches what was appended or signed; nothing is signed
    over it. The message names positions only, never an entry's content."""


def latest(session: Session) -> LedgerCheckpoint | None:
    """The newest signed checkpoint, if any. Reading never signs: checkpoints are made
    on a schedule (``ledger.schedule``), so nobody can have a tampered tail signed by
    asking for a checkpoint at the right moment."""
    return session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()))


def sign(session: Session, signer: Signer, chunk: int = 20_000) -> LedgerCheckpoint | None:
    """Sign the log's current size if it grew since the latest checkpoint, after checking
    that the growth is honest: the head is not below a signed size, the stored tree still
    hashes to the latest signed root, and the new entries rehash to the stored subtrees.
    Returns the newest checkpoint (None for an empty, never-signed log); raises
    ``LogTampered`` rather than sign a log that was cut or edited."""
    at = size(session)
    last = latest(session)
    if last is not None and last.size == at:
        return last
    if last is None and at == 0:
        return None
    start = 0 if last is None else last.size
    if at < start:
        raise LogTampered(
            f"the log holds {at} entries but a checkpoint signed {start}: entries were cut"
        )
    frontier: dict[Node, bytes] = {}
    if last is not None:
        try:
            opened = open_checkpoint(last.note, signer.verifier)
        except VerificationError as exc:
            raise LogTampered(f"checkpoint at {last.size}: {exc}") from None
        frontier = nodes(session, merkle.frontier(start))
        if merkle.range_hash(0, start, frontier) != opened.root:
            raise LogTampered(
                f"the stored tree no longer hashes to the root signed at {start}: "
                "entries or subtree hashes below it were changed"
            )
    known = frontier
    for _first, _end, hashes in _rehashed(session, start, at, frontier, chunk):
        known = hashes  # only the last chunk's are needed for the root
    tree_root = merkle.range_hash(0, at, known)
    note = signer.sign(f"{signer.name}\n{at}\n{b64(tree_root)}\n")
    made = LedgerCheckpoint(size=at, root=tree_root, note=note, created_at=now())
    try:
        with session.begin_nested():  # another process may have signed this size just now
            session.add(made)
    except IntegrityError:
        return session.get(LedgerCheckpoint, at)
    return made


def latest_signed_size(session: Session) -> int:
    return session.scalar(select(func.max(LedgerCheckpoint.size))) or 0


# --- Checking the stored log -------------------------------------------------------


def _rehashed(
    session: Session, start: int, end: int, frontier: Mapping[Node, bytes], chunk: int
) -> Iterator[tuple[int, int, dict[Node, bytes]]]:
    """Rehash entries [start, end) from their bodies, chunk by chunk, starting from the
    hashes of ``frontier(start)``, and compare every stored subtree they complete.
    Yields each chunk's bounds and the hashes known at its end (enough for any root up
    to it); raises ``LogTampered`` at the first entry or subtree that does not check
    out: nothing after a changed, missing or moved entry can be trusted."""
    carried = dict(frontier)  # recomputed or given, never read back from the store here
    while start < end:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerEntry.body)
            .where(LedgerEntry.seq >= start, LedgerEntry.seq < end)
            .order_by(LedgerEntry.seq)
            .limit(chunk)
        ).all()
        if not rows:
            raise LogTampered(f"entries {start} to {end - 1}: missing from the log")
        for offset, (seq, _body) in enumerate(rows):
            if seq != start + offset:
                raise LogTampered(f"entry {start + offset}: missing from the log")
        stop = start + len(rows)
        made = merkle.extend(start, [leaf_hash(b.encode()) for _s, b in rows], carried.__getitem__)
        computed = {(lv, ix): h for lv, ix, h in made}
        stored = _stored_span(session, computed)
        for node, value in computed.items():  # lowest level first, left to right
            if node[0] >= STORED_FROM and stored.get(node) != value:
                # The first subtree that differs: one of its entries changed or moved
                # (or the stored tree did); an entry keeps no hash of its own to say which.
                level, index = node
                raise LogTampered(
                    f"entries {index << level} to {((index + 1) << level) - 1}: the stored "
                    "log does not match what was appended (one of them was changed or "
                    "moved, or the stored tree was)"
                )
        known = {**carried, **computed}
        yield start, stop, known
        carried = {n: known[n] for n in merkle.frontier(stop)}
        start = stop


@dataclass
class Report:
    size: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(session: Session, key: VerifierKey, chunk: int = 20_000) -> Report:
    """Rehash every stored entry up to the head and compare with the stored tree and
    every signed checkpoint; a head below a signed size means entries were cut. A log
    with no checkpoint yet has its tree checked, and ``checkpoints`` says none bound it."""
    report = Report(size=size(session))
    signed: dict[int, bytes] = {}
    for cp in session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)):
        try:
            opened = open_checkpoint(cp.note, key)
        except VerificationError as exc:
            report.problems.append(f"checkpoint at {cp.size}: {exc}")
            continue
        if (opened.size, opened.root) != (cp.size, bytes(cp.root)):
            report.problems.append(f"checkpoint at {cp.size}: its note says otherwise")
        signed[opened.size] = opened.root
    report.checkpoints = len(signed)
    highest = max(signed, default=0)
    if highest > report.size:
        report.problems.append(
            f"the log holds {report.size} entries but a checkpoint signed {highest}: "
            "entries were cut"
        )
        return report
    try:
        for start, end, known in _rehashed(session, 0, report.size, {}, chunk):
            for at in (s for s in signed if start < s <= end):
                if merkle.range_hash(0, at, known) != signed[at]:
                    report.problems.append(
                        f"checkpoint at {at}: the entries do not hash to its root"
                    )
                    return report
    except LogTampered as exc:
        report.problems.append(str(exc))
        return report
    stored_entries = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    if stored_entries != report.size:
        report.problems.append(
            f"the log holds {stored_entries} entries but its head says {report.size}"
        )
    if 0 in signed and signed[0] != EMPTY_ROOT:
        report.problems.append("checkpoint at 0: not the root of the empty log")
    return report


def checkpointer(factory: sessionmaker[Session], settings: Settings) -> Checkpointer:
    """The schedule that signs a checkpoint whenever the log grew, every
    ``settings.checkpoint_seconds``, with the node's ledger key (``start()`` it)."""
    from smartgov.ledger import keys
    from smartgov.ledger.schedule import Checkpointer  # the schedule signs through here

    return Checkpointer(factory, keys.from_settings(settings), settings.checkpoint_seconds)
