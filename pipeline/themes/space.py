"""The vector space a theme's practices are compared in when the embedder does not read their language.

all-MiniLM-L6-v2 was trained on English (``languages = ("en",)`` in :mod:`pipeline.embed`); Chinese text maps
to little more than noise there, so neither a Chinese theme's label nor its clusters can be chosen by those
vectors. For practices in a language the embedder does not declare, themes use :class:`CharacterSpace`
instead: unit TF-IDF rows over character bigrams and single characters of Chinese runs (other words
lower-cased, as :func:`pipeline.nlp.cjk_bigrams` tokenizes a Chinese search index), idf fitted on all the
practices being grouped or labelled, so a label candidate ("农村扶贫开发") and a practice meet on the
characters they share. A language the embedder reads keeps the embedder's space, unchanged.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from pipeline.embed import unit_rows

CJK_RUN = re.compile(r"([\u3400-\u9fff]+)|[^\W_]+")
CJK = re.compile(r"[\u3400-\u9fff]")
# the weight of a single character against a pair; 1 (plain counts): in short practices a shared character
# ("养" of 养老 and 医养) is often the only evidence two are about one thing (0.5 grouped the fixtures worse)
UNIGRAM_WEIGHT = 1.0
# ``dense`` rows wider than this many values go through a seeded truncated SVD (exact below)
DENSE_MAX_VALUES = 20_000_000
SVD_DIM = 256


def language_of(text: str) -> str:
    """"zh" when the text's first characters are Chinese, else "en" (the same test as the labeller's)."""
    return "zh" if CJK.search(text[:20]) else "en"


def character_terms(text: str) -> list[tuple[str, float]]:
    """(term, weight) of a text: per Chinese run its character bigrams (weight 1) and characters
    (``UNIGRAM_WEIGHT``); other words lower-cased (weight 1)."""
    terms: list[tuple[str, float]] = []
    for m in CJK_RUN.finditer(text):
        run = m.group(1)
        if run is None:
            terms.append((m.group(0).lower(), 1.0))
            continue
        terms.extend((run[i:i + 2], 1.0) for i in range(len(run) - 1))
        terms.extend((ch, UNIGRAM_WEIGHT) for ch in run)
    return terms


def without_regions(text: str, regions: Sequence[str]) -> str:
    """``text`` with every occurrence of the given region names cut out (longest first)."""
    for region in regions:
        text = text.replace(region, " ")
    return text


class CharacterSpace:
    """Unit TF-IDF rows (``1 + log(tf)`` per term, smooth idf ``1 + log((1 + n) / (1 + df))``) over
    :func:`character_terms`, fitted on one set of texts; later texts (label candidates) land in the same
    space, terms the fit never saw dropped. Deterministic: the vocabulary is sorted."""

    name = "char-bigram-tfidf"
    languages = ("zh", "en")
    corpus_relative = True
    fitted = True

    def __init__(self, texts: Sequence[str]) -> None:
        document_frequency: dict[str, int] = {}
        for text in texts:
            for term in {t for t, _ in character_terms(text)}:
                document_frequency[term] = document_frequency.get(term, 0) + 1
        self.vocabulary = {t: k for k, t in enumerate(sorted(document_frequency))}
        n = len(texts)
        self.idf = np.array([1.0 + np.log((1.0 + n) / (1.0 + document_frequency[t])) for t in sorted(document_frequency)])
        self.dim = max(1, len(self.vocabulary))

    def rows(self, texts: Sequence[str]):
        """Unit rows as a float64 ``scipy.sparse.csr_matrix``, one per text (zero rows for unseen text)."""
        from scipy.sparse import csr_matrix

        indptr, indices, values = [0], [], []
        for text in texts:
            counts: dict[int, float] = {}
            weight_of: dict[int, float] = {}
            for term, weight in character_terms(text):
                column = self.vocabulary.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0.0) + 1.0
                    weight_of[column] = weight
            row = {c: (1.0 + np.log(x)) * weight_of[c] * self.idf[c] for c, x in counts.items()}
            norm = float(np.sqrt(sum(v * v for v in row.values()))) or 1.0
            for column in sorted(row):
                indices.append(column)
                values.append(row[column] / norm)
            indptr.append(len(indices))
        return csr_matrix((np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(len(texts), self.dim))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Dense unit rows (for a few texts: label candidates)."""
        return np.asarray(self.rows(texts).toarray(), dtype=np.float64)

    def group_means(self, texts: Sequence[str], groups: Sequence[Sequence[int]]) -> np.ndarray:
        """Per group the mean of its members' unit rows (a dot product with a unit row is a mean cosine)."""
        matrix = self.rows(texts)
        means = np.zeros((len(groups), self.dim))
        for g, members in enumerate(groups):
            if len(members):
                means[g] = np.asarray(matrix[list(members)].mean(axis=0)).ravel()
        return means


def dense(space: CharacterSpace, texts: Sequence[str], seed: int = 0) -> np.ndarray:
    """Rows of ``texts`` in ``space`` as a dense array for clustering: exact while small enough, else their
    projection on the top ``SVD_DIM`` singular directions (seeded, so the same texts give the same rows)."""
    matrix = space.rows(texts)
    if matrix.shape[0] * matrix.shape[1] <= DENSE_MAX_VALUES or min(matrix.shape) <= SVD_DIM:
        return np.asarray(matrix.toarray(), dtype=np.float64)
    from sklearn.decomposition import TruncatedSVD

    reduced = TruncatedSVD(n_components=SVD_DIM, algorithm="randomized", n_iter=7, random_state=seed).fit_transform(matrix)
    return unit_rows(reduced).astype(np.float64)
