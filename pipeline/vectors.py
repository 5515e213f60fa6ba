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


class SemanticIndex:
    """All item vectors of one model in one matrix; cosine search by one matrix-vector product."""

    def __init__(self, rowids: np.ndarray, matrix: np.ndarray, kinds: np.ndarray):
        self.rowids = rowids
        self.matrix = matrix
        self.kinds = kinds
        self._kind_masks: dict[str, np.ndarray] = {}

    @classmethod
    def load(cls, store: "Store", model: str) -> "SemanticIndex":
        rowids, vectors, kinds = store.item_vectors(model)
        return cls(rowids, vectors, kinds)

    def __len__(self) -> int:
        return len(self.rowids)

    def _kind_mask(self, kind: str) -> np.ndarray:
        if kind not in self._kind_masks:
            self._kind_masks[kind] = self.kinds == kind
        return self._kind_masks[kind]

    def search(self, query: np.ndarray, limit: int, kinds: Optional[Sequence[str]] = None,
               allowed: Optional[set[int]] = None) -> list[tuple[int, float]]:
        """(item rowid, cosine) of the ``limit`` nearest items, best first; ties broken by rowid."""
        if len(self) == 0:
            return []
        scores = self.matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
        mask = np.ones(len(self), dtype=bool)
        if kinds:
            mask &= np.logical_or.reduce([self._kind_mask(k) for k in kinds])
        if allowed is not None:
            mask &= np.isin(self.rowids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        candidates = np.flatnonzero(mask)
        if candidates.size == 0:
            return []
        subset = scores[candidates]
        k = min(limit, candidates.size)
        top = np.argpartition(-subset, k - 1)[:k] if k < candidates.size else np.arange(candidates.size)
        order = sorted(top, key=lambda i: (-subset[i], self.rowids[candidates[i]]))
        return [(int(self.rowids[candidates[i]]), float(subset[i])) for i in order]
