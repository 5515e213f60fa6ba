"""The store's reads for the web app (``reportlens serve``): a read-only store another thread may use, the
data version that tells cached reads to refresh, the report listing, theme-by-report counts, items of
one kind.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from .schema import ITEM_KINDS


class _WebReads:
    """The reads of a ``Store`` for the web app."""

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
