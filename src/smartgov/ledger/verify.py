"""Check a smartgov ledger from outside: signed checkpoints, inclusion and consistency
proofs, and, if asked, every entry.

This file needs the Python standard library and `cryptography`, nothing else (not
even the rest of smartgov), so an auditor can copy it and run it anywhere:

    python -m smartgov.ledger.verify --log https://city.example/api/v1/ledger \\
        --key 'city.example/ledger+0123abcd+AQ...' [--entry 42 ...] [--state seen.txt] [--all]

It fetches the latest checkpoint (a C2SP signed note) and checks its Ed25519
signature against the key given on the command line, never one the log offers.
With --entry it checks that each entry is in the tree the checkpoint commits to;
with --state it checks that the log only grew since the checkpoint saved in that
file (and saves the new one); with --all it downloads every entry and recomputes the
root. Hashing is RFC 9162 (leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left
|| right)); proofs are verified as RFC 9162 sections 2.1.3.2 and 2.1.4.2 describe.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HASH_SIZE = 32
ED25519 = b"\x01"  # the signature type byte of C2SP signed notes
COSIGNATURE = b"\x04"  # the type byte of Ed25519 witness cosignatures (tlog-cosignature v1)
PRIVATE_PREFIX = "PRIVATE+KEY+"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class VerificationError(ValueError):
    """A proof, checkpoint or entry does not check out; the message says which and why."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} is {len(value)} bytes long; a SHA-256 hash has 32")


def _shift_until_odd_or_zero(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """The root that ``proof`` leads to from the leaf hash at ``index`` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        raise VerificationError(f"entry {index} is not in a tree of {size} entries")
    _check_hash(leaf, "the leaf hash")
    for i, node in enumerate(proof):
        _check_hash(node, f"proof hash {i + 1}")
    fn, sn, root = index, size - 1, leaf
    for node in proof:
        if sn == 0:
            raise VerificationError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            root = node_hash(node, root)
            fn, sn = _shift_until_odd_or_zero(fn, sn)
        else:
            root = node_hash(root, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the inclusion proof is shorter than the tree is deep")
    return root


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> None:
    _check_hash(root, "the root hash")
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise VerificationError(
            f"entry {index} is not in the tree of {size} entries: the proof leads to another root"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> None:
    """Raise unless the tree of ``second`` entries extends the one of ``first`` (RFC 9162
    2.1.4.2), with the edge cases of the transparency-dev verifier."""
    if first > second:
        raise VerificationError(f"the log shrank: {first} entries, then {second}")
    if first == 0:
        raise VerificationError("a consistency proof from the empty tree proves nothing")
    if first == second:
        if proof:
            raise VerificationError("trees of the same size need an empty consistency proof")
        if first_root != second_root:
            raise VerificationError(f"two different roots for the same size {first}")
        return
    if not proof:
        raise VerificationError("the consistency proof is empty")
    _check_hash(first_root, "the first root")
    _check_hash(second_root, "the second root")
    for i, node in enumerate(proof):
        _check_hash(node, f"proof hash {i + 1}")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise VerificationError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            fn, sn = _shift_until_odd_or_zero(fn, sn)
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("the consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise VerificationError(f"the proof does not lead to the root of the first {first} entries")
    if sr != second_root:
        raise VerificationError(f"the proof does not lead to the root of the {second} entries")


# --- Signed checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) --------------


def key_id(name: str, public: bytes, kind: bytes = ED25519) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + kind + public).digest()[:4]


def _named_key(text: str, what: str) -> tuple[str, bytes, bytes, bytes]:
    """name, key id, type byte and key material of `name+hex id+base64(type || key)`."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise VerificationError(f"{what} reads name+keyid+base64key")
    name, hex_id, encoded = parts
    try:
        raw, kid = base64.b64decode(encoded, validate=True), bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise VerificationError(f"{what} is not valid base64 or hex") from None
    if not name or len(raw) != 33 or raw[:1] not in (ED25519, COSIGNATURE):
        raise VerificationError(f"{what} is not a named Ed25519 key")
    return name, kid, raw[:1], raw[1:]


@dataclass(frozen=True)
class VerifierKey:
    """`name+hex key id+base64(type || public key)`, as the Go note package writes it:
    type 0x01 for a log's key, 0x04 for a witness's cosignature key."""

    name: str
    id: bytes
    public: bytes
    kind: bytes = ED25519

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        name, kid, kind, public = _named_key(text, "a verifier key")
        if key_id(name, public, kind) != kid:
            raise VerificationError("the verifier key's id does not match its name and key")
        return cls(name, kid, public, kind)

    def __str__(self) -> str:
        encoded = base64.b64encode(self.kind + self.public).decode()
        return f"{self.name}+{self.id.hex()}+{encoded}"


@dataclass(frozen=True)
class PrivateKey:
    """`PRIVATE+KEY+name+hex key id+base64(type || seed)`: a log's signing key (type
    0x01) or a witness's cosigning key (type 0x04)."""

    name: str
    private: Ed25519PrivateKey
    kind: bytes = ED25519

    @classmethod
    def parse(cls, text: str) -> PrivateKey:
        text = text.strip()
        if not text.startswith(PRIVATE_PREFIX):
            raise VerificationError(
                f"a private key starts with {PRIVATE_PREFIX}; make one with "
                "`smartgov ledger keygen`"
            )
        name, kid, kind, seed = _named_key(text[len(PRIVATE_PREFIX) :], "a private key")
        found = cls(name, Ed25519PrivateKey.from_private_bytes(seed), kind)
        if found.verifier.id != kid:
            raise VerificationError("the private key's id does not match its name and key")
        return found

    @property
    def verifier(self) -> VerifierKey:
        public = self.private.public_key().public_bytes_raw()
        return VerifierKey(self.name, key_id(self.name, public, self.kind), public, self.kind)

    def __str__(self) -> str:
        encoded = base64.b64encode(self.kind + self.private.private_bytes_raw()).decode()
        return f"{PRIVATE_PREFIX}{self.name}+{self.verifier.id.hex()}+{encoded}"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str


def _signed_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's text (with its final newline) and its (name, signature) lines."""
    if not note.endswith("\n") or "\n\n" not in note:
        raise VerificationError("not a signed note: no blank line before the signatures")
    text, _, signatures = note.rpartition("\n\n")
    if any(c < " " and c != "\n" for c in note):
        raise VerificationError("a signed note may not hold control characters")
    lines = []
    for line in signatures.splitlines():
        prefix, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if prefix != "\u2014" or not name or not encoded:
            raise VerificationError(f"not a signature line: {line!r}")
        try:
            lines.append((name, base64.b64decode(encoded, validate=True)))
        except binascii.Error as exc:
            raise VerificationError(f"the signature of {name} is not base64") from exc
    return text + "\n", lines


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """The checkpoint in a signed note, once its signature by ``key`` checks out."""
    if key.kind != ED25519:
        raise VerificationError(f"{key.name} is a witness's key, not a log's")
    text, signatures = _signed_note(note)
    verified = False
    for name, raw in signatures:
        if name != key.name or raw[:4] != key.id:
            continue  # another key's signature (a witness, a rotated key): ignored
        try:
            Ed25519PublicKey.from_public_bytes(key.public).verify(raw[4:], text.encode())
        except InvalidSignature:
            raise VerificationError(f"the checkpoint's signature by {name} is not valid") from None
        verified = True
    if not verified:
        raise VerificationError(f"the checkpoint is not signed by {key.name}")
    lines = text.splitlines()
    if len(lines) < 3:
        raise VerificationError("a checkpoint has an origin, a size and a root hash")
    origin, size, root = lines[:3]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise VerificationError(f"the checkpoint size {size!r} is not a decimal number")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error as exc:
        raise VerificationError("the checkpoint's root hash is not base64") from exc
    _check_hash(root_hash, "the checkpoint's root hash")
    if origin != key.name:
        raise VerificationError(f"the checkpoint is for log {origin!r}, not {key.name!r}")
    return Checkpoint(origin, int(size), root_hash, note)


# --- Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 v1) -------------------


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosign(note: str, witness: PrivateKey, timestamp: int) -> str:
    """``note`` with the witness's cosignature line added. Call it only for a
    checkpoint whose consistency with everything the witness saw before is proved."""
    if witness.kind != COSIGNATURE:
        raise VerificationError(f"{witness.name} is not a witness key (make one with --witness)")
    if not 0 <= timestamp < 2**63:
        raise VerificationError("a cosignature's time is a POSIX timestamp below 2^63")
    text, _ = _signed_note(note)
    signature = witness.private.sign(_cosigned_message(text, timestamp))
    raw = witness.verifier.id + timestamp.to_bytes(8, "big") + signature
    return f"{note}\u2014 {witness.name} {base64.b64encode(raw).decode()}\n"


def open_cosignature(note: str, witness: VerifierKey) -> int:
    """The time at which ``witness`` cosigned the checkpoint in ``note``, once its
    cosignature checks out."""
    if witness.kind != COSIGNATURE:
        raise VerificationError(f"{witness.name} is not a witness's cosignature key")
    text, signatures = _signed_note(note)
    for name, raw in signatures:
        if name != witness.name or raw[:4] != witness.id:
            continue
        if len(raw) != 4 + 8 + 64:
            raise VerificationError(f"the cosignature by {name} is not 76 bytes long")
        timestamp = int.from_bytes(raw[4:12], "big")
        try:
            Ed25519PublicKey.from_public_bytes(witness.public).verify(
                raw[12:], _cosigned_message(text, timestamp)
            )
        except InvalidSignature:
            raise VerificationError(f"the cosignature by {name} is not valid") from None
        return timestamp
    raise VerificationError(f"the checkpoint is not cosigned by {witness.name}")


# --- Talking to a log over HTTP ------------------------------------------------------


class Log:
    """The read API of a smartgov ledger (`/api/v1/ledger`)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout

    def _get(self, path: str, **query: int) -> bytes:
        url = f"{self.url}/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        if not url.startswith(("https://", "http://")):
            raise VerificationError("the log URL must start with https:// or http://")
        with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 - scheme checked above
            return response.read()  # type: ignore[no-any-return]

    def _json(self, path: str, **query: int) -> dict[str, object]:
        try:
            data = json.loads(self._get(path, **query))
        except ValueError as exc:
            raise VerificationError(f"{path}: the log answered something that is not JSON") from exc
        if not isinstance(data, dict):
            raise VerificationError(f"{path}: the log answered something that is not an object")
        return data

    def checkpoint(self) -> str:
        return self._get("checkpoint").decode()

    def entries(self, start: int, end: int) -> list[bytes]:
        data = self._json("entries", start=start, end=end)
        listed = data.get("entries")
        if not isinstance(listed, list) or not all(isinstance(e, dict) for e in listed):
            raise VerificationError("entries: the log answered something that is not a list")
        return [str(e.get("body", "")).encode() for e in listed]

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return _hashes(self._json("proof/inclusion", index=index, size=size)["proof"])

    def consistency(self, first: int, second: int) -> list[bytes]:
        return _hashes(self._json("proof/consistency", first=first, second=second)["proof"])


def _hashes(values: object) -> list[bytes]:
    if not isinstance(values, list):
        raise VerificationError("a proof is a list of base64 hashes")
    try:
        return [base64.b64decode(v, validate=True) for v in values]
    except (binascii.Error, TypeError) as exc:
        raise VerificationError("a proof hash is not base64") from exc


def root_of(leaves: list[bytes]) -> bytes:
    """The RFC 9162 root of the given leaf hashes, kept as a stack of complete subtrees."""
    stack: list[tuple[int, bytes]] = []  # (size, hash), sizes falling powers of two
    for leaf in leaves:
        size, value = 1, leaf
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, value = left_size + size, node_hash(left, value)
        stack.append((size, value))
    if not stack:
        return EMPTY_ROOT
    value = stack[-1][1]
    for _size, left in reversed(stack[:-1]):
        value = node_hash(left, value)
    return value


def audit(
    log: Log,
    key: VerifierKey,
    entries: list[int],
    state: Path | None,
    everything: bool,
    witness: PrivateKey | None = None,
) -> list[str]:
    """Every check asked for; returns what was verified, raises at the first failure.
    A witness (which needs ``state``) cosigns the checkpoint only once its consistency
    with the one it kept is proved, and keeps the cosigned note as its new state."""
    checkpoint = open_checkpoint(log.checkpoint(), key)
    done = [f"checkpoint: {checkpoint.size} entries, signed by {key.name}"]
    for index in entries:
        body = log.entries(index, index + 1)
        if len(body) != 1:
            raise VerificationError(f"entry {index}: the log did not return it")
        proof = log.inclusion(index, checkpoint.size)
        verify_inclusion(index, checkpoint.size, leaf_hash(body[0]), proof, checkpoint.root)
        done.append(f"entry {index}: included ({len(proof)} proof hashes)")
    if state is not None:
        if state.exists():
            seen = open_checkpoint(state.read_text(encoding="utf-8"), key)
            proof = (
                log.consistency(seen.size, checkpoint.size)
                if 0 < seen.size < checkpoint.size  # a shrunk log is refused below
                else []
            )
            if seen.size:
                verify_consistency(seen.size, checkpoint.size, seen.root, checkpoint.root, proof)
            done.append(f"consistent with the {seen.size} entries seen before")
        kept = checkpoint.note
        if witness is not None:
            kept = cosign(checkpoint.note, witness, int(time.time()))
            done.append(f"cosigned {checkpoint.size} entries as {witness.name}")
            done.append(kept.rstrip("\n").rpartition("\n")[2])  # the cosignature line
        state.write_text(kept, encoding="utf-8")
    if everything:
        leaves: list[bytes] = []
        while len(leaves) < checkpoint.size:
            batch = log.entries(len(leaves), min(len(leaves) + 1000, checkpoint.size))
            if not batch:
                raise VerificationError(f"the log stopped returning entries at {len(leaves)}")
            leaves.extend(leaf_hash(b) for b in batch)
        if root_of(leaves) != checkpoint.root:
            raise VerificationError(
                "the entries the log returns do not hash to the root it signed: "
                "entries were changed, removed or reordered"
            )
        done.append(f"all {checkpoint.size} entries hash to the signed root")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--log", required=True, help="the ledger API, e.g. https://host/api/v1/ledger"
    )
    parser.add_argument("--key", required=True, help="the log's verifier key (name+id+key)")
    parser.add_argument("--entry", type=int, action="append", default=[], help="check inclusion")
    parser.add_argument("--state", type=Path, help="file keeping the last checkpoint seen")
    parser.add_argument("--all", action="store_true", help="download every entry, rehash")
    parser.add_argument(
        "--witness", type=Path, help="file with a witness key: cosign consistent growth"
    )
    args = parser.parse_args(argv)
    if args.witness is not None and args.state is None:
        parser.error("--witness needs --state: a witness cosigns only growth from what it kept")
    try:
        key = VerifierKey.parse(args.key)
        witness = None
        if args.witness is not None:
            try:
                text = args.witness.read_text(encoding="utf-8")
            except OSError as exc:
                raise VerificationError(f"cannot read the witness key: {exc}") from None
            witness = PrivateKey.parse(text)
        for line in audit(Log(args.log), key, args.entry, args.state, args.all, witness):
            print(f"ok  {line}")
    except VerificationError as exc:
        print(f"FAILED  {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"FAILED  cannot read the log: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
