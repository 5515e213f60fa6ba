"""The SQLite store: schema and its migrations, and atomic per-report writes and reads.

One file (default ``reportlens.db``) in WAL mode, so readers never block the batch writer and a second
writer waits (``busy_timeout``) instead of failing. Each report is written in one transaction: a crash
or a kill mid-batch leaves every report either fully stored or not at all. The schema version lives in
``PRAGMA user_version``; ``MIGRATIONS[i]`` takes a store from version ``i`` to ``i + 1``.

The package: ``Store`` (this module: opening, closing, second connections) composed of one mixin per
module: ``schema`` (DDL, ``MIGRATIONS``, schema version, ``StoreError``), ``writes``, ``reads``,
``index`` (full-text indexes and search reads) and ``web`` (reads for the web app).
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from .index import (BM25_WEIGHTS, LIKE_ESCAPE, _containing, _filter_sql, _Index, _like_literal,  # noqa: F401
                    _report_filter_sql)
from .reads import ReportSummary, StoredSource, _Reads, _set_themes  # noqa: F401
from .schema import (ITEM_KINDS, MIGRATIONS, StoreError, _is_busy, _reason, _Schema, _statements,  # noqa: F401
                     item_columns, source_key, sqlite_features)
from .web import _WebReads
from .writes import _Writes

DEFAULT_DB = "reportlens.db"
BUSY_TIMEOUT_MS = 60_000


class Store(_Schema, _Writes, _Reads, _Index, _WebReads):
    """A reportlens store on disk. Use as a context manager, or call ``close()``.

    ``readonly=True`` (the commands that only read) opens an existing store without writing to it: a
    missing, empty or foreign file is a ``StoreError`` saying there is no store, never turned into a new
    one. A store of an older schema is still migrated (that needs a write, once).
    """

    def __init__(self, path: str | Path = DEFAULT_DB, readonly: bool = False):
        self.path = Path(path)
        self.readonly = False
        if readonly and self._open_readonly():
            return
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.05
        while True:
            try:
                self.conn = self._connect()
                return
            except sqlite3.OperationalError as exc:
                # Switching a cold store to WAL or migrating it can report "locked" at once, without
                # waiting on the busy timeout, while another process does the same: wait and retry.
                if _is_busy(exc) and time.monotonic() + delay < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot open the store ({exc.strerror or exc})") from None

    def _open_readonly(self) -> bool:
        """Open ``self.conn`` read-only; False when the schema is older and the store needs migrating."""
        no_store = StoreError(f"{self.path}: no store here; create one with `reportlens run PATH --db {self.path}`")
        try:
            if not self.path.is_file() or self.path.stat().st_size == 0:
                raise no_store
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                   timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc.strerror or exc})") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None
        if version == 0 and "reports" not in tables:
            conn.close()
            raise no_store
        if version > len(MIGRATIONS):
            conn.close()
            raise StoreError(f"{self.path}: store schema version {version} is newer than this reportlens "
                             f"({len(MIGRATIONS)}); upgrade reportlens")
        if version < len(MIGRATIONS):
            conn.close()
            return False
        self.conn = conn
        self.readonly = True
        return True

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # WAL is persistent: switch only a store that is not in WAL yet (the switch needs a lock).
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self.conn = conn
            self._migrate()
        except BaseException:
            conn.close()
            raise
        return conn

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # -- second connections --------------------------------------------------------------------
    def reader(self) -> "Store":
        """A second read-only connection to this store that another thread may use (one at a time): the
        hybrid search ranks by words in a thread while the query is embedded."""
        other = Store.__new__(Store)
        other.path, other.readonly = self.path, True
        other.conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False,
                                     timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        other.conn.row_factory = sqlite3.Row
        return other
