"""Item vectors: what text of an item gets embedded, the embedding cache, and the in-memory semantic index.

Embeddings are computed once per distinct text and model and kept in the store (``embeddings``, keyed
by a hash of the text), so re-runs, themes and search share them. ``index_items`` gives every stored
item its vector (``item_vectors``); ``SemanticIndex`` loads them into one matrix for fast cosine search.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .embed import Embedder
    from .records import Analysis
    from .store import Store

def embedding_text(text: str, detail: str = "", kind: Optional[str] = None) -> str:
    """Headline plus the start of the detail (the same text themes embed, so vectors are shared).

    A figure is embedded as its sentence (its detail): "32 enforcement actions" means little alone, and
    the figures of one sentence then share one vector instead of costing one encoder pass each.
    """
    from .embed import item_text

    if kind == "figures" and detail:
        return item_text(detail)
    return item_text(text, detail)


def analysis_embeddings(analysis: "Analysis", embedder: "Embedder",
                        store: Optional["Store"] = None) -> dict[str, np.ndarray]:
    """Vectors of one analysis's items, keyed as the embedding cache keys them (one per distinct text).

    A batch worker computes them next to the analysis, on its own core, and the parent stores them with
    the report; ``index_items`` then finds every vector in the cache instead of encoding after the batch.
    Texts the ``store`` already has a vector for (boilerplate, a report seen before) are left out. An
    embedder whose space depends on the whole corpus (TF-IDF) gives none.
    """
    from .embed import text_key
    from .store import item_columns

    if getattr(embedder, "corpus_relative", False):
        return {}
    by_key = {text_key(t): t for t in
              {embedding_text(text, detail, kind) for kind, _, _, text, detail in item_columns(analysis)}}
    if store is not None and by_key:
        for key in store.cached_embeddings(sorted(by_key), embedder.name):
            del by_key[key]
    if not by_key:
        return {}
    keys = sorted(by_key, key=by_key.__getitem__)
    return dict(zip(keys, embedder.embed([by_key[k] for k in keys])))


def embed_cached(store: "Store", texts: Sequence[str], embedder: "Embedder") -> np.ndarray:
    """Vectors for ``texts``, computing only those the store has not seen with this model."""
    from .embed import text_key

    if getattr(embedder, "corpus_relative", False):  # a TF-IDF space is not comparable across fits
        return embedder.embed(list(texts))
    keys = [text_key(t) for t in texts]
    cached = store.cached_embeddings(sorted(set(keys)), embedder.name)
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in cached}.items())
    if missing:
        vectors = embedder.embed([t for _, t in missing])
        fresh = {k: v for (k, _), v in zip(missing, vectors)}
        store.cache_embeddings(fresh, embedder.name)
        cached.update(fresh)
    if not keys:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([cached[k] for k in keys]).astype(np.float32)


def index_items(store: "Store", embedder: "Embedder", kinds: Optional[Sequence[str]] = None) -> int:
    """Give every stored item (of ``kinds``) a vector; returns how many were added."""
    rows = store.items_without_vectors(embedder.name, kinds)
    if not rows:
        return 0
    vectors = embed_cached(store, [embedding_text(text, detail, kind) for _, kind, text, detail in rows], embedder)
    store.put_item_vectors({row[0]: vec for row, vec in zip(rows, vectors)}, embedder.name)
    return len(rows)


# A kind with at least this many vectors is searched through its int8 copy first: below it, the exact
# float32 product is about as fast (bench/search.py), and a store that small ranks exactly as before.
QUANTIZE_FROM = 20_000
# How many of the best int8 scores (and any tied with the last) are re-scored exactly, at the least: at
# 1,000,000 vectors, recall@10 against the exact ranking is 1.0 from 50 up (bench/search.py).
SHORTLIST = 256


class SemanticIndex:
    """All item vectors of one model in one float32 matrix; cosine search by matrix-vector products.

    A kind with ``quantize_from`` vectors or more also keeps them as int8 codes (one scale per dimension,
    a quarter of the bytes to read): its search scores the codes (SimSIMD's int8 dot product), keeps the
    ``SHORTLIST`` best (8 per result asked for, if more) and every code tied with the last of them, and
    re-scores those exactly, so the scores returned are always the exact cosines.
    """

    def __init__(self, rowids: np.ndarray, matrix: np.ndarray, kinds: np.ndarray,
                 quantize_from: Optional[int] = None):
        self.rowids = rowids  # ascending
        self.matrix = matrix
        self.kinds = kinds
        self._kind_masks: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # kind -> (positions, int8 codes)
        self._scale = np.ones(matrix.shape[1] if matrix.ndim == 2 else 0, dtype=np.float32)
        quantize_from = QUANTIZE_FROM if quantize_from is None else quantize_from
        if len(rowids) >= quantize_from:
            self._quantize(quantize_from)

    @classmethod
    def load(cls, store: "Store", model: str) -> "SemanticIndex":
        rowids, vectors, kinds = store.item_vectors(model)
        return cls(rowids, vectors, kinds)

    def __len__(self) -> int:
        return len(self.rowids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the vectors, their codes and positions."""
        return self.matrix.nbytes + self.rowids.nbytes + sum(p.nbytes + c.nbytes for p, c in self._codes.values())

    def vector(self, rowid: int) -> Optional[np.ndarray]:
        """The vector of the item with this rowid, or None."""
        at = int(np.searchsorted(self.rowids, rowid))
        return self.matrix[at] if at < len(self) and self.rowids[at] == rowid else None

    def _kind_names(self) -> set:
        if not hasattr(self, "_names"):
            self._names = set(self.kinds.tolist())
        return self._names

    def _kind_mask(self, kind: str) -> np.ndarray:
        if kind not in self._kind_masks:
            self._kind_masks[kind] = self.kinds == kind
        return self._kind_masks[kind]

    def _quantize(self, quantize_from: int) -> None:
        peak = np.zeros(self.matrix.shape[1], dtype=np.float32)
        for at in range(0, len(self), 65_536):  # bounded temporaries at a million vectors
            np.maximum(peak, np.abs(self.matrix[at:at + 65_536]).max(axis=0), out=peak)
        self._scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
        inverse = (1 / self._scale).astype(np.float32)
        for kind in set(self.kinds.tolist()):
            positions = np.flatnonzero(self._kind_mask(kind))
            if len(positions) >= quantize_from:
                codes = np.empty((len(positions), self.matrix.shape[1]), dtype=np.int8)
                for at in range(0, len(positions), 65_536):
                    part = self.matrix[positions[at:at + 65_536]]
                    part *= inverse
                    np.rint(part, out=part)
                    codes[at:at + 65_536] = np.clip(part, -127, 127, out=part)
                self._codes[str(kind)] = (positions, codes)

    def _allowed_mask(self, allowed) -> np.ndarray:
        if isinstance(allowed, (set, frozenset)):
            allowed = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        wanted = np.asarray(allowed, dtype=np.int64)
        at = np.searchsorted(self.rowids, wanted)
        inside = at < len(self)
        at, wanted = at[inside], wanted[inside]
        mask = np.zeros(len(self), dtype=bool)
        mask[at[self.rowids[at] == wanted]] = True
        return mask

    def search(self, query: np.ndarray, limit: int, kinds: Optional[Sequence[str]] = None,
               allowed=None, exact: bool = False) -> list[tuple[int, float]]:
        """(item rowid, cosine) of the ``limit`` nearest items, best first; ties broken by rowid.

        ``allowed``: the rowids (a set or an array) the search is limited to. ``exact``: score every
        vector in float32 even where int8 codes are kept (what the benchmark measures recall against).
        """
        if len(self) == 0 or limit <= 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        mask = None if allowed is None else self._allowed_mask(allowed)
        chosen = list(dict.fromkeys(kinds)) if kinds else sorted({str(k) for k in self._kind_names()})
        if exact or not any(k in self._codes for k in chosen):
            return self._exact(query, limit, chosen if kinds else None, mask)
        parts = []
        for kind in chosen:
            if kind in self._codes:
                parts.append(self._shortlist(kind, query, max(SHORTLIST, 8 * limit), mask))
            else:
                positions = np.flatnonzero(self._kind_mask(kind) if mask is None else self._kind_mask(kind) & mask)
                parts.append(positions)
        candidates = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return self._best(candidates, self.matrix[candidates] @ query, limit)

    def _shortlist(self, kind: str, query: np.ndarray, depth: int, mask: Optional[np.ndarray]) -> np.ndarray:
        """Positions of the ``depth`` best int8 scores among the vectors of ``kind`` (within ``mask``),
        and of every other score tied with the last of them."""
        import simsimd

        positions, codes = self._codes[kind]
        if mask is not None:
            inside = mask[positions]
            if np.count_nonzero(inside) <= depth:
                return positions[inside]
        weighted = query * self._scale
        peak = float(np.abs(weighted).max()) or 1.0
        code = np.clip(np.rint(weighted * (127 / peak)), -127, 127).astype(np.int8)
        approx = np.asarray(simsimd.cdist(code[None], codes, metric="dot", out_dtype="float32")).reshape(-1)
        if mask is not None:
            approx[~inside] = -np.inf
        return positions[top_indices(approx, depth)]

    def _exact(self, query: np.ndarray, limit: int, kinds: Optional[Sequence[str]],
               mask: Optional[np.ndarray]) -> list[tuple[int, float]]:
        scores = self.matrix @ query
        keep = np.ones(len(self), dtype=bool)
        if kinds:
            keep &= np.logical_or.reduce([self._kind_mask(k) for k in kinds])
        if mask is not None:
            keep &= mask
        candidates = np.flatnonzero(keep)
        if candidates.size == 0:
            return []
        subset = scores[candidates]
        k = min(limit, candidates.size)
        top = np.argpartition(-subset, k - 1)[:k] if k < candidates.size else np.arange(candidates.size)
        order = sorted(top, key=lambda i: (-subset[i], self.rowids[candidates[i]]))
        return [(int(self.rowids[candidates[i]]), float(subset[i])) for i in order]

    def _best(self, positions: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The ``limit`` best of ``positions`` by ``scores`` (their exact cosines), ties broken by rowid."""
        order = np.lexsort((self.rowids[positions], -scores))[:limit]
        return [(int(self.rowids[positions[i]]), float(scores[i])) for i in order]


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest ``scores`` and of every score tied with the ``k``-th, in no order.

    A threshold taken from a strided sample of the scores (expected to pass about ``2k`` of them) cuts
    them down with one comparison; only what passes is partitioned. Falls back to partitioning all of
    them when the sample's threshold passes fewer than ``k``.
    """
    n = len(scores)
    if k >= n:
        return np.arange(n)
    step = max(1, n // 16_384)
    sample = scores[::step]
    rank = 2 * k // step + 1
    passed = np.arange(n)
    if step > 1 and rank < len(sample):
        threshold = np.partition(sample, len(sample) - rank)[len(sample) - rank]
        above = np.flatnonzero(scores >= threshold)
        if len(above) >= k:
            passed = above
    kth = np.partition(scores[passed], len(passed) - k)[len(passed) - k]
    return passed[scores[passed] >= kth]
