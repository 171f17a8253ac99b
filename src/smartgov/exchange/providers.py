"""Providers read one subject's fields from wherever a department keeps its registry.

The exchange checks grants, converts types and logs; a provider only reads. Built-in
providers: a SQL table or view (any SQLAlchemy URL), a Parquet or CSV file, and
another smartgov node over HTTP (see ``remote``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Engine, Select, bindparam, column, create_engine, select, table
from sqlalchemy.orm import Session

from smartgov.core.errors import NotFound
from smartgov.core.i18n import N_
from smartgov.core.plugins import Plugins, Unknown
from smartgov.core.settings import Settings
from smartgov.exchange import remote, sources


class Provider(Protocol):
    def read(
        self, session: Session, key: int, names: Sequence[str], purpose: str = ""
    ) -> dict[str, Any] | None:
        """One subject's named fields, or None when the registry has no such subject."""

    def read_many(
        self, session: Session, keys: Sequence[int], names: Sequence[str], purpose: str = ""
    ) -> dict[int, dict[str, Any]]:
        """The named fields of several subjects at once, by key; absent keys are left out."""


class SqlProvider:
    """A table or view; without a URL, the city's own database in the caller's
    transaction, so the read and its ledger record see the same state."""

    _engines: dict[str, Engine] = {}
    _statements: dict[tuple[str, str, tuple[str, ...], bool], Select[Any]] = {}
    _lock = threading.Lock()

    def __init__(self, *, table: str, key: str, url: str | None = None) -> None:
        # Registration refuses them already; this guards a catalogue row changed behind
        # the exchange's back, at the cost of one set lookup per read.
        if url is None and sources.is_platform_table(table):
            raise NotFound(N_("The registry source of this dataset is not a registry."))
        self.table, self.key, self.url = table, key, url

    def _query(self, names: tuple[str, ...], many: bool = False) -> Select[Any]:
        """One statement per table, field list and shape, built once (``_statements``)."""
        cache_key = (self.table, self.key, names, many)
        query = self._statements.get(cache_key)
        if query is None:
            source = table(self.table, column(self.key), *(column(n) for n in names))
            if many:
                query = select(source.c[self.key], *(source.c[n] for n in names)).where(
                    source.c[self.key].in_(bindparam("keys", expanding=True))
                )
            else:
                query = select(*(source.c[n] for n in names)).where(
                    source.c[self.key] == bindparam("key")
                )
            if len(self._statements) < 4096:
                self._statements[cache_key] = query
        return query

    def column(self, session: Session, name: str) -> pa.Array:
        """Every row's value of one field (for published statistics)."""
        query: Select[Any] = select(column(name)).select_from(table(self.table))
        if self.url is None:
            return pa.array(session.connection().execute(query).scalars().all())
        with self._engine().connect() as conn:
            return pa.array(conn.execute(query).scalars().all())

    def read_all(self, session: Session, names: Sequence[str]) -> pa.Table:
        """Every row's key (as ``key``) and named fields, as Arrow (a population read)."""
        source = table(self.table, column(self.key), *(column(n) for n in names))
        query = select(source.c[self.key], *(source.c[n] for n in names))
        if self.url is None:
            rows = session.connection().execute(query).all()
        else:
            with self._engine().connect() as conn:
                rows = conn.execute(query).all()
        columns = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
        values = {n: pa.array(c) for n, c in zip(names, columns[1:], strict=True)}
        return pa.table({"key": pa.array(columns[0], pa.int64()), **values})

    def _engine(self) -> Engine:
        assert self.url is not None
        with self._lock:
            if self.url not in self._engines:
                self._engines[self.url] = create_engine(self.url, pool_pre_ping=True)
            return self._engines[self.url]

    def read(
        self, session: Session, key: int, names: Sequence[str], purpose: str = ""
    ) -> dict[str, Any] | None:
        query = self._query(tuple(names))
        if self.url is None:
            row = session.connection().execute(query, {"key": key}).first()
        else:
            with self._engine().connect() as conn:
                row = conn.execute(query, {"key": key}).first()
        return None if row is None else dict(zip(names, row, strict=True))

    def read_many(
        self, session: Session, keys: Sequence[int], names: Sequence[str], purpose: str = ""
    ) -> dict[int, dict[str, Any]]:
        query = self._query(tuple(names), many=True)
        params = {"keys": list(keys)}
        if self.url is None:
            rows = session.connection().execute(query, params).all()
        else:
            with self._engine().connect() as conn:
                rows = conn.execute(query, params).all()
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


class FileProvider:
    """A Parquet or CSV file, loaded once and indexed by key; reloaded when it changes."""

    _cache: dict[Path, tuple[float, pa.Table, dict[int, int]]] = {}
    _lock = threading.Lock()

    def __init__(self, *, path: Path, key: str) -> None:
        self.path, self.key = path, key

    def load(self) -> tuple[pa.Table, dict[int, int]]:
        """The file's rows and the row of each key, cached until the file changes."""
        try:
            stamp = self.path.stat().st_mtime
        except FileNotFoundError:
            raise NotFound(N_("The registry file of this dataset is missing.")) from None
        with self._lock:
            cached = self._cache.get(self.path)
            if cached is None or cached[0] != stamp:
                data = (
                    pq.read_table(self.path)
                    if self.path.suffix == ".parquet"
                    else pacsv.read_csv(self.path)
                )
                keys = data.column(self.key).to_numpy()
                index = dict(zip(keys.tolist(), np.arange(len(keys)).tolist(), strict=True))
                cached = self._cache[self.path] = (stamp, data, index)
            return cached[1], cached[2]

    def read(
        self, session: Session, key: int, names: Sequence[str], purpose: str = ""
    ) -> dict[str, Any] | None:
        data, index = self.load()
        row = index.get(key)
        if row is None:
            return None
        return {n: data.column(n)[row].as_py() for n in names}

    def read_many(
        self, session: Session, keys: Sequence[int], names: Sequence[str], purpose: str = ""
    ) -> dict[int, dict[str, Any]]:
        data, index = self.load()
        found = [(key, index[key]) for key in keys if key in index]
        if not found:
            return {}
        picked = data.select(list(names)).take([row for _, row in found]).to_pylist()
        return {key: values for (key, _), values in zip(found, picked, strict=True)}

    def column(self, session: Session, name: str) -> pa.ChunkedArray:
        """Every row's value of one field (for published statistics)."""
        return self.load()[0].column(name)

    def read_all(self, session: Session, names: Sequence[str]) -> pa.Table:
        """Every row's key (as ``key``) and named fields, as Arrow (a population read)."""
        data = self.load()[0]
        return data.select([self.key, *names]).rename_columns(["key", *names])


def registries_dir(data_dir: Path) -> Path:
    """Registry files live here and only here: a dataset cannot name any other file."""
    return data_dir / "registries"


@dataclass(frozen=True)
class ProviderKind:
    """How a kind of provider is made from a catalogue entry's ``provider`` settings, and
    which columns it offers (None when only a peer knows), so registration can check the
    catalogue against them."""

    make: Callable[[Mapping[str, Any], Settings], Provider]
    columns: Callable[[Mapping[str, Any], Settings, Session], set[str] | None]


#: The kinds of provider, by the name a catalogue entry gives (``{"kind": ...}``): a
#: city registers its own (a message queue, a department's REST service) with
#: ``register``, as the built-in ones do below.
KINDS: Plugins[ProviderKind] = Plugins("provider kind")
register = KINDS.register


def _kind(spec: Mapping[str, Any]) -> ProviderKind:
    try:
        return KINDS.get(str(spec.get("kind")))
    except Unknown:  # the schema admits registered kinds only: a stored one went away
        raise NotFound(N_("No provider of this kind is installed.")) from None


def provider_for(spec: Mapping[str, Any], settings: Settings) -> Provider:
    """The provider a catalogue entry names (its ``provider`` column)."""
    return _kind(spec).make(spec, settings)


def columns(spec: Mapping[str, Any], settings: Settings, session: Session) -> set[str] | None:
    """The columns a provider offers; None when only the peer knows (HTTP). Raises
    NotFound if its source cannot be read."""
    return _kind(spec).columns(spec, settings, session)


def _sql_columns(spec: Mapping[str, Any], _settings: Settings, session: Session) -> set[str]:
    if spec.get("url") is None:
        found = sources.table_columns(session.connection(), spec["table"])
    else:
        provider = SqlProvider(table=spec["table"], key=spec["key"], url=spec["url"])
        found = sources.table_columns(provider._engine(), spec["table"])
    if not found:
        raise NotFound(N_("The database has no table or view with this name."))
    return set(found)


def _file_columns(spec: Mapping[str, Any], settings: Settings, _session: Session) -> set[str]:
    path = registries_dir(settings.data_dir) / spec["path"]
    if not path.is_file():
        raise NotFound(N_("The registry file of this dataset is missing."))
    if path.suffix == ".parquet":
        return set(pq.read_schema(path).names)
    return set(pacsv.open_csv(path).schema.names)  # the header, not the whole file


register("sql", ProviderKind(
    make=lambda spec, _settings: SqlProvider(table=spec["table"], key=spec["key"],
                                             url=spec.get("url")),
    columns=_sql_columns,
))  # fmt: skip
register("file", ProviderKind(
    make=lambda spec, settings: FileProvider(
        path=registries_dir(settings.data_dir) / spec["path"], key=spec["key"]),
    columns=_file_columns,
))  # fmt: skip
register("http", ProviderKind(
    make=lambda spec, settings: remote.HttpProvider(
        settings, url=spec["url"], peer=spec["peer"], dataset=spec["dataset"]),
    columns=lambda _spec, _settings, _session: None,  # only the peer knows
))  # fmt: skip
