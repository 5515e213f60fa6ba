"""TF-IDF rows for comparing the sentences of one report (the summary's centrality and TextRank).

What scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` computes (smooth idf, unit rows, its default
token pattern and English stop words; character bigrams for Chinese), in scipy.sparse alone: importing
scikit-learn cost about a second of every `reportlens analyze` (it pulls in scipy.stats and pandas).
tests/test_tfidf.py holds the two to the same numbers.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

STOP_WORDS_PATH = Path(__file__).parent / "data" / "summary" / "stop_words_en.txt"
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_WHITESPACE = re.compile(r"\s\s+")


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    lines = STOP_WORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def word_terms(text: str) -> list[str]:
    """Lower-cased words of two or more characters without stop words, and their adjacent pairs."""
    stop = english_stop_words()
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def character_bigrams(text: str) -> list[str]:
    """Overlapping character pairs (whitespace runs read as one space), for text without word spaces."""
    text = _WHITESPACE.sub(" ", text.lower())
    return [text[i:i + 2] for i in range(len(text) - 1)]


def tfidf_rows(texts: list[str], language: str = "en"):
    """Unit-length TF-IDF rows (a float32 ``scipy.sparse.csr_matrix``, one row per text): term counts
    ``1 + log(tf)``, idf ``1 + log((1 + n) / (1 + df))``. Texts without a single term give zero rows."""
    from scipy.sparse import csr_matrix

    analyze = character_bigrams if language == "zh" else word_terms
    vocabulary: dict[str, int] = {}
    indptr, indices, counts = [0], [], []
    for text in texts:
        row: dict[int, int] = {}
        for term in analyze(text):
            column = vocabulary.setdefault(term, len(vocabulary))
            row[column] = row.get(column, 0) + 1
        indices.extend(row)
        counts.extend(row.values())
        indptr.append(len(indices))
    shape = (len(texts), max(1, len(vocabulary)))
    matrix = csr_matrix((np.asarray(counts, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                         np.asarray(indptr, dtype=np.int64)), shape=shape)
    if not vocabulary:
        return csr_matrix(shape, dtype=np.float32)
    document_frequency = np.bincount(matrix.indices, minlength=shape[1])
    idf = 1.0 + np.log((1.0 + len(texts)) / (1.0 + document_frequency))
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    matrix = csr_matrix(matrix.multiply(scale[:, None]))
    return matrix.astype(np.float32)
