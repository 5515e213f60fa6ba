"""The store's reads of reports: their files, ids and versions, loading a stored analysis exactly as it was
saved, listing reports, the embedding cache, items still without vectors, practices and themes (the reads
behind the exports, ``list``, ``show`` and the theme stages).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from ..records import Analysis, Report, Section
from .schema import ITEM_KINDS, source_key

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


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


class _Reads:
    """The reads of reports, sources, embeddings, practices and themes of a ``Store``."""

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

    def report_of_source(self, path: Path) -> Optional[str]:
        """The id of the report a file (as recorded on its last run) holds, or None."""
        row = self.conn.execute("SELECT report_id FROM sources WHERE path = ?", (source_key(path),)).fetchone()
        return row[0] if row else None

    def source_rows(self, report_id: str) -> list[dict]:
        """The files merged into one report (identical cleaned content): path, size, mtime, last seen."""
        return [{"path": r[0], "size": r[1], "mtime_ns": r[2], "seen_at": r[3]} for r in self.conn.execute(
            "SELECT path, size, mtime_ns, seen_at FROM sources WHERE report_id = ? ORDER BY path", (report_id,))]

    def analysis_version(self, report_id: str) -> Optional[str]:
        row = self.conn.execute("SELECT analysis_version FROM reports WHERE id = ?", (report_id,)).fetchone()
        return row[0] if row else None

    def report_ids_at(self, analysis_version: Optional[str]) -> frozenset[str]:
        """The ids of the reports stored at this analysis version (what a worker without the store skips)."""
        return frozenset(r[0] for r in self.conn.execute(
            "SELECT id FROM reports WHERE analysis_version IS ?", (analysis_version,)))

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

    def items_without_vectors(self, model: str, kinds=None) -> list[tuple[int, str, str, str]]:
        """(rowid, kind, text, detail) of the items that have no vector from ``model`` yet."""
        sql = """SELECT i.rowid, i.kind, i.text, i.detail FROM items i LEFT JOIN item_vectors v
                 ON v.item_rowid = i.rowid AND v.model = ? WHERE v.item_rowid IS NULL"""
        params: list = [model]
        if kinds:
            sql += f" AND i.kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        return [(r[0], r[1], r[2], r[3]) for r in self.conn.execute(sql + " ORDER BY i.rowid", params)]

    def practices(self) -> Iterator[tuple[str, str, str, dict]]:
        """(report id, report title, report language, practice record as a dict) for every practice."""
        for row in self.conn.execute(
                """SELECT i.report_id, r.title, r.language, i.data FROM items i JOIN reports r ON r.id = i.report_id
                   WHERE i.kind = 'practices' ORDER BY i.report_id, i.ord"""):
            yield row[0], row[1], row[2], json.loads(row[3])

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

    # -- the reads of the cross-report brief (pipeline/brief.py) -------------------------------------------
    def brief_reports(self) -> list[dict]:
        """Every report as the brief needs it, by title then id: id, title, number, year, language, regions,
        and its stored summary as saved (a dict; None when the report was only ingested)."""
        return [{"id": r[0], "title": r[1], "number": r[2], "year": r[3], "language": r[4],
                 "studied_regions": json.loads(r[5]), "target_region": r[6],
                 "summary": json.loads(r[7]) if r[7] else None} for r in self.conn.execute(
            """SELECT id, title, number, year, language, studied_regions, target_region, summary FROM reports
               ORDER BY title, id""")]

    def item_spans(self, kinds: tuple[str, ...]) -> dict[tuple[str, str, str], tuple[int, int]]:
        """The span of every item of these kinds, by (report id, kind, item id)."""
        marks = ",".join("?" * len(kinds))
        return {(r[0], r[1], r[2]): (r[3], r[4]) for r in self.conn.execute(
            f"SELECT report_id, kind, item_id, start, end FROM items WHERE kind IN ({marks})", kinds)}

    def themed_practices(self) -> list[dict]:
        """The practices that are in a theme, by theme, report and document order: theme id, report id,
        item id, text, span and the practice's own region."""
        return [{"theme_id": r[0], "report_id": r[1], "id": r[2], "text": r[3], "span": (r[4], r[5]),
                 "region": r[6]} for r in self.conn.execute(
            """SELECT pt.theme_id, i.report_id, i.item_id, i.text, i.start, i.end, json_extract(i.data, '$.region')
               FROM practice_themes pt JOIN items i
                 ON i.report_id = pt.report_id AND i.item_id = pt.item_id AND i.kind = 'practices'
               ORDER BY pt.theme_id, i.report_id, i.ord""")]

    def figures_by_report(self) -> dict[str, list[dict]]:
        """Every extracted figure (the record as a dict), by report id, in document order."""
        found: dict[str, list[dict]] = {}
        for report_id, data in self.conn.execute(
                "SELECT report_id, data FROM items WHERE kind = 'figures' ORDER BY report_id, ord"):
            found.setdefault(report_id, []).append(json.loads(data))
        return found

    def count_practices(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM items WHERE kind = 'practices'").fetchone()[0]


def _set_themes(nodes: list[dict], themes: dict[str, tuple[str, str]]) -> None:
    """Put the stored theme (id and label) on practices or practice-tree nodes, recursively."""
    for node in nodes:
        if node["id"] in themes:
            node["theme_id"], node["theme"] = themes[node["id"]]
        _set_themes(node.get("children", []), themes)
