"""The semantic index: int8 codes with exact re-scoring rank as exact float32 search does; filters and
kinds still apply; the threshold selection of the best scores."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline import vectors
from pipeline.search import Filters, Searcher
from pipeline.vectors import SemanticIndex, top_indices
from tests.test_search import BagOfWordsEmbedder, store  # noqa: F401  (the store fixture)


def assert_same(fast, exact):
    """The same items in the same order, with the same cosines (to float32 rounding: BLAS sums a gathered
    row in another order than the whole matrix's)."""
    assert [r for r, _ in fast] == [r for r, _ in exact]
    assert np.allclose([s for _, s in fast], [s for _, s in exact], rtol=0, atol=1e-6)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def clustered():
    """30,000 unit vectors in 60 tight clusters (as copies of a few items are), rowids with gaps."""
    rng = np.random.default_rng(7)
    centers = unit(rng.standard_normal((60, 96)))
    matrix = unit(centers[np.arange(30_000) % 60] + 0.05 * rng.standard_normal((30_000, 96)))
    rowids = np.arange(30_000, dtype=np.int64) * 3 + 11
    kinds = np.array(["practices"] * 24_000 + ["findings"] * 6_000, dtype=object)
    queries = unit(centers[:20] + 0.05 * rng.standard_normal((20, 96)))
    return rowids, matrix, kinds, queries


def test_int8_search_returns_the_exact_top_10_with_exact_scores(clustered):
    rowids, matrix, kinds, queries = clustered
    index = SemanticIndex(rowids, matrix, kinds, quantize_from=5_000)
    assert set(index._codes) == {"practices", "findings"}
    for q in queries:
        fast = index.search(q, 10, ["practices"])
        assert_same(fast, index.search(q, 10, ["practices"], exact=True))
        positions = np.searchsorted(rowids, [r for r, _ in fast])
        assert np.allclose([s for _, s in fast], matrix[positions] @ q, rtol=0, atol=1e-6)


def test_a_planted_neighbour_comes_first(clustered):
    rowids, matrix, kinds, queries = clustered
    matrix = matrix.copy()
    query = unit(np.random.default_rng(3).standard_normal(96))
    matrix[12_345] = unit(query + 0.01)  # nearly the query itself
    index = SemanticIndex(rowids, matrix, kinds, quantize_from=5_000)
    hits = index.search(query, 10, ["practices"])
    assert hits[0][0] == rowids[12_345] and hits[0][1] > 0.99
    assert_same(hits, index.search(query, 10, ["practices"], exact=True))


def test_filters_and_kinds_still_apply(clustered):
    rowids, matrix, kinds, queries = clustered
    index = SemanticIndex(rowids, matrix, kinds, quantize_from=5_000)
    allowed = set(int(r) for r in rowids[::7]) | {999_999}  # a rowid with no vector is ignored
    few = {int(rowids[5]), int(rowids[24_005])}  # fewer than the shortlist: scored exactly at once
    for q in queries[:5]:
        for kind in (["practices"], ["findings"], ["practices", "findings"], None):
            for subset in (allowed, few, np.array(sorted(few))):
                hits = index.search(q, 10, kind, subset)
                assert_same(hits, index.search(q, 10, kind, subset, exact=True))
                assert {r for r, _ in hits} <= set(subset)
                if kind:
                    assert {kinds[np.searchsorted(rowids, r)] for r, _ in hits} <= set(kind)
    assert index.search(queries[0], 10, ["practices"], set()) == []
    assert index.search(queries[0], 10, ["stages"]) == []


def test_a_small_kind_beside_a_quantized_one_is_searched_exactly(clustered):
    rowids, matrix, kinds, queries = clustered
    index = SemanticIndex(rowids, matrix, kinds, quantize_from=10_000)
    assert set(index._codes) == {"practices"}
    for q in queries[:5]:
        assert_same(index.search(q, 20, None), index.search(q, 20, None, exact=True))
        assert_same(index.search(q, 20, ["findings"]), index.search(q, 20, ["findings"], exact=True))


def test_a_small_index_keeps_no_codes_and_finds_vectors_by_rowid(clustered):
    rowids, matrix, kinds, _ = clustered
    index = SemanticIndex(rowids[:1000], matrix[:1000], kinds[:1000])
    assert not index._codes and index.nbytes == matrix[:1000].nbytes + rowids[:1000].nbytes
    assert np.array_equal(index.vector(int(rowids[10])), matrix[10])
    assert index.vector(12) is None and index.vector(10**9) is None


@pytest.mark.parametrize("n,k", [(10, 3), (100_000, 1), (100_000, 50), (100_000, 400), (50, 50), (5, 9)])
def test_top_indices_are_the_k_best_and_their_ties(n, k):
    rng = np.random.default_rng(n + k)
    scores = rng.integers(-500, 500, n).astype(np.float32)  # many ties
    got = top_indices(scores, k)
    assert len(set(got.tolist())) == len(got)
    if k >= n:
        assert sorted(got) == list(range(n))
        return
    kth = np.sort(scores)[::-1][k - 1]
    assert sorted(got) == sorted(np.flatnonzero(scores >= kth))


def test_top_indices_falls_back_when_the_sample_threshold_passes_too_few():
    scores = np.zeros(100_000, dtype=np.float32)
    scores[::6] = np.arange(1, len(scores[::6]) + 1)  # the strided sample holds every high score
    got = top_indices(scores, 40)
    assert sorted(got) == sorted(np.argsort(scores)[-40:])


def test_searcher_ranks_the_same_with_int8_codes(store, monkeypatch):  # noqa: F811
    queries = ["sites training targets data", "pilot sites parks", "model", "party school"]
    filters = [Filters(), Filters(region="Jiangsu"), Filters(since=2005), Filters(report="GAO")]
    exact = Searcher(store, BagOfWordsEmbedder())
    monkeypatch.setattr(vectors, "QUANTIZE_FROM", 1)
    quantized = Searcher(store, BagOfWordsEmbedder())
    assert quantized.index._codes
    for q in queries:
        for f in filters:
            for mode in ("semantic", "hybrid"):
                fast = [h.as_dict() for h in quantized.search(q, mode=mode, filters=f, limit=20)]
                slow = [h.as_dict() for h in exact.search(q, mode=mode, filters=f, limit=20)]
                assert [h["id"] for h in fast] == [h["id"] for h in slow]
                assert [h["semantic_rank"] for h in fast] == [h["semantic_rank"] for h in slow]
    assert [h.ref for h in quantized.similar("r1:P1")] == [h.ref for h in exact.similar("r1:P1")]
