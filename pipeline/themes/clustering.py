"""Clustering practice embeddings into themes: Ward linkage on centred unit vectors, the number of themes
by silhouette, nearest-centroid refinement, a fixed sample for large inputs, singletons merged into their
nearest theme. Pure functions over arrays in canonical order; no randomness, ties to the lowest index.
"""
from __future__ import annotations

import hashlib
import math
from typing import Sequence

import numpy as np

from pipeline.embed import unit_rows

MAX_LINKAGE_ITEMS = 3000
DEFAULT_MAX_THEMES = 60
# Kaufman & Rousseeuw: a mean silhouette below 0.25 means no substantial cluster structure.
CLEAR_SILHOUETTE = 0.25


def _centred(vectors: np.ndarray) -> np.ndarray:
    """Unit rows after removing the mean: what the items share says nothing about how they differ."""
    if len(vectors) < 2:
        return vectors
    return unit_rows(vectors - vectors.mean(axis=0)).astype(np.float64)


def silhouette_by_labels(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette over a square distance matrix (singletons score 0, as in scikit-learn).

    One matrix product per call, so a range of k costs a few products instead of k full passes.
    """
    n = len(labels)
    k = int(labels.max()) + 1
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1.0
    sizes = onehot.sum(axis=0)
    sums = distances @ onehot  # (n, k): summed distance from each item to each cluster
    own = sizes[labels]
    a = np.where(own > 1, sums[np.arange(n), labels] / np.maximum(own - 1, 1), 0.0)
    means = sums / np.maximum(sizes, 1)
    means[np.arange(n), labels] = np.inf
    b = means.min(axis=1)
    counted = (own > 1) & np.isfinite(b)  # one cluster only: no nearest other cluster, score 0
    b = np.where(counted, b, a)
    score = np.where(counted, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(score.mean())


def relabel_by_first_member(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers in order of first appearance, so they do not depend on scipy's numbering."""
    mapping: dict[int, int] = {}
    for label in labels.tolist():
        mapping.setdefault(label, len(mapping))
    return np.array([mapping[label] for label in labels.tolist()], dtype=np.int64)


def cluster_vectors(
    vectors: np.ndarray, n_clusters: int | None = None, max_clusters: int = DEFAULT_MAX_THEMES
) -> np.ndarray:
    """Cluster numbers for unit rows (already centred and in canonical order).

    Ward linkage on unit vectors (Euclidean distance there is a monotone function of cosine); the tree is
    cut at ``n_clusters`` or at the k in ``[2, ceil(sqrt(n)) + 1]`` (capped by ``max_clusters``) with the
    best cosine silhouette, the smallest k on ties. When even the best silhouette shows no clear structure
    (< ``CLEAR_SILHOUETTE``), k is chosen the same way from ``[ceil(sqrt(n / 2)), ...]`` (the rule of thumb
    k ~ sqrt(n / 2)), so a homogeneous report gives a handful of themes rather than two. A few rounds of
    nearest-centroid moves then tidy the cut (:func:`refine_by_centroids`).
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n_clusters is not None and n_clusters >= n:
        return np.arange(n, dtype=np.int64)
    if n < 3 or n_clusters == 1:
        return np.zeros(n, dtype=np.int64)
    tree = linkage(vectors, method="ward")
    if n_clusters is not None:
        return refine_by_centroids(vectors, relabel_by_first_member(fcluster(tree, n_clusters, criterion="maxclust")))
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    top = max(2, min(n - 1, max_clusters, math.ceil(math.sqrt(n)) + 1))
    cuts = {k: relabel_by_first_member(fcluster(tree, k, criterion="maxclust")) for k in range(2, top + 1)}
    scores = {k: silhouette_by_labels(distances, labels) for k, labels in cuts.items()}
    best = _best_k(scores, floor=2)
    if scores[best] < CLEAR_SILHOUETTE:
        # No clear structure (one report's practices all share its topic): the silhouette curve is flat
        # and noisy, and its maximum may be k=2. Choose among readable numbers of themes instead.
        best = _best_k(scores, floor=min(top, max(2, math.ceil(math.sqrt(n / 2)))))
    return refine_by_centroids(vectors, cuts[best])


def _best_k(scores: dict[int, float], floor: int) -> int:
    """The k >= floor with the highest silhouette, the smallest such k on ties."""
    candidates = [k for k in sorted(scores) if k >= floor]
    return max(candidates, key=lambda k: (round(scores[k], 12), -k))


def refine_by_centroids(vectors: np.ndarray, labels: np.ndarray, max_rounds: int = 10) -> np.ndarray:
    """A few rounds of spherical k-means started from the tree's clusters: each item moves to the nearest
    centroid. Ward merges by cluster size as well as by distance, so an item with no close neighbour can
    end up in an unrelated cluster; this puts it back. Deterministic (argmax keeps the lowest cluster on
    ties); it stops before a round that would empty a cluster, so the number of clusters is kept."""
    k = int(labels.max()) + 1 if len(labels) else 0
    for _ in range(max_rounds):
        centroids = unit_centroids(vectors, labels)
        moved = np.argmax(vectors @ centroids.T, axis=1)
        if np.array_equal(moved, labels) or len(np.unique(moved)) < k:
            break
        labels = relabel_by_first_member(moved)
    return labels


def unit_centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1 if len(labels) else 0
    sums = np.zeros((k, vectors.shape[1]))
    np.add.at(sums, labels, vectors)
    return unit_rows(sums).astype(np.float64)


def _sample_for_linkage(ids: Sequence[str], limit: int) -> np.ndarray:
    """Indices of the ``limit`` items with the lowest sha256 of their id: a fixed sample in any order."""
    digests = [hashlib.sha256(i.encode("utf-8")).hexdigest() for i in ids]
    return np.array(sorted(sorted(range(len(ids)), key=lambda i: digests[i])[:limit]), dtype=np.int64)


def discover_clusters(
    ids: Sequence[str],
    vectors: np.ndarray,
    n_clusters: int | None = None,
    max_clusters: int = DEFAULT_MAX_THEMES,
    merge_similarity: float = 0.0,
    max_linkage_items: int = MAX_LINKAGE_ITEMS,
) -> np.ndarray:
    """Cluster numbers for raw unit embeddings in canonical order (see the module docstring)."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    centred = _centred(vectors)
    if n <= max_linkage_items:
        labels = cluster_vectors(centred, n_clusters, max_clusters)
    else:
        sample = _sample_for_linkage(ids, max_linkage_items)
        sample_labels = cluster_vectors(centred[sample], n_clusters, max_clusters)
        centroids = unit_centroids(centred[sample], sample_labels)
        labels = np.argmax(centred @ centroids.T, axis=1)  # argmax: the lowest cluster number on ties
        labels[sample] = sample_labels
        labels = refine_by_centroids(centred, relabel_by_first_member(labels))
    if n_clusters is None and n > 2:
        labels = _merge_singletons(vectors, labels, merge_similarity)
    return labels


def _merge_singletons(vectors: np.ndarray, labels: np.ndarray, min_similarity: float) -> np.ndarray:
    """Each singleton joins the theme whose centroid is nearest (raw cosine) if at least ``min_similarity``.

    Centroids are those of the clusters of two or more, computed once, so the result does not depend on
    the order singletons are visited in.
    """
    sizes = np.bincount(labels)
    singles = np.flatnonzero(sizes[labels] == 1)
    groups = np.flatnonzero(sizes > 1)
    if len(singles) == 0 or len(groups) == 0:
        return labels
    centroids = unit_centroids(vectors, labels)[groups]
    similarity = vectors[singles] @ centroids.T
    nearest = np.argmax(similarity, axis=1)
    labels = labels.copy()
    for row, item in enumerate(singles):
        if similarity[row, nearest[row]] >= min_similarity:
            labels[item] = groups[nearest[row]]
    return relabel_by_first_member(labels)
