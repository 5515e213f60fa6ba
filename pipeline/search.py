"""Search over stored items: keyword (SQLite FTS5, BM25), semantic (cosine over MiniLM vectors) and
hybrid (reciprocal-rank fusion of both), with filters by region, theme, report and report type; and
keyword search over the sentences of the reports' text. The SQL lives in the store (``Store.keyword_ranking``
and its neighbours); this module turns queries into FTS5 expressions and fuses rankings.

User queries never reach FTS5 syntax: they are reduced to word tokens, each quoted, so quotes, ``*``,
``NEAR``, ``AND`` or parentheses in a query are plain words, never an SQL error.
"""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional, Sequence

from .nlp import CHINESE, cjk_bigrams

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .embed import Embedder
    from .keyword_index import KeywordIndex
    from .store import Store
    from .vectors import SemanticIndex

Mode = Literal["keyword", "semantic", "hybrid"]
KINDS = ("practices", "findings", "recommendations", "figures", "stages")
RRF_K = 60
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


def content_terms(query: str) -> list[str]:
    """The words of a query a keyword search looks for: stop words are dropped unless the query has
    nothing else."""
    terms = query_terms(query)
    if not terms:
        raise QueryError("the query has no words to search for")
    return [t for t in terms if t not in _stopwords()] or terms


def fts_expression(query: str) -> str:
    """An FTS5 MATCH expression that ORs the query's content words, each quoted (so no word is an
    operator)."""
    return " OR ".join(f'"{t}"' for t in content_terms(query))


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


def _match(query: str) -> tuple[str, str, list[str]]:
    """(index, FTS5 expression, terms): the Chinese bigram index for a query with Chinese in it, else the
    word index."""
    terms = query_terms(query)
    if any(CHINESE.search(t) for t in terms):
        return "cjk", cjk_expression(terms), terms
    return "fts", fts_expression(query), terms


def keyword_ranking(store: "Store", query: str, kinds: Sequence[str], filters: Filters,
                    limit: int, resident: Optional["KeywordIndex"] = None,
                    allowed: Optional["np.ndarray"] = None) -> list[tuple[int, float]]:
    """(item rowid, BM25 score; higher is better) best first: from ``resident``, the in-memory copy of
    the word index, when given and the query is one it answers exactly (``allowed``: the rowids within
    ``filters``, if the caller has them), else from SQLite's FTS5."""
    index, expression, terms = _match(query)
    if index == "cjk" and any(len(t) == 1 and CHINESE.search(t) for t in terms):
        # a one-character word has no bigram to look up: match it as a substring, unranked
        return store.substring_ranking(terms, kinds, filters, limit)
    if resident is not None and index == "fts":
        if allowed is None:
            allowed = _allowed_rowids(store, kinds, filters)
        found = resident.ranking(store, content_terms(query), kinds, allowed, limit)
        if found is not None:
            return found
    return store.keyword_ranking(f"items_{index}", expression, kinds, filters, limit)


def _allowed_rowids(store: "Store", kinds: Sequence[str], filters: Filters) -> Optional["np.ndarray"]:
    return store.allowed_rowids(kinds, filters) if filters.active() else None


def one_blas_thread():
    """A context in which BLAS (the query encoder's products, the exact cosines) runs on one thread.

    A query's products are small and bound by memory, not arithmetic; with a second BLAS thread they
    ran 10 to 20 times slower (bench/search.py: embedding one query p50 30 ms on one thread, 600 ms on
    two), as the keyword thread of a hybrid search and other work hold the machine's other core.
    """
    from .encoder import blas_threads

    return blas_threads(1)


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal-rank fusion: each list adds 1 / (k + rank) for every item it ranks."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, rowid in enumerate(ranking, start=1):
            fused[rowid] = fused.get(rowid, 0.0) + 1.0 / (k + rank)
    return fused


class Searcher:
    """Searches one store; keeps the semantic index and the encoder loaded between queries.

    ``resident``: the searcher serves many queries (``reportlens serve``), so it also keeps the word
    index in memory (pipeline/keyword_index.py: FTS5's ranking to the last bit, ten times faster on a
    million items, built on the first keyword query: 0.5 s at 5,000 items); a one-off search asks FTS5,
    which needs no loading."""

    def __init__(self, store: "Store", embedder: Optional["Embedder"] = None, resident: bool = False):
        self.store = store
        self.resident = resident
        self._embedder = embedder
        self._index: Optional["SemanticIndex"] = None
        self._keywords: Optional["KeywordIndex"] = None
        self._keywords_lock = threading.Lock()
        self._executor: Optional[ThreadPoolExecutor] = None
        self._reader: Optional["Store"] = None

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

    def keyword_index(self, store: Optional["Store"] = None) -> Optional["KeywordIndex"]:
        """The in-memory word index of a resident searcher (built on first use, from ``store``'s
        connection), else None."""
        if not self.resident:
            return None
        with self._keywords_lock:
            if self._keywords is None:
                from .keyword_index import KeywordIndex
                from .store.index import BM25_WEIGHTS

                self._keywords = KeywordIndex.build(store or self.store, BM25_WEIGHTS)
        return self._keywords

    def _keyword(self, store: "Store", query: str, kinds: Sequence[str], filters: Filters, depth: int,
                 allowed: Optional["np.ndarray"]) -> list[tuple[int, float]]:
        return keyword_ranking(store, query, kinds, filters, depth, self.keyword_index(store), allowed)

    def search(self, query: str, kinds: Sequence[str] = ("practices",), mode: Mode = "hybrid",
               filters: Optional[Filters] = None, limit: int = 10) -> list[Hit]:
        filters = filters or Filters()
        if not query_terms(query):
            raise QueryError("the query has no words to search for")
        depth = max(50, limit * 5)
        if mode == "hybrid" and not self.reads(query):
            mode = "keyword"  # the encoder does not read the query's language: its ranking would be noise
        semantic: list[tuple[int, float]] = []
        # the rowids within the filters, read once for both rankings that need them (FTS5 filters in its SQL)
        allowed = _allowed_rowids(self.store, kinds, filters) if mode != "keyword" or self.resident else None
        if mode == "keyword":
            keyword = self._keyword(self.store, query, kinds, filters, depth, allowed)
        elif mode == "semantic":
            keyword = []
            semantic = self._semantic(query, kinds, allowed, depth)
        else:
            # SQLite and NumPy both release the GIL: rank by words in a thread while the query is embedded.
            pending = self._pool().submit(self._keyword, self._keyword_store(), query, kinds, filters, depth, allowed)
            semantic = self._semantic(query, kinds, allowed, depth)
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
        from .embed import reads_language

        return reads_language(self.embedder, "zh" if CHINESE.search(query) else "en")

    def _semantic(self, query: str, kinds: Sequence[str], allowed: Optional["np.ndarray"],
                  depth: int) -> list[tuple[int, float]]:
        with one_blas_thread():
            vector = self.embedder.embed([query])[0]
            return self.index.search(vector, depth, kinds, allowed)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reportlens-keyword")
        return self._executor

    def _keyword_store(self) -> "Store":
        """A second, read-only connection for the keyword thread (a connection is not shared across threads)."""
        if self._reader is None:
            self._reader = self.store.reader()
        return self._reader

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
        if self._reader is not None:
            self._reader.close()

    def search_text(self, query: str, filters: Optional[Filters] = None, limit: int = 10) -> list[Hit]:
        """Sentences of the reports' text that match the query's words (BM25), as hits of kind "text":
        what a keyword search finds beyond the extracted items."""
        if not query_terms(query):
            raise QueryError("the query has no words to search for")
        index, expression, _ = _match(query)
        found = self.store.sentence_ranking(f"sentences_{index}", expression, filters or Filters(), limit)
        return [Hit(rank=rank, score=f["score"], kind="text", report_id=f["report_id"],
                    item_id=f"@{f['span'][0]}-{f['span'][1]}", text=f["text"], detail="", span=f["span"],
                    report_title=f["report_title"], regions=f["studied_regions"][:3], keyword_rank=rank)
                for rank, f in enumerate(found, start=1)]

    def similar(self, ref: str, limit: int = 10, other_reports: bool = True,
                filters: Optional[Filters] = None) -> list[Hit]:
        """Items like the item ``REPORT_ID:ITEM_ID`` (by meaning; the report id may be a unique prefix),
        by default from other reports only."""
        prefix, _, item_id = ref.rpartition(":")
        try:
            report_id = self.store.resolve_id(prefix) if prefix else ""
        except KeyError as exc:
            raise QueryError(f"{exc.args[0]} (give REPORT_ID:ITEM_ID as `reportlens search` prints it)") from None
        found_item = self.store.find_item(report_id, item_id)
        if found_item is None:
            raise QueryError(f"no item {ref!r}: give REPORT_ID:ITEM_ID as printed by `reportlens search`")
        rowid, kind = found_item
        vector = self.index.vector(rowid)
        if vector is None:
            raise QueryError(f"item {ref!r} has no vector yet: run `reportlens run` or `reportlens themes` first")
        filters = filters or Filters()
        allowed = _allowed_rowids(self.store, [kind], filters)
        with one_blas_thread():
            found = self.index.search(vector, limit * 5 + 50, [kind], allowed)
        hits = self._hits([(r, s) for r, s in found if r != rowid], {},
                          {r: (i, s) for i, (r, s) in enumerate(found, start=1)})
        if other_reports:
            hits = [h for h in hits if h.report_id != report_id]
        hits = hits[:limit]
        for i, hit in enumerate(hits, start=1):
            hit.rank = i
        return hits

    def _hits(self, scored: list[tuple[int, float]], keyword_rank: dict, semantic_rank: dict) -> list[Hit]:
        rows = self.store.hit_rows([r for r, _ in scored])
        hits = []
        for rank, (rowid, score) in enumerate(scored, start=1):
            r = rows[rowid]
            regions = [r["region"]] if r["region"] else r["studied_regions"][:3]
            sem = semantic_rank.get(rowid)
            hits.append(Hit(rank=rank, score=score, kind=r["kind"], report_id=r["report_id"], item_id=r["item_id"],
                            text=r["text"], detail=r["detail"], span=r["span"],
                            report_title=r["report_title"], regions=regions, theme=r["theme"],
                            keyword_rank=keyword_rank.get(rowid), semantic_rank=sem[0] if sem else None,
                            semantic_score=sem[1] if sem else None))
        return hits
