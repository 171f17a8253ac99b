"""The ledger's tables: entries, the hashes of every complete subtree, the head that
hands out positions, and signed checkpoints. Rows are only ever inserted (the head's
size only grows); `smartgov ledger verify` finds any other change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.core.clock import now
from smartgov.core.db import Base

# SQLite makes an INTEGER PRIMARY KEY the row id itself, with no second index.
Position = BigInteger().with_variant(Integer(), "sqlite")


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    seq: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))  # in the body too; nothing looks up by it
    # Canonical JSON; the leaf is its UTF-8 bytes. Personal data in it is pseudonymised.
    body: Mapped[str] = mapped_column(Text)
    # SHA-256(0x00 || body): the tree's level 0, kept in the entry's own row.
    leaf: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
