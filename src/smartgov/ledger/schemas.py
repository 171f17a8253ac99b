"""API shapes of the ledger. Hashes are base64, as in checkpoints and RFC 9162 tools."""

from __future__ import annotations

from pydantic import BaseModel


class KeyOut(BaseModel):
    origin: str
    verifier_key: str


class EntryOut(BaseModel):
    index: int
    kind: str
    body: str  # the canonical JSON whose UTF-8 bytes are the leaf
    leaf_hash: str


class EntriesOut(BaseModel):
    entries: list[EntryOut]


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str]
