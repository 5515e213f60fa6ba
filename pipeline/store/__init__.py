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
from .schema import (ITEM_KINDS, MIGRATIONS, StoreError, _is_busy, _is_full, _is_readonly, _reason,  # noqa: F401
                     _Schema, _statements, foreign_tables, item_columns, source_key, sqlite_features, write_error)
from .web import _WebReads
from .writes import _Writes

DEFAULT_DB = "reportlens.db"
BUSY_TIMEOUT_MS = 60_000


class Store(_Schema, _Writes, _Reads, _Index, _WebReads):
    """A reportlens store on disk. Use as a context manager, or call ``close()``.

    ``readonly=True`` (the commands that only read) opens an existing store without writing to it: a
    missing or empty file is a ``StoreError`` saying there is no store, never turned into a new one. A
    store of an older schema is still migrated (that needs a write, once). The SQLite file of another
    application is a ``StoreError`` either way, and is left as it was.
    """

    def __init__(self, path: str | Path = DEFAULT_DB, readonly: bool = False):
        self.path = Path(path)
        self.readonly = False
        if self._look_before_writing(keep_open=readonly):
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
                raise self._open_error(exc) from None
            except sqlite3.DatabaseError as exc:
                raise self._open_error(exc) from None
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot open the store ({exc.strerror or exc})") from None

    def _open_error(self, exc: sqlite3.DatabaseError) -> StoreError:
        if _is_readonly(exc) or _is_full(exc):
            return write_error(self.path, exc)
        return StoreError(f"{self.path}: cannot open the store ({_reason(exc)})")

    def _look_before_writing(self, keep_open: bool) -> bool:
        """Read the file at ``self.path``, if there is one, before anything writes to it: the SQLite file
        of another application, or a store of a newer schema, is a ``StoreError``. ``keep_open`` (the
        commands that only read): a missing or empty file is one too, and a current store stays open
        read-only (True). False: open it for writing (a new store, or one to migrate)."""
        no_store = StoreError(f"{self.path}: no store here; create one with `reportlens run PATH --db {self.path}`")
        try:
            exists = self.path.is_file() and self.path.stat().st_size > 0
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc.strerror or exc})") from None
        if not exists:
            if keep_open:
                raise no_store
            return False
        try:
            conn = connect_readonly(self.path)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc.strerror or exc})") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None
        foreign = foreign_tables(version, tables)
        if foreign:
            conn.close()
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise StoreError(f"{self.path} is not a reportlens store (it holds other tables: {shown}); "
                             "give another --db")
        if version > len(MIGRATIONS):
            conn.close()
            raise StoreError(f"{self.path}: store schema version {version} is newer than this reportlens "
                             f"({len(MIGRATIONS)}); upgrade reportlens")
        if not keep_open or version < len(MIGRATIONS):
            conn.close()
            if keep_open and version == 0:
                raise no_store
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
        other.conn = connect_readonly(self.path, check_same_thread=False)
        return other


def connect_readonly(path: Path, **options) -> sqlite3.Connection:
    """A read-only connection to the database at ``path``.

    Reading a database in WAL mode needs its ``-wal`` and ``-shm`` files, which SQLite creates next to it:
    in a folder this user cannot write, that fails (SQLITE_READONLY_DIRECTORY). Nobody can be writing to
    it then (a writer needs those files too), so it is opened ``immutable`` instead: no locks, no files.
    Not when a ``-wal`` file with content is there: immutable would not see what that holds.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    options = {"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None, **options}
    try:
        conn = _first_read(sqlite3.connect(uri, uri=True, **options))
    except sqlite3.OperationalError as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if not (name.startswith("SQLITE_READONLY") or name == "SQLITE_CANTOPEN" or "readonly" in str(exc)):
            raise
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(f"{path}: cannot read the store: {wal.name} holds writes not yet in it, and SQLite "
                             "cannot open them here (is its folder read-only?); open it once where the folder "
                             "is writable") from None
        conn = _first_read(sqlite3.connect(f"{uri}&immutable=1", uri=True, **options))
    conn.row_factory = sqlite3.Row
    return conn


def _first_read(conn: sqlite3.Connection) -> sqlite3.Connection:
    """``conn`` after a first read (where SQLite opens the -wal and -shm files), closed if that fails."""
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn
