"""The SQLite store: schema and its migrations, and atomic per-report writes and reads.

One file (default ``reportlens.db``) in WAL mode, so readers never block the batch writer and a second
writer waits (``busy_timeout``) instead of failing. Each report is written in one transaction: a crash
or a kill mid-batch leaves every report either fully stored or not at all. The schema version lives in
``PRAGMA user_version``; ``MIGRATIONS[i]`` takes a store from version ``i`` to ``i + 1``.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

from ..records import Analysis, Report, Section

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

DEFAULT_DB = "reportlens.db"
BUSY_TIMEOUT_MS = 60_000

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


@dataclass(frozen=True)
class StoredSource:
    path: str
    size: int
    mtime_ns: int
    report_id: str
    analysis_version: Optional[str]


@dataclass(frozen=True)
class ReportSummary:
    id: str
    title: str
    source: str
    language: str
    report_type: Optional[str]
    counts: dict[str, int]
    year: Optional[int] = None
    number: Optional[str] = None


class Store:
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
            # BEGIN IMMEDIATE: two processes opening a fresh store must not both migrate it.
            with self._transaction():
                if self.schema_version == target:
                    for statement in _statements(MIGRATIONS[target]):
                        self.conn.execute(statement)
                    if target + 1 == 4:
                        self._index_cjk()
                    if target + 1 == 6:
                        for row in self.conn.execute("SELECT id, text, language FROM reports").fetchall():
                            self._index_sentences(row[0], row[1], row[2])
                    self.conn.execute(f"PRAGMA user_version = {target + 1}")

    # -- writes ------------------------------------------------------------------------------------
    def save(self, analysis: Analysis, analysis_version: Optional[str], source: Optional[Path] = None,
             embeddings: Optional[tuple[str, dict[str, "np.ndarray"]]] = None,
             source_stat: Optional[tuple[int, int]] = None) -> None:
        """Store one report and everything extracted from it, replacing what was there, atomically.

        ``embeddings`` (model name, vectors by text key) go into the embedding cache in the same transaction.
        ``source_stat`` (size, mtime in ns) is the file's state when it was read (default: as it is now).
        """
        report = analysis.report
        now = time.time()
        meta = {"visit_dates": report.visit_dates, "visited_organizations": report.visited_organizations}
        try:
            with self._transaction():
                self.conn.execute("DELETE FROM items WHERE report_id = ?", (report.id,))
                self.conn.execute("DELETE FROM sections WHERE report_id = ?", (report.id,))
                self.conn.execute("DELETE FROM practice_themes WHERE report_id = ?", (report.id,))
                self.conn.execute("DELETE FROM sentences WHERE report_id = ?", (report.id,))
                self.conn.execute(
                    """INSERT INTO reports (id, source, title, language, report_type, target_region,
                       studied_regions, metadata, text, analysis_version, summary, year, number, created_at,
                       updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(id) DO UPDATE SET source=excluded.source, title=excluded.title,
                       summary=excluded.summary, year=excluded.year, number=excluded.number,
                       language=excluded.language, report_type=excluded.report_type,
                       target_region=excluded.target_region, studied_regions=excluded.studied_regions,
                       metadata=excluded.metadata, text=excluded.text,
                       analysis_version=excluded.analysis_version, updated_at=excluded.updated_at""",
                    (report.id, report.source, report.title, report.language, report.report_type,
                     report.target_region, json.dumps(report.studied_regions, ensure_ascii=False),
                     json.dumps(meta, ensure_ascii=False), report.text, analysis_version,
                     analysis.summary.model_dump_json() if analysis.summary else None, report.year, report.number,
                     now, now),
                )
                self.conn.executemany(
                    "INSERT INTO sections (report_id, ord, heading, level, kind, start, end) VALUES (?,?,?,?,?,?,?)",
                    [(report.id, i, s.heading, s.level, s.kind, s.span[0], s.span[1])
                     for i, s in enumerate(report.sections)],
                )
                rows = [(report.id, kind, item.id, i, text, detail, item.span[0], item.span[1],
                         item.model_dump_json()) for kind, i, item, text, detail in item_columns(analysis)]
                self.conn.executemany(
                    """INSERT INTO items (report_id, kind, item_id, ord, text, detail, start, end, data)
                       VALUES (?,?,?,?,?,?,?,?,?)""",
                    rows,
                )
                self._index_cjk(report.id)
                self._index_sentences(report.id, report.text, report.language)
                if embeddings:
                    self._cache_embeddings(embeddings[1], embeddings[0])
                if source is not None:
                    self._record_source(source, report.id, now, source_stat)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot write report {report.id} ({_reason(exc)})") from None

    def _index_cjk(self, report_id: Optional[str] = None) -> None:
        """Put the items with Chinese text (of one report, or all) into the bigram index ``items_cjk``."""
        from ..nlp import CHINESE, cjk_bigrams

        sql = "SELECT rowid, text, detail FROM items"
        rows = self.conn.execute(sql + " WHERE report_id = ?", (report_id,)) if report_id else self.conn.execute(sql)
        self.conn.executemany(
            "INSERT INTO items_cjk (rowid, text, detail) VALUES (?, ?, ?)",
            [(rowid, cjk_bigrams(text), cjk_bigrams(detail)) for rowid, text, detail in rows
             if CHINESE.search(text) or CHINESE.search(detail)])

    def _index_sentences(self, report_id: str, text: str, language: str) -> None:
        """Put the sentences of one report's text into ``sentences`` and its full-text indexes."""
        from ..nlp import CHINESE, cjk_bigrams, sentence_spans

        spans = sentence_spans(text, language="zh" if language == "zh" else "en")
        first = self.conn.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM sentences").fetchone()[0]
        rows = [(first + i, report_id, s, e) for i, (s, e) in enumerate(spans)]
        self.conn.executemany("INSERT INTO sentences (rowid, report_id, start, end) VALUES (?, ?, ?, ?)", rows)
        texts = [(r[0], text[r[2]:r[3]]) for r in rows]
        self.conn.executemany("INSERT INTO sentences_fts (rowid, text) VALUES (?, ?)",
                              [(rowid, t) for rowid, t in texts if not CHINESE.search(t)])
        self.conn.executemany("INSERT INTO sentences_cjk (rowid, text) VALUES (?, ?)",
                              [(rowid, cjk_bigrams(t)) for rowid, t in texts if CHINESE.search(t)])

    def record_source(self, source: Path, report_id: str, stat: Optional[tuple[int, int]] = None) -> None:
        """Remember that ``source``, as it was when read (``stat``: size, mtime in ns; default: as it is now
        on disk), holds report ``report_id``."""
        with self._transaction():
            self._record_source(source, report_id, time.time(), stat)

    def _record_source(self, source: Path, report_id: str, now: float,
                       stat: Optional[tuple[int, int]] = None) -> None:
        # The stat of the content that was read, not of the file now: a file saved again after it was read
        # must look changed to the next run, or its new content is never read.
        if stat is None:
            on_disk = source.stat()
            stat = (on_disk.st_size, on_disk.st_mtime_ns)
        key = source_key(source)
        previous = self.conn.execute("SELECT report_id FROM sources WHERE path = ?", (key,)).fetchone()
        self.conn.execute(
            "INSERT OR REPLACE INTO sources (path, size, mtime_ns, report_id, seen_at) VALUES (?,?,?,?,?)",
            (key, stat[0], stat[1], report_id, now),
        )
        if previous and previous[0] != report_id:
            # The file changed: its old report goes unless another file still holds it.
            still_used = self.conn.execute(
                "SELECT 1 FROM sources WHERE report_id = ? LIMIT 1", (previous[0],)).fetchone()
            if not still_used:
                self.conn.execute("DELETE FROM reports WHERE id = ?", (previous[0],))

    def delete_report(self, report_id: str) -> bool:
        """Remove one report and everything of it: sources, sections, items, their vectors and index rows,
        sentences, theme assignments; its practices leave the stored themes (a theme left empty goes)."""
        with self._transaction():
            cur = self.conn.execute("DELETE FROM reports WHERE id = ?", (report_id,))
            if cur.rowcount:
                self._drop_theme_members(report_id)
            return cur.rowcount > 0

    def _drop_theme_members(self, report_id: str) -> None:
        prefix = f"{report_id}:"
        for theme_id, data in self.conn.execute("SELECT id, data FROM themes").fetchall():
            theme = json.loads(data)
            members = [m for m in theme.get("members", []) if not m.startswith(prefix)]
            if len(members) == len(theme.get("members", [])):
                continue
            if not members:
                self.conn.execute("DELETE FROM themes WHERE id = ?", (theme_id,))
                continue
            theme.update(members=members, size=len(members),
                         reports=[r for r in theme.get("reports", []) if r != report_id])
            self.conn.execute("UPDATE themes SET data = ? WHERE id = ?", (json.dumps(theme, ensure_ascii=False),
                                                                         theme_id))

    def report_of_source(self, path: Path) -> Optional[str]:
        """The id of the report a file (as recorded on its last run) holds, or None."""
        row = self.conn.execute("SELECT report_id FROM sources WHERE path = ?", (source_key(path),)).fetchone()
        return row[0] if row else None

    def source_rows(self, report_id: str) -> list[dict]:
        """The files merged into one report (identical cleaned content): path, size, mtime, last seen."""
        return [{"path": r[0], "size": r[1], "mtime_ns": r[2], "seen_at": r[3]} for r in self.conn.execute(
            "SELECT path, size, mtime_ns, seen_at FROM sources WHERE report_id = ? ORDER BY path", (report_id,))]

    # -- reads -------------------------------------------------------------------------------------
    def source(self, path: Path) -> Optional[StoredSource]:
        row = self.conn.execute(
            """SELECT s.path, s.size, s.mtime_ns, s.report_id, r.analysis_version
               FROM sources s JOIN reports r ON r.id = s.report_id WHERE s.path = ?""",
            (source_key(path),),
        ).fetchone()
        return StoredSource(*row) if row else None

    def sources_of(self, report_id: str) -> list[str]:
        """The files (resolved paths) whose content is this report, in path order."""
        return [r[0] for r in self.conn.execute(
            "SELECT path FROM sources WHERE report_id = ? ORDER BY path", (report_id,))]

    def analysis_version(self, report_id: str) -> Optional[str]:
        row = self.conn.execute("SELECT analysis_version FROM reports WHERE id = ?", (report_id,)).fetchone()
        return row[0] if row else None

    def has_report(self, report_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM reports WHERE id = ?", (report_id,)).fetchone() is not None

    def resolve_id(self, prefix: str) -> str:
        """The full id of the one report whose id starts with ``prefix``; KeyError otherwise."""
        rows = self.conn.execute(
            "SELECT id FROM reports WHERE id >= ? AND id < ? LIMIT 2", (prefix, prefix + "\uffff")).fetchall()
        if len(rows) != 1:
            raise KeyError(f"no report with id {prefix!r}" if not rows else f"report id {prefix!r} is ambiguous")
        return rows[0][0]

    def load(self, report_id: str) -> Analysis:
        """The stored analysis of one report, exactly as it was saved."""
        row = self.conn.execute("SELECT * FROM reports WHERE id = ?", (report_id,)).fetchone()
        if row is None:
            raise KeyError(f"no report with id {report_id!r}")
        meta = json.loads(row["metadata"])
        sections = [
            Section(heading=s["heading"], level=s["level"], kind=s["kind"], span=(s["start"], s["end"]))
            for s in self.conn.execute(
                "SELECT * FROM sections WHERE report_id = ? ORDER BY ord", (report_id,))
        ]
        report = Report(
            id=row["id"], source=row["source"], title=row["title"], language=row["language"],
            report_type=row["report_type"], target_region=row["target_region"], year=row["year"],
            number=row["number"],
            studied_regions=json.loads(row["studied_regions"]), text=row["text"], sections=sections,
            visit_dates=meta.get("visit_dates", []), visited_organizations=meta.get("visited_organizations", []),
        )
        items: dict[str, list] = {kind: [] for kind in ITEM_KINDS}
        for item in self.conn.execute(
                "SELECT kind, data FROM items WHERE report_id = ? ORDER BY kind, ord", (report_id,)):
            items[item["kind"]].append(json.loads(item["data"]))
        themes = {item_id: (theme_id, label) for item_id, theme_id, label in self.conn.execute(
            """SELECT p.item_id, p.theme_id, t.label FROM practice_themes p JOIN themes t ON t.id = p.theme_id
               WHERE p.report_id = ?""", (report_id,))}
        _set_themes(items["practices"], themes)
        summary = json.loads(row["summary"]) if row["summary"] else None
        if summary:
            _set_themes(summary.get("practice_tree", []), themes)
        return Analysis.model_validate({"report": report.model_dump(), **items, "summary": summary})

    def iter_analyses(self) -> Iterator[Analysis]:
        """Every stored analysis, ordered by report id (stable across runs)."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM reports ORDER BY id")]
        for report_id in ids:
            yield self.load(report_id)

    # -- embeddings cache and themes ---------------------------------------------------------------
    def cached_embeddings(self, keys: list[str], model: str) -> dict[str, "np.ndarray"]:
        import numpy as np

        found: dict[str, np.ndarray] = {}
        for chunk in range(0, len(keys), 500):
            part = keys[chunk:chunk + 500]
            marks = ",".join("?" * len(part))
            for key, blob in self.conn.execute(
                    f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})", (model, *part)):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def cache_embeddings(self, vectors: dict[str, "np.ndarray"], model: str) -> None:
        with self._transaction():
            self._cache_embeddings(vectors, model)

    def _cache_embeddings(self, vectors: dict[str, "np.ndarray"], model: str) -> None:
        import numpy as np

        self.conn.executemany(
            "INSERT OR REPLACE INTO embeddings (key, model, vector) VALUES (?, ?, ?)",
            [(k, model, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()],
        )

    def items_without_vectors(self, model: str, kinds=None) -> list[tuple[int, str, str, str]]:
        """(rowid, kind, text, detail) of the items that have no vector from ``model`` yet."""
        sql = """SELECT i.rowid, i.kind, i.text, i.detail FROM items i LEFT JOIN item_vectors v
                 ON v.item_rowid = i.rowid AND v.model = ? WHERE v.item_rowid IS NULL"""
        params: list = [model]
        if kinds:
            sql += f" AND i.kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        return [(r[0], r[1], r[2], r[3]) for r in self.conn.execute(sql + " ORDER BY i.rowid", params)]

    def put_item_vectors(self, vectors: dict[int, "np.ndarray"], model: str) -> None:
        import numpy as np

        with self._transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO item_vectors (item_rowid, model, vector) VALUES (?, ?, ?)",
                [(rowid, model, np.asarray(v, dtype=np.float32).tobytes()) for rowid, v in vectors.items()],
            )

    def item_vectors(self, model: str) -> tuple["np.ndarray", "np.ndarray", "np.ndarray"]:
        """(rowids, unit vectors as one float32 matrix, kinds) of every item with a ``model`` vector."""
        import numpy as np

        rows = self.conn.execute(
            """SELECT v.item_rowid, v.vector, i.kind FROM item_vectors v JOIN items i ON i.rowid = v.item_rowid
               WHERE v.model = ? ORDER BY v.item_rowid""", (model,)).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=object)
        rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        kinds = np.array([r[2] for r in rows], dtype=object)
        return rowids, matrix, kinds

    def practices(self) -> Iterator[tuple[str, str, str, dict]]:
        """(report id, report title, report language, practice record as a dict) for every practice."""
        for row in self.conn.execute(
                """SELECT i.report_id, r.title, r.language, i.data FROM items i JOIN reports r ON r.id = i.report_id
                   WHERE i.kind = 'practices' ORDER BY i.report_id, i.ord"""):
            yield row[0], row[1], row[2], json.loads(row[3])

    def replace_themes(self, themes: list[dict], assignments: dict[tuple[str, str], Optional[str]]) -> None:
        """Store a new set of themes and every practice's theme, in one transaction."""
        with self._transaction():
            self.conn.execute("DELETE FROM themes")
            self.conn.execute("DELETE FROM practice_themes")
            self.conn.executemany(
                "INSERT INTO themes (id, ord, label, data) VALUES (?, ?, ?, ?)",
                [(t["id"], i, t["label"], json.dumps(t, ensure_ascii=False)) for i, t in enumerate(themes)],
            )
            self._assign(assignments)

    def assign_themes(self, assignments: dict[tuple[str, str], Optional[str]]) -> None:
        """Add theme assignments for new practices, keeping the existing themes."""
        with self._transaction():
            self._assign(assignments)

    def _assign(self, assignments: dict[tuple[str, str], Optional[str]]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO practice_themes (report_id, item_id, theme_id) VALUES (?, ?, ?)",
            [(r, i, t) for (r, i), t in assignments.items() if t is not None],
        )

    def themes(self) -> list[dict]:
        return [json.loads(row[0]) for row in self.conn.execute("SELECT data FROM themes ORDER BY ord")]

    def unthemed_practices(self) -> set[tuple[str, str]]:
        rows = self.conn.execute(
            """SELECT i.report_id, i.item_id FROM items i LEFT JOIN practice_themes t
               ON t.report_id = i.report_id AND t.item_id = i.item_id
               WHERE i.kind = 'practices' AND t.theme_id IS NULL""")
        return {(r[0], r[1]) for r in rows}

    def reports(self) -> Iterator[ReportSummary]:
        counts: dict[str, dict[str, int]] = {}
        for row in self.conn.execute("SELECT report_id, kind, COUNT(*) FROM items GROUP BY report_id, kind"):
            counts.setdefault(row[0], {})[row[1]] = row[2]
        for row in self.conn.execute(
                "SELECT id, title, source, language, report_type, year, number FROM reports ORDER BY title, id"):
            yield ReportSummary(row[0], row[1], row[2], row[3], row[4],
                                {k: counts.get(row[0], {}).get(k, 0) for k in ITEM_KINDS}, row[5], row[6])

    def count_reports(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]

    # -- search reads (the SQL of pipeline/search.py) -------------------------------------------------
    def reader(self) -> "Store":
        """A second read-only connection to this store that another thread may use (one at a time): the
        hybrid search ranks by words in a thread while the query is embedded."""
        other = Store.__new__(Store)
        other.path, other.readonly = self.path, True
        other.conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False,
                                     timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        other.conn.row_factory = sqlite3.Row
        return other

    def keyword_ranking(self, table: str, expression: str, kinds: Sequence[str], filters,
                        limit: int) -> list[tuple[int, float]]:
        """(item rowid, BM25 score; higher is better) of the items whose full-text ``table`` (``items_fts``
        or the bigram ``items_cjk``) matches ``expression``, best first, within ``filters``."""
        where, params = _filter_sql(filters, kinds)
        # Rank inside FTS5 first (fast), then filter the best few; widen to every match only when the
        # filters leave too few of them.
        for inner in (limit * 8, -1):
            rows = self.conn.execute(
                f"""SELECT i.rowid, m.s FROM
                      (SELECT rowid, bm25({table}, {BM25_WEIGHTS[0]}, {BM25_WEIGHTS[1]}) AS s FROM {table}
                       WHERE {table} MATCH ? ORDER BY s, rowid LIMIT ?) AS m
                    JOIN items i ON i.rowid = m.rowid JOIN reports r ON r.id = i.report_id
                    WHERE {where} ORDER BY m.s, i.rowid LIMIT ?""",
                [expression, inner, *params, limit]).fetchall()
            if len(rows) >= limit or inner == -1:
                break
            matched = self.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {table} MATCH ?",
                                        (expression,)).fetchone()[0]
            if matched <= inner:
                break
        return [(r[0], -r[1]) for r in rows]

    def substring_ranking(self, terms: Sequence[str], kinds: Sequence[str], filters,
                          limit: int) -> list[tuple[int, float]]:
        """(item rowid, 0.0) of the items holding any of ``terms`` as a substring, in stored order (a
        one-character Chinese word has no bigram to look up)."""
        where, params = _filter_sql(filters, kinds)
        likes = " OR ".join(f"(i.text LIKE ? {LIKE_ESCAPE} OR i.detail LIKE ? {LIKE_ESCAPE})" for _ in terms)
        rows = self.conn.execute(
            f"""SELECT i.rowid FROM items i JOIN reports r ON r.id = i.report_id
                WHERE ({likes}) AND {where} ORDER BY i.rowid LIMIT ?""",
            [p for t in terms for p in (_containing(t), _containing(t))] + params + [limit]).fetchall()
        return [(r[0], 0.0) for r in rows]

    def allowed_rowids(self, kinds: Sequence[str], filters) -> set[int]:
        """The rowids of the items of ``kinds`` within ``filters``."""
        where, params = _filter_sql(filters, kinds)
        return {r[0] for r in self.conn.execute(
            f"SELECT i.rowid FROM items i JOIN reports r ON r.id = i.report_id WHERE {where}", params)}

    def find_item(self, report_id: str, item_id: str) -> Optional[tuple[int, str]]:
        """(rowid, kind) of one item, or None."""
        row = self.conn.execute("SELECT rowid, kind FROM items WHERE report_id = ? AND item_id = ?",
                                (report_id, item_id)).fetchone()
        return (row[0], row[1]) if row else None

    def hit_rows(self, rowids: Sequence[int]) -> dict[int, dict]:
        """What a search hit shows of each item: kind, ids, text, detail, span, region, report title and
        regions, theme label; by rowid."""
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self.conn.execute(
            f"""SELECT i.rowid, i.kind, i.report_id, i.item_id, i.text, i.detail, i.start, i.end, i.data,
                       r.title, r.studied_regions, t.label AS theme
                FROM items i JOIN reports r ON r.id = i.report_id
                LEFT JOIN practice_themes pt ON pt.report_id = i.report_id AND pt.item_id = i.item_id
                LEFT JOIN themes t ON t.id = pt.theme_id
                WHERE i.rowid IN ({marks})""", list(rowids))
        return {r["rowid"]: {"kind": r["kind"], "report_id": r["report_id"], "item_id": r["item_id"],
                             "text": r["text"], "detail": r["detail"], "span": (r["start"], r["end"]),
                             "region": json.loads(r["data"]).get("region"), "report_title": r["title"],
                             "studied_regions": json.loads(r["studied_regions"]), "theme": r["theme"]}
                for r in rows}

    def sentence_ranking(self, table: str, expression: str, filters, limit: int) -> list[dict]:
        """The sentences of report text whose full-text ``table`` (``sentences_fts`` or the bigram
        ``sentences_cjk``) matches ``expression``, best first, within ``filters`` (a theme filter
        leaves none: sentences have no theme): report id and title, span, text, BM25 score."""
        if getattr(filters, "theme", None):
            return []
        where, params = _report_filter_sql(filters)
        rows = self.conn.execute(
            f"""SELECT s.report_id, r.title, r.studied_regions, s.start, s.end, m.s,
                       substr(r.text, s.start + 1, s.end - s.start) FROM
                  (SELECT rowid, bm25({table}) AS s FROM {table} WHERE {table} MATCH ?) AS m
                JOIN sentences s ON s.rowid = m.rowid JOIN reports r ON r.id = s.report_id
                WHERE {where} ORDER BY m.s, s.rowid LIMIT ?""", [expression, *params, limit]).fetchall()
        return [{"report_id": r[0], "report_title": r[1], "studied_regions": json.loads(r[2]),
                 "span": (r[3], r[4]), "score": -r[5], "text": r[6]} for r in rows]

    # -- theme reads (the SQL of pipeline/corpus.py) ---------------------------------------------------
    def theme_members(self) -> dict[str, list[dict]]:
        """The practices of each theme, by theme id, in report and item order: item rowid, ref, text,
        region (the item's, else the report's first studied region), report id and title."""
        members: dict[str, list[dict]] = {}
        for row in self.conn.execute(
                """SELECT pt.theme_id, i.report_id, i.item_id, i.text, r.title, r.studied_regions,
                          json_extract(i.data, '$.region'), i.rowid FROM practice_themes pt
                   JOIN items i ON i.report_id = pt.report_id AND i.item_id = pt.item_id AND i.kind = 'practices'
                   JOIN reports r ON r.id = i.report_id ORDER BY pt.theme_id, i.report_id, i.ord"""):
            members.setdefault(row[0], []).append({
                "rowid": row[7], "id": f"{row[1]}:{row[2]}", "report_id": row[1], "text": row[3],
                "report": row[4], "region": row[6] or (json.loads(row[5]) or [None])[0]})
        return members

    def vectors_of(self, rowids: Sequence[int], model: str) -> dict[int, "np.ndarray"]:
        """The ``model`` vectors of the items with these rowids (those that have one)."""
        import numpy as np

        found: dict[int, np.ndarray] = {}
        rowids = list(rowids)
        for chunk in range(0, len(rowids), 500):
            part = rowids[chunk:chunk + 500]
            marks = ",".join("?" * len(part))
            for rowid, blob in self.conn.execute(
                    f"SELECT item_rowid, vector FROM item_vectors WHERE model = ? AND item_rowid IN ({marks})",
                    [model, *part]):
                found[rowid] = np.frombuffer(blob, dtype=np.float32)
        return found

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # reads for the web app ---------------------------------------------------------------------
    @classmethod
    def open_readonly(cls, path: str | Path) -> "Store":
        """``Store(path, readonly=True)`` (no store, a foreign file or a newer schema is a ``StoreError``;
        an older schema is migrated once) on a connection that another thread may use, one at a time: an
        ASGI server (``reportlens serve``) opens it in one thread and serves from another. In WAL mode it
        reads the last committed state while ``reportlens run`` writes."""
        checked = cls(path, readonly=True)
        try:
            return checked.reader()
        finally:
            checked.close()

    def data_version(self) -> int:
        """A number that changes when another connection commits (so cached reads can be refreshed)."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def report_listing(self) -> list[dict]:
        """Every report with its title, type, language, year, regions and counts of items, by title."""
        counts: dict[str, dict[str, int]] = {}
        for row in self.conn.execute("SELECT report_id, kind, COUNT(*) FROM items GROUP BY report_id, kind"):
            counts.setdefault(row[0], {})[row[1]] = row[2]
        return [{"id": row[0], "title": row[1], "source": row[2], "language": row[3], "report_type": row[4],
                 "year": row[5], "studied_regions": json.loads(row[6]), "target_region": row[7],
                 "counts": {k: counts.get(row[0], {}).get(k, 0) for k in ITEM_KINDS}}
                for row in self.conn.execute(
                    """SELECT id, title, source, language, report_type, year, studied_regions, target_region
                       FROM reports ORDER BY title, id""")]

    def theme_report_counts(self) -> list[tuple[str, str, int]]:
        """(theme id, report id, number of the report's practices in the theme) for every non-empty pair."""
        return [(r[0], r[1], r[2]) for r in self.conn.execute(
            """SELECT theme_id, report_id, COUNT(*) FROM practice_themes
               GROUP BY theme_id, report_id ORDER BY theme_id, report_id""")]

    def items_of_kind(self, kind: str) -> list[tuple[str, str, Optional[int], dict]]:
        """(report id, report title, report year, item record as a dict) of every item of one kind."""
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in self.conn.execute(
            """SELECT i.report_id, r.title, r.year, i.data FROM items i JOIN reports r ON r.id = i.report_id
               WHERE i.kind = ? ORDER BY r.title, i.report_id, i.ord""", (kind,))]


# BM25 weights of the (headline, detail) columns. A headline is a few words, so BM25's length
# normalisation already favours it; weighting it above the detail let one shared word in a short headline
# outrank the items whose text is about the query (bench/search.py: keyword MRR 0.877 -> 0.890,
# hybrid 0.933 -> 0.963, flat for detail weights from 1.5 to 5 times the headline's).
BM25_WEIGHTS = (1.0, 1.5)


# What a user types into a filter is looked for as it is: its % and _ are characters, not LIKE wildcards.
LIKE_ESCAPE = "ESCAPE '\\'"


def _like_literal(text: str) -> str:
    """``text`` as a LIKE pattern that matches only itself (with ``LIKE_ESCAPE``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _containing(text: str) -> str:
    """A LIKE pattern (with ``LIKE_ESCAPE``) of the values that hold ``text``."""
    return f"%{_like_literal(text)}%"


def _report_filter_sql(filters, item_region: bool = False) -> tuple[str, list]:
    """SQL conditions on the report (alias ``r``) of a search's filters: region (also the item's, alias
    ``i``, with ``item_region``), report, type, years."""
    clauses, params = ["1"], []
    if getattr(filters, "region", None):
        places = ["r.studied_regions", "r.target_region"] + (["json_extract(i.data, '$.region')"] if item_region else [])
        clauses.append("(" + " OR ".join(f"{p} LIKE ? {LIKE_ESCAPE}" for p in places) + ")")
        params += [_containing(filters.region)] * len(places)
    if getattr(filters, "report", None):
        clauses.append(f"(r.id LIKE ? {LIKE_ESCAPE} OR r.title LIKE ? {LIKE_ESCAPE} OR r.source LIKE ? {LIKE_ESCAPE})")
        params += [_like_literal(filters.report) + "%", _containing(filters.report), _containing(filters.report)]
    if getattr(filters, "report_type", None):
        clauses.append(f"r.report_type LIKE ? {LIKE_ESCAPE}")
        params.append(_containing(filters.report_type))
    # reports that do not say when they came out are left out of a date filter
    if getattr(filters, "since", None) is not None:
        clauses.append("r.year >= ?")
        params.append(filters.since)
    if getattr(filters, "until", None) is not None:
        clauses.append("r.year <= ?")
        params.append(filters.until)
    return " AND ".join(clauses), params


def _filter_sql(filters, kinds: Sequence[str]) -> tuple[str, list]:
    """SQL conditions on an item (alias ``i``) and its report (``r``) of a search's kinds and filters."""
    report_where, report_params = _report_filter_sql(filters, item_region=True)
    clauses = [f"i.kind IN ({','.join('?' * len(kinds))})", report_where]
    params: list = [*kinds, *report_params]
    if getattr(filters, "theme", None):
        clauses.append(f"""EXISTS (SELECT 1 FROM practice_themes pt JOIN themes t ON t.id = pt.theme_id
                          WHERE pt.report_id = i.report_id AND pt.item_id = i.item_id
                          AND (t.id = ? OR t.label LIKE ? {LIKE_ESCAPE}))""")
        params += [filters.theme, _containing(filters.theme)]
    return " AND ".join(clauses), params


def item_columns(analysis: Analysis) -> Iterator[tuple[str, int, object, str, str]]:
    """(kind, order, item, text, detail) of every extracted item, as the ``items`` table holds them.

    Items without a detail of their own (figures, stages) are found by their sentence.
    """
    for kind in ITEM_KINDS:
        for i, item in enumerate(getattr(analysis, kind)):
            detail = getattr(item, "detail", None)
            detail = item.sentence if detail is None else detail
            yield kind, i, item, item.text, detail or ""


def _set_themes(nodes: list[dict], themes: dict[str, tuple[str, str]]) -> None:
    """Put the stored theme (id and label) on practices or practice-tree nodes, recursively."""
    for node in nodes:
        if node["id"] in themes:
            node["theme_id"], node["theme"] = themes[node["id"]]
        _set_themes(node.get("children", []), themes)


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
