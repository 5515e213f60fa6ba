"""The store's search indexes: filling the full-text indexes of items and sentences (FTS5, and character
bigrams for Chinese), and the reads of pipeline/search.py and pipeline/corpus.py over them: keyword
(BM25) and substring rankings within a search's filters, search hits, sentence rankings, item vectors.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


class _Index:
    """Filling and reading the full-text indexes and the item vectors of a ``Store``."""

    def _index_cjk(self, report_id: Optional[str] = None) -> None:
        """Put the items with Chinese text (of one report, or all) into the bigram index ``items_cjk``."""
        from ..nlp import CHINESE, cjk_bigrams

        sql = "SELECT rowid, text, detail FROM items"
        rows = self.conn.execute(sql + " WHERE report_id = ?", (report_id,)) if report_id else self.conn.execute(sql)
        self.conn.executemany(
            "INSERT INTO items_cjk (rowid, text, detail) VALUES (?, ?, ?)",
            [(rowid, cjk_bigrams(text), cjk_bigrams(detail)) for rowid, text, detail in rows
             if CHINESE.search(text) or CHINESE.search(detail)])

    def _index_sentences(self, report_id: str, text: str, language: str,
                         spans: Optional[list[tuple[int, int]]] = None) -> None:
        """Put the sentences of one report's text (``spans``, or split here) into ``sentences`` and its
        full-text indexes."""
        from ..nlp import CHINESE, cjk_bigrams, sentence_spans

        if spans is None:
            spans = sentence_spans(text, language=index_language(language))
        first = self.conn.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM sentences").fetchone()[0]
        rows = [(first + i, report_id, s, e) for i, (s, e) in enumerate(spans)]
        self.conn.executemany("INSERT INTO sentences (rowid, report_id, start, end) VALUES (?, ?, ?, ?)", rows)
        texts = [(r[0], text[r[2]:r[3]]) for r in rows]
        self.conn.executemany("INSERT INTO sentences_fts (rowid, text) VALUES (?, ?)",
                              [(rowid, t) for rowid, t in texts if not CHINESE.search(t)])
        self.conn.executemany("INSERT INTO sentences_cjk (rowid, text) VALUES (?, ?)",
                              [(rowid, cjk_bigrams(t)) for rowid, t in texts if CHINESE.search(t)])

    # -- search reads (the SQL of pipeline/search.py) -------------------------------------------------
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

    def item_text_chunks(self, size: int = 20_000):
        """Every item as ``(rowid, kind, text, detail)``, by rowid, in lists of ``size``, from one snapshot
        (what pipeline/keyword_index.py builds its postings from)."""
        snapshot = not self.conn.in_transaction
        if snapshot:
            self.conn.execute("BEGIN")
        try:
            rows = self.conn.execute("SELECT rowid, kind, text, detail FROM items ORDER BY rowid")
            while chunk := rows.fetchmany(size):
                yield chunk
        finally:
            if snapshot:
                self.conn.execute("COMMIT")

    def fts_tokens(self, chunks: Sequence[str]) -> list[list[str]]:
        """The terms the item index ``items_fts`` makes of each text (its own tokenizer, porter stems and
        all), in order: the texts go through a scratch FTS5 table with the same tokenizer."""
        if not getattr(self, "_token_probe", False):
            row = self.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'items_fts'").fetchone()
            found = re.search(r"tokenize\s*=\s*'([^']*)'", row[0] if row else "")
            tokenizer = found.group(1) if found else "unicode61"
            self.conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.rl_probe USING fts5(x, tokenize='{tokenizer}')")
            self.conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.rl_probe_terms USING fts5vocab(temp, rl_probe, instance)")
            self._token_probe = True
        out: list[list[tuple[int, str]]] = [[] for _ in chunks]
        for at in range(0, len(chunks), 50_000):
            part = chunks[at:at + 50_000]
            self.conn.execute("DELETE FROM temp.rl_probe")
            self.conn.executemany("INSERT INTO temp.rl_probe (rowid, x) VALUES (?, ?)",
                                  ((at + i + 1, c) for i, c in enumerate(part)))
            for term, doc, offset in self.conn.execute("SELECT term, doc, offset FROM temp.rl_probe_terms"):
                out[doc - 1].append((offset, term))
        self.conn.execute("DELETE FROM temp.rl_probe")
        return [[term for _, term in sorted(found)] for found in out]

    def allowed_rowids(self, kinds: Sequence[str], filters) -> "np.ndarray":
        """The rowids of the items of ``kinds`` within ``filters``, ascending (an int64 array)."""
        import numpy as np

        where, params = _filter_sql(filters, kinds)
        rows = self.conn.execute(
            f"SELECT i.rowid FROM items i JOIN reports r ON r.id = i.report_id WHERE {where} ORDER BY i.rowid",
            params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

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

    def item_vectors(self, model: str) -> tuple["np.ndarray", "np.ndarray", "np.ndarray"]:
        """(rowids ascending, unit vectors as one float32 matrix, kinds) of every item with a ``model`` vector.

        Read in one snapshot, in chunks straight into the matrix: at a million vectors the process holds
        the matrix and one chunk of rows, not every row as well; the kinds come from the covering index
        ``items_kind``, without reading the items' rows."""
        import numpy as np

        snapshot = not self.conn.in_transaction
        if snapshot:
            self.conn.execute("BEGIN")
        try:
            count = self.conn.execute("SELECT COUNT(*) FROM item_vectors WHERE model = ?", (model,)).fetchone()[0]
            first = self.conn.execute("SELECT vector FROM item_vectors WHERE model = ? LIMIT 1", (model,)).fetchone()
            if not count or first is None:
                return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=object)
            rowids = np.empty(count, dtype=np.int64)
            matrix = np.empty((count, len(first[0]) // 4), dtype=np.float32)
            rows = self.conn.execute("SELECT item_rowid, vector FROM item_vectors WHERE model = ? ORDER BY item_rowid",
                                     (model,))
            at = 0
            while chunk := rows.fetchmany(65_536):
                rowids[at:at + len(chunk)] = [r[0] for r in chunk]
                matrix[at:at + len(chunk)] = np.frombuffer(b"".join(r[1] for r in chunk),
                                                           dtype=np.float32).reshape(len(chunk), -1)
                at += len(chunk)
            kinds = self.conn.execute("SELECT rowid, kind FROM items INDEXED BY items_kind").fetchall()
        finally:
            if snapshot:
                self.conn.execute("COMMIT")
        item_rowids = np.fromiter((r[0] for r in kinds), dtype=np.int64, count=len(kinds))
        order = np.argsort(item_rowids)
        item_rowids, item_kinds = item_rowids[order], np.array([r[1] for r in kinds], dtype=object)[order]
        at = np.minimum(np.searchsorted(item_rowids, rowids), max(len(item_rowids) - 1, 0))
        known = item_rowids[at] == rowids if len(item_rowids) else np.zeros(len(rowids), dtype=bool)
        if not known.all():  # a vector whose item is gone (a store written without foreign keys)
            rowids, matrix, at = rowids[known], matrix[known], at[known]
        return rowids, matrix, item_kinds[at]

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


def index_language(language: str) -> str:
    """The splitter the sentence index uses for a report's language."""
    return "zh" if language == "zh" else "en"
