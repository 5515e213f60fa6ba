"""Search over stored items: keyword (SQLite FTS5, BM25), semantic (cosine over MiniLM vectors) and
hybrid (reciprocal-rank fusion of both), with filters by region, theme, report and report type.

User queries never reach FTS5 syntax: they are reduced to word tokens, each quoted, so quotes, ``*``,
``NEAR``, ``AND`` or parentheses in a query are plain words, never an SQL error.
"""
from __future__ import annotations

import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional, Sequence

from .nlp import CHINESE, cjk_bigrams

if TYPE_CHECKING:  # pragma: no cover
    from .embed import Embedder
    from .store import Store
    from .vectors import SemanticIndex

Mode = Literal["keyword", "semantic", "hybrid"]
KINDS = ("practices", "findings", "recommendations", "figures", "stages")
RRF_K = 60
# BM25 weights of the (headline, detail) columns. A headline is a few words, so BM25's length
# normalisation already favours it; weighting it above the detail let one shared word in a short headline
# outrank the items whose text is about the query (bench/search.py: keyword MRR 0.877 -> 0.890,
# hybrid 0.933 -> 0.963, flat for detail weights from 1.5 to 5 times the headline's).
BM25_WEIGHTS = (1.0, 1.5)
_TOKEN = re.compile(r"\w+", re.UNICODE)


class QueryError(ValueError):
    """The query cannot be searched (e.g. it has no word in it); the message says why."""


@dataclass
class Filters:
    region: Optional[str] = None
    theme: Optional[str] = None
    report: Optional[str] = None
    report_type: Optional[str] = None
    since: Optional[int] = None
    until: Optional[int] = None

    def active(self) -> bool:
        return any(v is not None and v != "" for v in (self.region, self.theme, self.report, self.report_type,
                                                        self.since, self.until))


@dataclass
class Hit:
    rank: int
    score: float
    kind: str
    report_id: str
    item_id: str
    text: str
    detail: str
    span: tuple[int, int]
    report_title: str
    regions: list[str] = field(default_factory=list)
    theme: Optional[str] = None
    keyword_rank: Optional[int] = None
    semantic_rank: Optional[int] = None
    semantic_score: Optional[float] = None

    @property
    def ref(self) -> str:
        return f"{self.report_id}:{self.item_id}"

    def as_dict(self) -> dict:
        return {"rank": self.rank, "score": round(self.score, 6), "kind": self.kind, "id": self.ref,
                "report_id": self.report_id, "item_id": self.item_id, "text": self.text, "detail": self.detail,
                "span": list(self.span), "report_title": self.report_title, "regions": self.regions,
                "theme": self.theme, "keyword_rank": self.keyword_rank, "semantic_rank": self.semantic_rank,
                "semantic_score": None if self.semantic_score is None else round(self.semantic_score, 6)}


def query_terms(query: str) -> list[str]:
    """The words of a query, lower-cased, in order, without duplicates."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(query.lower()):
        seen.setdefault(token, None)
    return list(seen)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "search" / "stopwords_en.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


def fts_expression(query: str) -> str:
    """An FTS5 MATCH expression that ORs the query's content words, each quoted (so no word is an
    operator); stop words are dropped unless the query has nothing else."""
    terms = query_terms(query)
    if not terms:
        raise QueryError("the query has no words to search for")
    content = [t for t in terms if t not in _stopwords()] or terms
    return " OR ".join(f'"{t}"' for t in content)


def cjk_expression(terms: Sequence[str]) -> str:
    """An FTS5 expression over the bigram index for a query with Chinese in it. Chinese is typed without
    spaces, so a term is often a whole phrase (农民增收措施) that no item contains as written: each term
    matches as the phrase of its bigrams (ranked highest) or by any of its bigrams, so items sharing more
    of it rank higher, as BM25 weighs them."""
    parts: list[str] = []
    for term in terms:
        grams = cjk_bigrams(term).split()
        if len(grams) > 1:
            parts.append(f'"{" ".join(grams)}"')
        parts.extend(f'"{g}"' for g in grams)
    return " OR ".join(dict.fromkeys(parts))


def _filter_sql(filters: Filters, kinds: Sequence[str]) -> tuple[str, list]:
    clauses = [f"i.kind IN ({','.join('?' * len(kinds))})"]
    params: list = list(kinds)
    if filters.region:
        clauses.append("(r.studied_regions LIKE ? OR r.target_region LIKE ? OR json_extract(i.data, '$.region') LIKE ?)")
        params += [f"%{filters.region}%"] * 3
    if filters.report:
        clauses.append("(r.id LIKE ? OR r.title LIKE ? OR r.source LIKE ?)")
        params += [f"{filters.report}%", f"%{filters.report}%", f"%{filters.report}%"]
    if filters.report_type:
        clauses.append("r.report_type LIKE ?")
        params.append(f"%{filters.report_type}%")
    # reports that do not say when they came out are left out of a date filter
    if filters.since is not None:
        clauses.append("r.year >= ?")
        params.append(filters.since)
    if filters.until is not None:
        clauses.append("r.year <= ?")
        params.append(filters.until)
    if filters.theme:
        clauses.append("""EXISTS (SELECT 1 FROM practice_themes pt JOIN themes t ON t.id = pt.theme_id
                          WHERE pt.report_id = i.report_id AND pt.item_id = i.item_id
                          AND (t.id = ? OR t.label LIKE ?))""")
        params += [filters.theme, f"%{filters.theme}%"]
    return " AND ".join(clauses), params


def keyword_ranking(conn: sqlite3.Connection, query: str, kinds: Sequence[str], filters: Filters,
                    limit: int) -> list[tuple[int, float]]:
    """(item rowid, BM25 score; higher is better) best first."""
    where, params = _filter_sql(filters, kinds)
    terms = query_terms(query)
    if any(CHINESE.search(t) for t in terms):
        if any(len(t) == 1 and CHINESE.search(t) for t in terms):
            # a one-character word has no bigram to look up: match it as a substring, unranked
            likes = " OR ".join("(i.text LIKE ? OR i.detail LIKE ?)" for _ in terms)
            rows = conn.execute(
                f"""SELECT i.rowid, 0.0 FROM items i JOIN reports r ON r.id = i.report_id
                    WHERE ({likes}) AND {where} ORDER BY i.rowid LIMIT ?""",
                [p for t in terms for p in (f"%{t}%", f"%{t}%")] + params + [limit]).fetchall()
            return [(r[0], 0.0) for r in rows]
        table, expression = "items_cjk", cjk_expression(terms)
    else:
        table, expression = "items_fts", fts_expression(query)
    # Rank inside FTS5 first (fast), then filter the best few; widen to every match only when the
    # filters leave too few of them.
    for inner in (limit * 8, -1):
        rows = conn.execute(
            f"""SELECT i.rowid, m.s FROM
                  (SELECT rowid, bm25({table}, {BM25_WEIGHTS[0]}, {BM25_WEIGHTS[1]}) AS s FROM {table}
                   WHERE {table} MATCH ? ORDER BY s, rowid LIMIT ?) AS m
                JOIN items i ON i.rowid = m.rowid JOIN reports r ON r.id = i.report_id
                WHERE {where} ORDER BY m.s, i.rowid LIMIT ?""",
            [expression, inner, *params, limit]).fetchall()
        if len(rows) >= limit or inner == -1:
            break
        matched = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {table} MATCH ?", (expression,)).fetchone()[0]
        if matched <= inner:
            break
    return [(r[0], -r[1]) for r in rows]


def _allowed_rowids(store: "Store", kinds: Sequence[str], filters: Filters) -> Optional[set[int]]:
    if not filters.active():
        return None
    where, params = _filter_sql(filters, kinds)
    return {r[0] for r in store.conn.execute(
        f"SELECT i.rowid FROM items i JOIN reports r ON r.id = i.report_id WHERE {where}", params)}


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal-rank fusion: each list adds 1 / (k + rank) for every item it ranks."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, rowid in enumerate(ranking, start=1):
            fused[rowid] = fused.get(rowid, 0.0) + 1.0 / (k + rank)
    return fused


class Searcher:
    """Searches one store; keeps the semantic index and the encoder loaded between queries."""

    def __init__(self, store: "Store", embedder: Optional["Embedder"] = None):
        self.store = store
        self._embedder = embedder
        self._index: Optional["SemanticIndex"] = None
        self._executor: Optional[ThreadPoolExecutor] = None
        self._conn: Optional[sqlite3.Connection] = None

    @property
    def embedder(self) -> "Embedder":
        if self._embedder is None:
            from .embed import MINILM_NAME, default_embedder

            chosen = default_embedder()
            if chosen.name == MINILM_NAME:
                # Same vector space, no torch import: a query is one short text.
                from .encoder import NumpyMiniLM

                chosen = NumpyMiniLM()
            self._embedder = chosen
        return self._embedder

    @property
    def index(self) -> "SemanticIndex":
        if self._index is None:
            from .vectors import SemanticIndex

            self._index = SemanticIndex.load(self.store, self.embedder.name)
        return self._index

    def search(self, query: str, kinds: Sequence[str] = ("practices",), mode: Mode = "hybrid",
               filters: Optional[Filters] = None, limit: int = 10) -> list[Hit]:
        filters = filters or Filters()
        if not query_terms(query):
            raise QueryError("the query has no words to search for")
        depth = max(50, limit * 5)
        if mode == "hybrid" and not self.reads(query):
            mode = "keyword"  # the encoder does not read the query's language: its ranking would be noise
        semantic: list[tuple[int, float]] = []
        if mode == "keyword":
            keyword = keyword_ranking(self.store.conn, query, kinds, filters, depth)
        elif mode == "semantic":
            keyword = []
            semantic = self._semantic(query, kinds, filters, depth)
        else:
            # SQLite and NumPy both release the GIL: rank by words in a thread while the query is embedded.
            pending = self._pool().submit(keyword_ranking, self._keyword_conn(), query, kinds, filters, depth)
            semantic = self._semantic(query, kinds, filters, depth)
            keyword = pending.result()
        if mode == "keyword":
            scored = [(rowid, score) for rowid, score in keyword]
        elif mode == "semantic":
            scored = list(semantic)
        else:
            fused = rrf([[r for r, _ in keyword], [r for r, _ in semantic]])
            scored = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        keyword_rank = {rowid: i for i, (rowid, _) in enumerate(keyword, start=1)}
        semantic_rank = {rowid: (i, s) for i, (rowid, s) in enumerate(semantic, start=1)}
        return self._hits(scored[:limit], keyword_rank, semantic_rank)

    def reads(self, query: str) -> bool:
        """Whether the sentence encoder captures the meaning of text in the query's language."""
        languages = getattr(self.embedder, "languages", None)
        return languages is None or ("zh" if CHINESE.search(query) else "en") in languages

    def _semantic(self, query: str, kinds: Sequence[str], filters: Filters, depth: int) -> list[tuple[int, float]]:
        vector = self.embedder.embed([query])[0]
        return self.index.search(vector, depth, kinds, _allowed_rowids(self.store, kinds, filters))

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reportlens-keyword")
        return self._executor

    def _keyword_conn(self) -> sqlite3.Connection:
        """A second, read-only connection for the keyword thread (a connection is not shared across threads)."""
        if self._conn is None:
            self._conn = sqlite3.connect(f"file:{self.store.path}?mode=ro", uri=True, check_same_thread=False)
        return self._conn

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
        if self._conn is not None:
            self._conn.close()

    def similar(self, ref: str, limit: int = 10, other_reports: bool = True,
                filters: Optional[Filters] = None) -> list[Hit]:
        """Items like the item ``REPORT_ID:ITEM_ID`` (by meaning), by default from other reports only."""
        report_id, _, item_id = ref.rpartition(":")
        row = self.store.conn.execute(
            "SELECT rowid, kind, report_id FROM items WHERE report_id = ? AND item_id = ?",
            (report_id, item_id)).fetchone()
        if row is None:
            raise QueryError(f"no item {ref!r}: give REPORT_ID:ITEM_ID as printed by `reportlens search --json`")
        positions = {int(r): i for i, r in enumerate(self.index.rowids)}
        if row[0] not in positions:
            raise QueryError(f"item {ref!r} has no vector yet: run `reportlens run` or `reportlens themes` first")
        vector = self.index.matrix[positions[row[0]]]
        filters = filters or Filters()
        allowed = _allowed_rowids(self.store, [row[1]], filters)
        found = self.index.search(vector, limit * 5 + 50, [row[1]], allowed)
        hits = self._hits([(r, s) for r, s in found if r != row[0]], {},
                          {r: (i, s) for i, (r, s) in enumerate(found, start=1)})
        if other_reports:
            hits = [h for h in hits if h.report_id != report_id]
        hits = hits[:limit]
        for i, hit in enumerate(hits, start=1):
            hit.rank = i
        return hits

    def _hits(self, scored: list[tuple[int, float]], keyword_rank: dict, semantic_rank: dict) -> list[Hit]:
        if not scored:
            return []
        rowids = [r for r, _ in scored]
        marks = ",".join("?" * len(rowids))
        rows = {r["rowid"]: r for r in self.store.conn.execute(
            f"""SELECT i.rowid, i.kind, i.report_id, i.item_id, i.text, i.detail, i.start, i.end, i.data,
                       r.title, r.studied_regions, r.target_region, t.label AS theme
                FROM items i JOIN reports r ON r.id = i.report_id
                LEFT JOIN practice_themes pt ON pt.report_id = i.report_id AND pt.item_id = i.item_id
                LEFT JOIN themes t ON t.id = pt.theme_id
                WHERE i.rowid IN ({marks})""", rowids)}
        hits = []
        for rank, (rowid, score) in enumerate(scored, start=1):
            r = rows[rowid]
            item_region = json.loads(r["data"]).get("region")
            regions = [item_region] if item_region else json.loads(r["studied_regions"])[:3]
            sem = semantic_rank.get(rowid)
            hits.append(Hit(rank=rank, score=score, kind=r["kind"], report_id=r["report_id"], item_id=r["item_id"],
                            text=r["text"], detail=r["detail"], span=(r["start"], r["end"]),
                            report_title=r["title"], regions=regions, theme=r["theme"],
                            keyword_rank=keyword_rank.get(rowid), semantic_rank=sem[0] if sem else None,
                            semantic_score=sem[1] if sem else None))
        return hits
