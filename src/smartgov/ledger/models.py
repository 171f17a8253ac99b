"""The ledger's tables: entries, the hashes of every complete subtree, the head that
hands out positions, and signed checkpoints. Rows are only ever inserted (the head's
size only grows); `smartgov ledger verify` finds any other change."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.core.clock import aware, now
from smartgov.core.db import Base, Timestamp

# SQLite makes an INTEGER PRIMARY KEY the row id itself, with no second index.
Position = BigInteger().with_variant(Integer(), "sqlite")


class LedgerEntry(Base):
    """An entry is its position and its body, nothing else: its kind and time are in
    the body, so the tree covers them, and its leaf hash is the body's hash, computed
    when a proof needs it. Every column more costs appends a measurable share."""

    __tablename__ = "ledger_entry"

    seq: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    # Canonical JSON; the leaf is its UTF-8 bytes. Personal data in it is pseudonymised.
    body: Mapped[str] = mapped_column(Text)
    # Only for entries appended before their time went into the body (migration 0006),
    # which is why it was never covered by the tree.
    created_at: Mapped[datetime | None] = mapped_column(Timestamp())

    @property
    def record(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]

    @property
    def kind(self) -> str:
        return str(self.record.get("kind", ""))

    @property
    def time(self) -> datetime | None:
        stamped = self.record.get("time")
        if stamped is not None:
            return datetime.fromisoformat(stamped)
        return aware(self.created_at) if self.created_at is not None else None


class LedgerNode(Base):
    """Hash of entries [index * 2^level, (index + 1) * 2^level), for levels 1 and up
    (leaves are in the entries). One integer key, `merkle.key(level, index)`, so a
    proof is one IN lookup on the primary key; a leaf's key is its position."""

    __tablename__ = "ledger_node"

    node: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(Base):
    """One row: the number of entries. Appending updates it first, which takes the
    write lock, so concurrent appends get consecutive positions and never a gap."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoint"

    size: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)  # the C2SP signed note, as served
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=now)
