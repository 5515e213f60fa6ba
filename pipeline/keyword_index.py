"""An in-memory BM25 index over the stored items, for a searcher that stays up (``reportlens serve``, the
benchmark): FTS5's own keyword ranking, computed over NumPy posting arrays.

``bm25(items_fts, 1.0, 1.5)`` costs SQLite one auxiliary-function call, with a row lookup, per matching
row: about 1.5 µs, so a query whose words match a fifth of a million items takes 100–300 ms however few
results are asked for (bench/search.py). Here a query costs a few vector operations over its words'
postings. The ranking is FTS5's, not an imitation of it:

- tokens: each whitespace-separated chunk of an item's text is tokenized by FTS5 itself (a throwaway FTS5
  table with the store's tokenizer; no FTS5 token spans whitespace), so the terms, their porter stems and
  each row's token count are the ones the full-text index holds;
- scores: the arithmetic of FTS5's ``bm25()`` (fts5_aux.c: k1 = 1.2, b = 0.75, per-phrase IDF
  ``log((N - n + 0.5) / (n + 0.5))`` floored at 1e-6, column-weighted term frequencies, the row's token
  count against the average), in the same float64 operations in the same order, so the scores are equal
  to the last bit and ties break the same way (by rowid); tests/test_keyword_index.py checks it.

A query the index cannot answer exactly (a term FTS5 splits into a phrase of several tokens) returns None
and the caller asks FTS5. Chinese queries use the bigram index, which this does not mirror.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

K1, B = 1.2, 0.75  # FTS5's bm25() constants
_CACHE_LIMIT = 50_000  # distinct (text, detail) pairs whose postings are remembered while building


class KeywordIndex:
    """Postings of every stored item, grouped by term: item positions (ascending) and column-weighted
    term frequencies, with each item's token count."""

    def __init__(self, rowids: np.ndarray, kinds: np.ndarray, lengths: np.ndarray, terms: dict[str, int],
                 indptr: np.ndarray, positions: np.ndarray, freqs: np.ndarray, weights: Sequence[float]):
        self.rowids = rowids  # ascending
        self.kinds = kinds
        self.lengths = lengths  # tokens per item, all columns
        self.terms = terms
        self.indptr = indptr
        self.positions = positions
        self.freqs = freqs
        self.weights = tuple(weights)
        self.avgdl = float(lengths.sum()) / len(rowids) if len(rowids) else 0.0
        self._kind_masks: dict[str, np.ndarray] = {}
        self._query_tokens: dict[str, Optional[tuple[str, ...]]] = {}

    def __len__(self) -> int:
        return len(self.rowids)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.rowids, self.lengths, self.indptr, self.positions, self.freqs))

    @classmethod
    def build(cls, store: "Store", weights: Sequence[float]) -> "KeywordIndex":
        """The index of every item in ``store`` (one snapshot), for ``bm25`` with column ``weights``."""
        terms: dict[str, int] = {}
        chunk_terms: dict[str, tuple[int, ...]] = {}  # whitespace chunk -> its term ids
        seen: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, int]] = {}
        rowids: list[int] = []
        kinds: list[str] = []
        lengths: list[int] = []
        doc_terms: list[np.ndarray] = []
        doc_freqs: list[np.ndarray] = []
        w_text, w_detail = float(weights[0]), float(weights[1])
        # weights in halves (the store's 1.0 and 1.5) add up exactly in float32, in any order
        freq_type = np.float32 if all((2 * w).is_integer() for w in (w_text, w_detail)) else np.float64
        for rows in store.item_text_chunks():
            new = {c for _, _, text, detail in rows if (text or "", detail or "") not in seen
                   for part in (text, detail) if part for c in part.split() if c not in chunk_terms}
            if new:
                ordered = sorted(new)
                for chunk, tokens in zip(ordered, store.fts_tokens(ordered)):
                    chunk_terms[chunk] = tuple(terms.setdefault(t, len(terms)) for t in tokens)
            for rowid, kind, text, detail in rows:
                key = (text or "", detail or "")
                known = seen.get(key)
                if known is None:
                    counts: dict[int, float] = {}
                    n = 0
                    for part, weight in ((key[0], w_text), (key[1], w_detail)):
                        for chunk in part.split():
                            ids = chunk_terms[chunk]
                            n += len(ids)
                            for t in ids:
                                counts[t] = counts.get(t, 0.0) + weight
                    ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
                    known = (ids, np.fromiter(counts.values(), dtype=freq_type, count=len(counts)), n)
                    if len(seen) < _CACHE_LIMIT:
                        seen[key] = known
                rowids.append(rowid)
                kinds.append(kind)
                doc_terms.append(known[0])
                doc_freqs.append(known[1])
                lengths.append(known[2])
        sizes = np.fromiter((len(t) for t in doc_terms), dtype=np.int64, count=len(doc_terms))
        flat_terms = np.concatenate(doc_terms) if doc_terms else np.zeros(0, dtype=np.int32)
        flat_freqs = np.concatenate(doc_freqs) if doc_freqs else np.zeros(0, dtype=freq_type)
        del doc_terms, doc_freqs
        doc_of = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        # by term, items ascending within a term (a radix sort when the term ids fit in 16 bits)
        keys = flat_terms.astype(np.uint16) if len(terms) <= 1 << 16 else flat_terms
        order = np.argsort(keys, kind="stable")
        del keys
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(flat_terms, minlength=len(terms)), out=indptr[1:])
        return cls(np.asarray(rowids, dtype=np.int64), np.asarray(kinds, dtype=object),
                   np.asarray(lengths, dtype=np.int64), terms, indptr, doc_of[order], flat_freqs[order], weights)

    def _tokens(self, store: "Store", term: str) -> Optional[tuple[str, ...]]:
        if term not in self._query_tokens:
            self._query_tokens[term] = tuple(store.fts_tokens([term])[0])
        return self._query_tokens[term]

    def ranking(self, store: "Store", terms: Sequence[str], kinds: Sequence[str], allowed: Optional[np.ndarray],
                limit: int) -> Optional[list[tuple[int, float]]]:
        """(item rowid, BM25 score; higher is better) of the ``limit`` best items of ``kinds`` (and among
        ``allowed`` rowids, if given) matching any of ``terms`` (each an FTS5 phrase ``"term"``), best
        first, ties by rowid; what ``Store.keyword_ranking`` returns for the same query. None when a term
        is a phrase of several tokens to FTS5."""
        n_rows = len(self)
        phrases = []
        for term in terms:
            tokens = self._tokens(store, term)
            if tokens is None or len(tokens) != 1:
                return None
            phrases.append(self.terms.get(tokens[0]))
        if not n_rows or limit <= 0:
            return []
        positions, contributions = [], []
        for term in phrases:
            if term is None:
                continue
            start, end = self.indptr[term], self.indptr[term + 1]
            hit = int(end - start)
            idf = math.log((n_rows - hit + 0.5) / (hit + 0.5))
            if idf <= 0.0:
                idf = 1e-6
            where = self.positions[start:end]
            freq = self.freqs[start:end].astype(np.float64)
            # the expression of fts5_aux.c, operation for operation
            contributions.append(idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * self.lengths[where] / self.avgdl))))
            positions.append(where)
        if not positions:
            return []
        # bincount adds each item's contributions in phrase order, from 0.0, as the C loop does
        scores = np.bincount(np.concatenate(positions), weights=np.concatenate(contributions), minlength=n_rows)
        matched = np.flatnonzero(scores)  # every matching item scores > 0: each IDF is at least 1e-6
        keep = self._kind_mask(kinds)[matched]
        if allowed is not None:
            keep &= np.isin(self.rowids[matched], allowed, assume_unique=True)
        matched = matched[keep]
        values = scores[matched]
        if len(matched) > limit:
            cut = np.argpartition(-values, limit - 1)[:limit]
            threshold = values[cut].min()
            tied = values >= threshold  # every item tied with the last kept one, so rowid breaks the tie
            matched, values = matched[tied], values[tied]
        order = np.lexsort((self.rowids[matched], -values))[:limit]
        return [(int(self.rowids[p]), float(values_p)) for p, values_p in zip(matched[order], values[order])]

    def _kind_mask(self, kinds: Sequence[str]) -> np.ndarray:
        key = "\x1f".join(sorted(set(kinds)))
        if key not in self._kind_masks:
            self._kind_masks[key] = np.isin(self.kinds, list(set(kinds)))
        return self._kind_masks[key]
