"""The store's writes: saving a report with everything extracted from it (atomically), recording the file
it came from, removing a report, caching embeddings, storing item vectors and themes.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..records import Analysis
from .schema import StoreError, _reason, item_columns, source_key

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


class _Writes:
    """The writes of a ``Store``; each public one is one transaction."""

    def save(self, analysis: Analysis, analysis_version: Optional[str], source: Optional[Path] = None,
             embeddings: Optional[tuple[str, dict[str, "np.ndarray"]]] = None,
             source_stat: Optional[tuple[int, int]] = None,
             sentences: Optional[list[tuple[int, int]]] = None, key: Optional[str] = None) -> None:
        """Store one report and everything extracted from it, replacing what was there, atomically.

        ``embeddings`` (model name, vectors by text key) go into the embedding cache in the same transaction.
        ``source_stat`` (size, mtime in ns) is the file's state when it was read (default: as it is now).
        ``sentences``: the report text's sentence spans as ``nlp.sentence_spans`` gives them, when the caller
        has them (a batch worker split the text already); otherwise the text is split here.
        ``key``: how the ``sources`` table names ``source`` when it was resolved elsewhere (Parquet
        shards written on another machine); by default ``source`` resolved here.
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
                self._index_sentences(report.id, report.text, report.language, sentences)
                if embeddings:
                    self._cache_embeddings(embeddings[1], embeddings[0])
                if source is not None:
                    self._record_source(source, report.id, now, source_stat, key)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot write report {report.id} ({_reason(exc)})") from None

    def record_source(self, source: Path, report_id: str, stat: Optional[tuple[int, int]] = None,
                      key: Optional[str] = None) -> None:
        """Remember that ``source``, as it was when read (``stat``: size, mtime in ns; default: as it is now
        on disk), holds report ``report_id`` (``key``: as in ``save``)."""
        with self._transaction():
            self._record_source(source, report_id, time.time(), stat, key)

    def _record_source(self, source: Path, report_id: str, now: float,
                       stat: Optional[tuple[int, int]] = None, key: Optional[str] = None) -> None:
        # The stat of the content that was read, not of the file now: a file saved again after it was read
        # must look changed to the next run, or its new content is never read.
        if stat is None:
            on_disk = source.stat()
            stat = (on_disk.st_size, on_disk.st_mtime_ns)
        key = key or source_key(source)
        previous = self.conn.execute("SELECT report_id FROM sources WHERE path = ?", (key,)).fetchone()
        self.conn.execute(
            "INSERT OR REPLACE INTO sources (path, size, mtime_ns, report_id, seen_at) VALUES (?,?,?,?,?)",
            (key, stat[0], stat[1], report_id, now),
        )
        # Files of identical content share one report: it names the first of them in path order, whichever
        # of them a batch stored first (the same export from any order of arrival).
        self.conn.execute("UPDATE reports SET source = ? WHERE id = ? AND source > ?",
                          (str(source), report_id, str(source)))
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

    def cache_embeddings(self, vectors: dict[str, "np.ndarray"], model: str) -> None:
        with self._transaction():
            self._cache_embeddings(vectors, model)

    def _cache_embeddings(self, vectors: dict[str, "np.ndarray"], model: str) -> None:
        import numpy as np

        self.conn.executemany(
            "INSERT OR REPLACE INTO embeddings (key, model, vector) VALUES (?, ?, ?)",
            [(k, model, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()],
        )

    def put_item_vectors(self, vectors: dict[int, "np.ndarray"], model: str) -> None:
        import numpy as np

        with self._transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO item_vectors (item_rowid, model, vector) VALUES (?, ?, ?)",
                [(rowid, model, np.asarray(v, dtype=np.float32).tobytes()) for rowid, v in vectors.items()],
            )

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
