"""The store's schema: the DDL of every version in ``MIGRATIONS`` and the migration that applies them, the
schema version (``PRAGMA user_version``), transactions, ``StoreError`` and the reasons it gives, and what
the tables hold and how they name things (``ITEM_KINDS``, ``item_columns``, ``source_key``).

``MIGRATIONS[i]`` takes a store from version ``i`` to ``i + 1``.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..records import Analysis

ITEM_KINDS = ("figures", "stages", "practices", "findings", "recommendations")

MIGRATIONS: list[str] = [
    # 0 -> 1: reports, their sources, sections and extracted items
    """
    CREATE TABLE reports (
        id               TEXT PRIMARY KEY,
        source           TEXT NOT NULL,
        title            TEXT NOT NULL,
        language         TEXT NOT NULL,
        report_type      TEXT,
        target_region    TEXT,
        studied_regions  TEXT NOT NULL DEFAULT '[]',
        metadata         TEXT NOT NULL DEFAULT '{}',
        text             TEXT NOT NULL,
        analysis_version TEXT,
        summary          TEXT,
        created_at       REAL NOT NULL,
        updated_at       REAL NOT NULL
    );
    CREATE TABLE sources (
        path       TEXT PRIMARY KEY,
        size       INTEGER NOT NULL,
        mtime_ns   INTEGER NOT NULL,
        report_id  TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        seen_at    REAL NOT NULL
    );
    CREATE INDEX sources_report ON sources(report_id);
    CREATE TABLE sections (
        report_id  TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        ord        INTEGER NOT NULL,
        heading    TEXT NOT NULL,
        level      INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        start      INTEGER NOT NULL,
        end        INTEGER NOT NULL,
        PRIMARY KEY (report_id, ord)
    );
    CREATE TABLE items (
        rowid      INTEGER PRIMARY KEY,
        report_id  TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL,
        item_id    TEXT NOT NULL,
        ord        INTEGER NOT NULL,
        text       TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT '',
        start      INTEGER NOT NULL,
        end        INTEGER NOT NULL,
        data       TEXT NOT NULL,
        UNIQUE (report_id, kind, item_id)
    );
    CREATE INDEX items_kind ON items(kind, report_id);
    CREATE TABLE embeddings (
        key        TEXT NOT NULL,
        model      TEXT NOT NULL,
        vector     BLOB NOT NULL,
        PRIMARY KEY (key, model)
    );
    CREATE TABLE themes (
        id         TEXT PRIMARY KEY,
        ord        INTEGER NOT NULL,
        label      TEXT NOT NULL,
        data       TEXT NOT NULL
    );
    CREATE TABLE practice_themes (
        report_id  TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        item_id    TEXT NOT NULL,
        theme_id   TEXT NOT NULL,
        PRIMARY KEY (report_id, item_id)
    );
    CREATE INDEX practice_themes_theme ON practice_themes(theme_id);
    """,
    # 1 -> 2: full-text index over extracted items (BM25 keyword search), kept in sync by triggers
    """
    CREATE VIRTUAL TABLE items_fts USING fts5(
        text, detail, content='items', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts (rowid, text, detail) VALUES (new.rowid, new.text, new.detail);
    END;
    CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, text, detail) VALUES ('delete', old.rowid, old.text, old.detail);
    END;
    CREATE TRIGGER items_fts_update AFTER UPDATE ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, text, detail) VALUES ('delete', old.rowid, old.text, old.detail);
        INSERT INTO items_fts (rowid, text, detail) VALUES (new.rowid, new.text, new.detail);
    END;
    INSERT INTO items_fts (items_fts) VALUES ('rebuild');
    CREATE TABLE item_vectors (
        item_rowid INTEGER PRIMARY KEY REFERENCES items(rowid) ON DELETE CASCADE,
        model      TEXT NOT NULL,
        vector     BLOB NOT NULL
    );
    """,
    # 2 -> 3: the year a report came out, for date filters
    """
    ALTER TABLE reports ADD COLUMN year INTEGER;
    CREATE INDEX reports_year ON reports(year);
    """,
    # 3 -> 4: a full-text index of the items written in Chinese, as character bigrams (nlp.cjk_bigrams;
    # filled from Python on save, and for the items already stored by the backfill after this script)
    """
    CREATE VIRTUAL TABLE items_cjk USING fts5(text, detail, tokenize='unicode61');
    CREATE TRIGGER items_cjk_delete AFTER DELETE ON items BEGIN
        DELETE FROM items_cjk WHERE rowid = old.rowid;
    END;
    """,
    # 4 -> 5: the report's own number (GAO-26-107551, HL Paper 190), for `list`
    """
    ALTER TABLE reports ADD COLUMN number TEXT;
    """,
    # 5 -> 6: the sentences of each report's text in full-text indexes (a keyword query also finds text
    # that no extracted item holds); Chinese sentences as character bigrams; filled from Python on save,
    # and for the reports already stored by the backfill after this script
    """
    CREATE TABLE sentences (
        rowid      INTEGER PRIMARY KEY,
        report_id  TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        start      INTEGER NOT NULL,
        end        INTEGER NOT NULL
    );
    CREATE INDEX sentences_report ON sentences(report_id);
    CREATE VIRTUAL TABLE sentences_fts USING fts5(text, tokenize='porter unicode61 remove_diacritics 2');
    CREATE VIRTUAL TABLE sentences_cjk USING fts5(text, tokenize='unicode61');
    CREATE TRIGGER sentences_delete AFTER DELETE ON sentences BEGIN
        DELETE FROM sentences_fts WHERE rowid = old.rowid;
        DELETE FROM sentences_cjk WHERE rowid = old.rowid;
    END;
    """,
]


class StoreError(Exception):
    """The store cannot be opened or written; the message names the file and the reason."""


class _Schema:
    """The schema version, migrations and transactions of a ``Store``."""

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: store schema version {version} is newer than this reportlens "
                f"({len(MIGRATIONS)}); upgrade reportlens"
            )
        for target in range(version, len(MIGRATIONS)):
            # BEGIN IMMEDIATE: two processes opening a fresh store must not both migrate it. (Raw: opening
            # retries on "locked".)
            with self._raw_transaction():
                if self.schema_version == target:
                    for statement in _statements(MIGRATIONS[target]):
                        self.conn.execute(statement)
                    if target + 1 == 4:
                        self._index_cjk()
                    if target + 1 == 6:
                        for row in self.conn.execute("SELECT id, text, language FROM reports").fetchall():
                            self._index_sentences(row[0], row[1], row[2])
                    self.conn.execute(f"PRAGMA user_version = {target + 1}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction; SQLite failing at run time (a read-only store, a full disk, a lock that
        does not free) rolls it back and becomes a ``StoreError`` naming the store."""
        try:
            with self._raw_transaction():
                yield
        except sqlite3.OperationalError as exc:
            raise write_error(self.path, exc) from None

    @contextmanager
    def _raw_transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite rolls back by itself on some errors (a full disk): a second ROLLBACK would fail and
            # hide the reason
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise


def item_columns(analysis: Analysis) -> Iterator[tuple[str, int, object, str, str]]:
    """(kind, order, item, text, detail) of every extracted item, as the ``items`` table holds them.

    Items without a detail of their own (figures, stages) are found by their sentence.
    """
    for kind in ITEM_KINDS:
        for i, item in enumerate(getattr(analysis, kind)):
            detail = getattr(item, "detail", None)
            detail = item.sentence if detail is None else detail
            yield kind, i, item, item.text, detail or ""


def sqlite_features() -> str:
    """The SQLite version, after checking it has FTS5 with the tokenizers the store uses (raises otherwise)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
    finally:
        conn.close()
    return f"SQLite {sqlite3.sqlite_version} with FTS5"


def source_key(path: Path) -> str:
    """How the ``sources`` table names a file: its resolved path (absolute only, for a symlink loop, which
    cannot be resolved: Python 3.11 raises RuntimeError for one, later versions OSError)."""
    try:
        return str(Path(path).resolve())
    except (RuntimeError, OSError):
        return os.path.abspath(path)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (trigger bodies hold semicolons of their own)."""
    statements, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                statements.append(current.strip())
            current = ""
    return statements


def _is_busy(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _reason(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "file is not a database" in text or "malformed" in text:
        return "the file is not a reportlens store or is corrupt"
    if _is_busy(exc):
        return "the store is locked by another process; try again when it finishes"
    if "readonly" in text:
        return "the store is read-only"
    return text


def _is_readonly(exc: BaseException) -> bool:
    return (getattr(exc, "sqlite_errorname", "") or "").startswith("SQLITE_READONLY") or "readonly" in str(exc) \
        or isinstance(exc, PermissionError)


def _is_full(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorname", None) == "SQLITE_FULL" or "disk is full" in str(exc) \
        or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)


def write_error(path: Path, exc: BaseException) -> StoreError:
    """The ``StoreError`` of a write to the store at ``path`` that failed with ``exc`` (nothing of the
    write was kept: each is one transaction)."""
    if _is_readonly(exc):
        where = "its folder" if getattr(exc, "sqlite_errorname", None) == "SQLITE_READONLY_DIRECTORY" \
            else "the file or its folder"
        reason = f"read-only ({where} is not writable)"
    elif _is_full(exc):
        reason = "the disk is full"
    else:
        reason = _reason(exc)
    return StoreError(f"cannot write to the store {path}: {reason}")


# The tables the first migration makes: a file of any schema version without them is not a reportlens store.
STORE_TABLES = frozenset({"reports", "sources", "sections", "items", "embeddings", "themes", "practice_themes"})


def foreign_tables(version: int, tables: set[str]) -> list[str]:
    """The tables that make a database with ``PRAGMA user_version`` ``version`` and these ``tables`` the
    file of another application (empty when it is a reportlens store, or an empty database)."""
    tables = {t for t in tables if not t.startswith("sqlite_")}  # SQLite's own (sqlite_sequence ...)
    if not tables or (version > 0 and STORE_TABLES <= tables):
        return []
    return sorted(tables)
