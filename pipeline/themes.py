"""Themes across reports: clustering practice embeddings, labelling the clusters, codebook matching.

Owns the theme records (:class:`ThemeInput`, :class:`Theme`, :class:`CodebookEntry`), :func:`build_themes`
(codebook matching, then clustering of the rest, then labels), :func:`assign_to_themes` (incremental:
new practices join the nearest existing theme) and :func:`load_codebook`. Pure functions over records and
arrays: the only I/O is reading the codebook file and, for labels, the statistical spaCy model.

Design, against the known failures of popular topic tools:

* Deterministic. Items are put in a canonical order (by id) before anything is computed, the clustering
  (Ward linkage, silhouette choice of k, nearest-centroid assignment) has no randomness, ties go to the
  lowest index, and ids derive from the data. The same items in any order give identical themes.
* Small and large data. Up to ``MAX_LINKAGE_ITEMS`` items are clustered directly; beyond that a fixed,
  order-independent sample (lowest sha256 of the id) is clustered and every other item joins the
  nearest of its centroids, so time and memory stay bounded (O(sample^2 + n * k)).
* Embeddings are centred (the corpus mean removed) before clustering: practices of one report all share
  its topic, and without centring MiniLM puts 26 of the model report's 28 practices in one cluster.
* No outlier bucket. Every practice gets a theme; singletons join their nearest theme when close enough.
* The number of themes is the k in ``[2, ceil(sqrt(n)) + 1]`` with the best silhouette, or, when the
  silhouette shows no clear structure, the best k from ``ceil(sqrt(n / 2))`` up (``max_themes`` caps it);
  ``n_themes`` overrides it.
* Labels are phrases (noun chunks, coordinated nouns such as "leadership and guidance", verb-object
  phrases such as "train party cadre") ranked by class-based TF-IDF as in BERTopic.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

import numpy as np
from pydantic import Field

from pipeline.embed import ITEM_TEXT_MAX_CHARS, MINILM_NAME, Embedder, default_embedder, item_text, normalize_text, unit_rows
from pipeline.records import Record

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc, Token

EMBED_TEXT_MAX_CHARS = ITEM_TEXT_MAX_CHARS
MAX_LINKAGE_ITEMS = 3000
DEFAULT_MAX_THEMES = 60
LABEL_SAMPLE_PER_THEME = 50
KEY_PHRASES = 5
MAX_PHRASE_WORDS = 5
# Kaufman & Rousseeuw: a mean silhouette below 0.25 means no substantial cluster structure.
CLEAR_SILHOUETTE = 0.25

# Cosine similarities (raw, uncentred embeddings) calibrated per embedder on the practice fixtures in
# tests/fixtures/themes (python bench/themes.py --calibrate prints the evidence); other embedders use "*".
# Codebook: at 0.50 MiniLM's matches on the fixtures are right or defensible, below 0.45 they turn wrong.
# Assignment: the model report's practices are >= 0.65 from their own centroid, practices on the same
# topics from elsewhere 0.42-0.89, unrelated ones (tax data, grants) <= 0.28.
CODEBOOK_MIN_SIMILARITY = {MINILM_NAME: 0.50, "*": 0.45}
ASSIGN_MIN_SIMILARITY = {MINILM_NAME: 0.40, "*": 0.20}
MERGE_MIN_SIMILARITY = {MINILM_NAME: 0.35, "*": 0.15}

# Head words too vague to name a theme on their own ("the work", "a good job"); with a modifier they may
# stay ("party building work"), and c-TF-IDF then decides whether they distinguish the theme.
GENERIC_WORDS = frozenset(
    """
    work job way aspect thing situation basis means method measure practice step point face level area
    field role part kind type form number lot degree effect result requirement condition need issue matter
    activity task process case time year place people everyone something anything example all other
    reality actuality one good important key main new various certain more less many few attention
    current future particular relevant specific overall additional such same own further
    """.split()
)
DROP_LEADING_POS = frozenset({"DET", "PRON", "NUM", "PUNCT", "CCONJ", "ADP", "PART", "SYM", "X"})
DROP_DEP = frozenset({"det", "poss", "case", "predet", "nummod", "punct", "cc", "prep", "neg", "quantmod"})


class ThemeInput(Record):
    """One practice to group: its id (unique across reports, e.g. ``"<report_id>:P3"``) and text."""

    id: str
    report_id: str
    text: str = Field(description="the practice headline")
    detail: str = ""
    region: Optional[str] = None
    report_title: Optional[str] = None


class CodebookEntry(Record):
    """A theme the user names in advance; practices close to ``"name: description"`` get it."""

    name: str
    description: str = ""


class Theme(Record):
    id: str = Field(description="'cb-<slug of the codebook name>' or 't-<hash of the sorted member ids>'")
    label: str = Field(description="the codebook name, or key phrases joined with ' · '")
    key_phrases: list[str] = Field(default_factory=list)
    codebook: Optional[str] = Field(None, description="the codebook theme name when the theme is one")
    size: int
    members: list[str] = Field(description="practice ids, sorted")
    reports: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    centroid: list[float] = Field(default_factory=list, description="unit mean of the member embeddings")


# --------------------------------------------------------------------------------------------- inputs


def embedding_text(item: ThemeInput, max_chars: int = EMBED_TEXT_MAX_CHARS) -> str:
    """What gets embedded for a practice: ``"headline. detail"``, cut at a word boundary."""
    return item_text(item.text, item.detail, max_chars)


def codebook_text(entry: CodebookEntry) -> str:
    return f"{entry.name}: {entry.description}" if entry.description else entry.name


def load_codebook(path: Path | str) -> list[CodebookEntry]:
    """The codebook file: a JSON list of ``{"name", "description"}``. Names must be distinct."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(raw, list):
        raise ValueError(f"{path.name}: expected a list of {{'name', 'description'}} objects")
    entries = [CodebookEntry.model_validate(entry) for entry in raw]
    try:
        check_codebook(entries)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    return entries


def check_codebook(entries: Sequence[CodebookEntry]) -> None:
    """Names must give distinct theme ids (ids come from the name, case and punctuation aside)."""
    slugs = Counter(_slug(e.name) for e in entries)
    duplicates = sorted(slug for slug, count in slugs.items() if count > 1)
    if duplicates:
        raise ValueError(f"duplicate codebook names: {', '.join(duplicates)}")


# ----------------------------------------------------------------------------------------- clustering


def _threshold(table: dict[str, float], embedder_name: str | None) -> float:
    return table.get(embedder_name or "", table["*"])


def _canonical_order(items: Sequence[ThemeInput]) -> list[int]:
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        duplicates = sorted(i for i, count in Counter(ids).items() if count > 1)
        raise ValueError(f"practice ids must be unique; repeated: {', '.join(duplicates[:5])}")
    return sorted(range(len(items)), key=lambda i: ids[i])


def _check_embeddings(items: Sequence[ThemeInput], embeddings: np.ndarray) -> np.ndarray:
    matrix = np.asarray(embeddings)
    if matrix.ndim != 2 or matrix.shape[0] != len(items):
        raise ValueError(f"expected embeddings of shape ({len(items)}, dim), got {matrix.shape}")
    return unit_rows(matrix).astype(np.float64)


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


def _relabel_by_first_member(labels: np.ndarray) -> np.ndarray:
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
        return refine_by_centroids(vectors, _relabel_by_first_member(fcluster(tree, n_clusters, criterion="maxclust")))
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    top = max(2, min(n - 1, max_clusters, math.ceil(math.sqrt(n)) + 1))
    cuts = {k: _relabel_by_first_member(fcluster(tree, k, criterion="maxclust")) for k in range(2, top + 1)}
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
        centroids = _unit_centroids(vectors, labels)
        moved = np.argmax(vectors @ centroids.T, axis=1)
        if np.array_equal(moved, labels) or len(np.unique(moved)) < k:
            break
        labels = _relabel_by_first_member(moved)
    return labels


def _unit_centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
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
        centroids = _unit_centroids(centred[sample], sample_labels)
        labels = np.argmax(centred @ centroids.T, axis=1)  # argmax: the lowest cluster number on ties
        labels[sample] = sample_labels
        labels = refine_by_centroids(centred, _relabel_by_first_member(labels))
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
    centroids = _unit_centroids(vectors, labels)[groups]
    similarity = vectors[singles] @ centroids.T
    nearest = np.argmax(similarity, axis=1)
    labels = labels.copy()
    for row, item in enumerate(singles):
        if similarity[row, nearest[row]] >= min_similarity:
            labels[item] = groups[nearest[row]]
    return _relabel_by_first_member(labels)


# --------------------------------------------------------------------------------------------- labels


GENERIC_VERBS = frozenset({"do", "make", "have", "be", "get", "take", "give", "carry", "pay", "grasp", "focus"})
DETAIL_WEIGHT = 0.5  # a phrase found only in the detail counts half: the headline says what the practice is


def _clean_tokens(tokens: Iterable["Token"]) -> list[str]:
    """Lower-case words of a phrase: function words and leading vague words dropped, hyphenated words
    rejoined ("non-public"), the last word lemmatised ("party branch secretaries" -> "... secretary")."""
    kept = [t for t in tokens if t.dep_ not in DROP_DEP and t.pos_ not in {"PUNCT", "DET", "PRON", "NUM"} or t.text == "-"]
    while kept and (kept[0].pos_ in DROP_LEADING_POS or kept[0].lower_ in GENERIC_WORDS and len(kept) > 1 or kept[0].text == "-"):
        kept = kept[1:]
    while kept and (kept[-1].pos_ in DROP_LEADING_POS or kept[-1].text == "-"):
        kept = kept[:-1]
    words: list[str] = []
    previous: "Token | None" = None
    for token in kept:
        word = _singular(token) if token is kept[-1] else token.lower_
        glued = previous is not None and previous.i == token.i - 1 and not previous.whitespace_
        if words and glued and (token.text == "-" or previous.text == "-"):
            words[-1] += word
        else:
            words.append(word)
        previous = token
    return [w for w in words if re.search(r"[^\W\d_]", w)]


def _singular(token: "Token") -> str:
    """The lemma of a plural noun when it is a plain singular ("secretaries" -> "secretary"), else the
    word as written (so "data" does not become "datum")."""
    word = token.lower_
    lemma = token.lemma_.lower()
    if token.tag_ in {"NNS", "NNPS"} and lemma and word.startswith(lemma[: max(len(lemma) - 1, 1)]):
        return lemma
    return word


def _is_informative(words: list[str]) -> bool:
    if not words or len(words) > MAX_PHRASE_WORDS:
        return False
    if len(words) == 1 and words[0] in GENERIC_WORDS:
        return False
    return any(w not in GENERIC_WORDS and len(w) > 2 for w in words)


PLACE_HEADS = frozenset({"city", "province", "county", "district", "state", "town", "village", "country"})


def _is_place_name(chunk) -> bool:
    tokens = [t for t in chunk if t.pos_ not in {"DET", "PUNCT"}]
    return (
        len(tokens) >= 1
        and all(t.pos_ == "PROPN" or (t.lower_ in PLACE_HEADS and t is tokens[-1]) for t in tokens)
        and (tokens[-1].lower_ in PLACE_HEADS or tokens[-1].ent_type_ == "GPE")
    )


def phrases_of_doc(doc: "Doc", head_chars: int | None = None) -> dict[str, float]:
    """Candidate label phrases of one parsed practice with their weight: noun chunks, "X and Y"
    coordinations of chunk heads ("leadership and guidance") and verb-object phrases ("train party
    cadre"). Phrases starting at or after ``head_chars`` (in the detail) weigh ``DETAIL_WEIGHT``."""
    head_chars = len(doc.text) if head_chars is None else head_chars
    phrases: dict[str, float] = {}

    def add(words: list[str], at_char: int) -> None:
        if _is_informative(words):
            phrase = " ".join(words)
            weight = 1.0 if at_char < head_chars else DETAIL_WEIGHT
            phrases[phrase] = max(phrases.get(phrase, 0.0), weight)

    chunk_by_root: dict[int, list[str]] = {}
    for chunk in doc.noun_chunks:
        words = _clean_tokens(chunk)
        if _is_place_name(chunk):  # "Jinhua City": regions are a field of their own
            continue
        if _is_informative(words):
            chunk_by_root[chunk.root.i] = words
            # "municipal demonstration site" also supports "demonstration site": the head stays last
            for start in range(len(words) - 1):
                add(words[start:], chunk.start_char)
    for root_index, words in chunk_by_root.items():
        root = doc[root_index]
        for conj in root.children:
            other = chunk_by_root.get(conj.i)
            if conj.dep_ == "conj" and other and other != words and len(words) + len(other) <= 4:
                add([*words, "and", *other], root.idx)
    for token in doc:
        if token.dep_ == "dobj" and token.head.pos_ == "VERB" and token.i in chunk_by_root:
            verb = token.head.lemma_.lower()
            if verb not in GENERIC_VERBS and re.fullmatch(r"[a-z]+", verb):
                add([verb, *chunk_by_root[token.i]], token.head.idx)
    return phrases


_PHRASE_CACHE: dict[tuple[str, int], dict[str, float]] = {}
_PHRASE_CACHE_LIMIT = 100_000


def candidate_phrases(texts: Sequence[tuple[str, int]]) -> list[dict[str, float]]:
    """Weighted label phrases of each ``(text, headline length)``, parsed with the statistical model
    (cached per text in the process)."""
    missing = sorted({t for t in texts if t not in _PHRASE_CACHE})
    if missing:
        from pipeline.nlp import statistical

        nlp = statistical()
        disabled = [name for name in ("ner",) if name in nlp.pipe_names]
        if len(_PHRASE_CACHE) + len(missing) > _PHRASE_CACHE_LIMIT:
            _PHRASE_CACHE.clear()
        with nlp.select_pipes(disable=disabled):
            docs = list(nlp.pipe((text for text, _ in missing), batch_size=256))
            # Practice headlines are mostly imperative ("Build demonstration points step by step"), and the
            # small model often reads a sentence-initial verb as a noun. Re-parse those with a subject in
            # front; keep the re-parse only when it turns that word into the root verb.
            suspects = [k for k, doc in enumerate(docs) if len(doc) > 1 and doc[0].is_title and doc[0].pos_ != "VERB"]
            with_subject = [f"We {missing[k][0][0].lower()}{missing[k][0][1:]}" for k in suspects]
            for k, doc in zip(suspects, nlp.pipe(with_subject, batch_size=256)):
                if doc[1].pos_ == "VERB" and doc[1].dep_ == "ROOT":
                    docs[k] = doc
        for key, doc in zip(missing, docs):
            shift = len(doc.text) - len(key[0])  # 3 when the re-parse with "We " was kept
            _PHRASE_CACHE[key] = phrases_of_doc(doc, key[1] + shift)
    return [_PHRASE_CACHE[t] for t in texts]


def class_tfidf(phrase_counts: Sequence[Counter[str]]) -> list[dict[str, float]]:
    """c-TF-IDF (BERTopic): per class, frequency of t in the class (L1-normalised) ×
    log(1 + average phrase count per class / frequency of t across all classes).

    One change: each score is also multiplied by the square root of the share of t's occurrences that
    fall in the class. In one report every cluster mentions "non-public enterprise", and plain c-TF-IDF
    still ranks it first in most of them; a label should say what distinguishes the theme."""
    totals: Counter[str] = Counter()
    for counts in phrase_counts:
        totals.update(counts)
    totals = Counter({p: c for p, c in totals.items() if c > 0})
    if not totals:
        return [{} for _ in phrase_counts]
    average = sum(totals.values()) / max(len(phrase_counts), 1)
    scores = []
    for counts in phrase_counts:
        size = sum(counts.values()) or 1
        scores.append(
            {p: (c / size) * math.log(1 + average / totals[p]) * math.sqrt(c / totals[p]) for p, c in counts.items() if c > 0}
        )
    return scores


def _overlaps(phrase: str, chosen: Sequence[str]) -> bool:
    words = set(phrase.split())
    for other in chosen:
        other_words = set(other.split())
        if words <= other_words or other_words <= words:
            return True
        if len(words & other_words) >= max(2, math.ceil(0.6 * min(len(words), len(other_words)))):
            return True
    return False


def pick_key_phrases(scores: dict[str, float], support: Counter[str], size: int, limit: int = KEY_PHRASES) -> list[str]:
    """Best phrases first (score, then support, then fewer words... then alphabetical), skipping phrases
    that repeat, contain or are contained in one already picked. Phrases found in one member only are
    used only when the theme has too few shared phrases."""
    min_support = 2 if size >= 3 else 1

    def rank(p: str) -> tuple:
        words = len(p.split())
        # Phrases, not lone words: a multi-word phrase gets a mild bonus.
        return (-(scores[p] * (1.0 + 0.3 * min(words - 1, 2))), -support[p], p)

    chosen: list[str] = []
    for floor in (min_support, 1):
        for phrase in sorted((p for p in scores if support[p] >= floor), key=rank):
            if len(chosen) >= limit:
                return chosen
            if not _overlaps(phrase, chosen):
                chosen.append(phrase)
        if len(chosen) >= 2:
            break
    return chosen


def label_from_phrases(phrases: Sequence[str], max_chars: int = 70) -> str:
    """Two or three key phrases joined with " · " (the third only if the label stays short)."""
    label = " · ".join(phrases[:2])
    if len(phrases) > 2 and len(label) + 3 + len(phrases[2]) <= max_chars:
        label = f"{label} · {phrases[2]}"
    return label


# ----------------------------------------------------------------------------------------- assembling


@dataclass(frozen=True)
class _Group:
    members: list[int]  # canonical indices
    codebook: str | None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalize_text(name).lower()).strip("-") or "theme"


def theme_id(member_ids: Sequence[str], codebook: str | None = None) -> str:
    if codebook is not None:
        return f"cb-{_slug(codebook)}"
    digest = hashlib.sha256("\n".join(sorted(member_ids)).encode("utf-8")).hexdigest()
    return f"t-{digest[:12]}"


def _representatives(vectors: np.ndarray, members: list[int], limit: int) -> list[int]:
    """The ``limit`` members closest to the group's centroid (ties by canonical index)."""
    if len(members) <= limit:
        return members
    centroid = unit_rows(vectors[members].sum(axis=0, keepdims=True))[0]
    similarity = vectors[members] @ centroid
    order = sorted(range(len(members)), key=lambda j: (-round(float(similarity[j]), 9), members[j]))
    return sorted(members[j] for j in order[:limit])


def _label_groups(items: Sequence[ThemeInput], vectors: np.ndarray, groups: list[_Group]) -> list[list[str]]:
    samples = [_representatives(vectors, g.members, LABEL_SAMPLE_PER_THEME) for g in groups]
    texts = [(embedding_text(items[i]), _headline_chars(items[i])) for sample in samples for i in sample]
    phrases = iter(candidate_phrases(texts))
    weights: list[Counter[str]] = []
    supports: list[Counter[str]] = []
    for sample in samples:
        weight: Counter[str] = Counter()
        support: Counter[str] = Counter()
        for _ in sample:
            found = next(phrases)
            weight.update(found)
            support.update(found.keys())
        weights.append(weight)
        supports.append(support)
    scores = class_tfidf(weights)
    return [pick_key_phrases(s, c, len(sample)) for s, c, sample in zip(scores, supports, samples)]


def _headline_chars(item: ThemeInput) -> int:
    return len(normalize_text(item.text).rstrip(" .;:")) + 1


_CJK = re.compile(r"[\u3400-\u9fff]")


def _fallback_label(item: ThemeInput) -> str:
    """The headline of the theme's most typical practice, cut short (its first clause for Chinese)."""
    text = normalize_text(item.text)
    if _CJK.search(text[:20]):
        clause = re.split(r"[，。；：、,;:]", text, maxsplit=1)[0]
        return clause[:20]
    words = text.split()
    return " ".join(words[:8]).rstrip(" ,;:.").lower()


def _make_themes(
    items: Sequence[ThemeInput], vectors: np.ndarray, groups: list[_Group], with_labels: bool = True
) -> list[Theme]:
    phrase_lists = _label_groups(items, vectors, groups) if with_labels else [[] for _ in groups]
    themes = []
    for group, phrases in zip(groups, phrase_lists):
        member_items = [items[i] for i in group.members]
        centroid = unit_rows(vectors[group.members].sum(axis=0, keepdims=True))[0]
        typical = items[_representatives(vectors, group.members, 1)[0]]
        if _CJK.search(typical.text[:20]):
            # noun chunks come from the English parser: for Chinese, name the theme by its typical practice
            phrases = []
        if group.codebook is not None:
            label = group.codebook
        elif phrases:
            label = label_from_phrases(phrases)
        else:
            label = _fallback_label(typical)
        themes.append(
            Theme(
                id=theme_id([m.id for m in member_items], group.codebook),
                label=label,
                key_phrases=phrases,
                codebook=group.codebook,
                size=len(member_items),
                members=sorted(m.id for m in member_items),
                reports=sorted({m.report_id for m in member_items}),
                regions=sorted({m.region for m in member_items if m.region}),
                centroid=[round(float(x), 6) for x in centroid],
            )
        )
    themes.sort(key=lambda t: (t.codebook is None, -t.size, t.id))
    return themes


def match_codebook(
    vectors: np.ndarray, codebook_vectors: np.ndarray, min_similarity: float
) -> np.ndarray:
    """For each row the index of the most similar codebook entry, or -1 when none reaches the threshold."""
    if len(codebook_vectors) == 0 or len(vectors) == 0:
        return np.full(len(vectors), -1, dtype=np.int64)
    similarity = vectors @ codebook_vectors.T
    best = np.argmax(similarity, axis=1)
    reached = similarity[np.arange(len(vectors)), best] >= min_similarity
    return np.where(reached, best, -1)


def build_themes(
    items: list[ThemeInput],
    embeddings: np.ndarray,
    n_themes: int | None = None,
    codebook: list[CodebookEntry] | None = None,
    embedder: Embedder | None = None,
    *,
    codebook_min_similarity: float | None = None,
    max_themes: int = DEFAULT_MAX_THEMES,
    max_linkage_items: int = MAX_LINKAGE_ITEMS,
    with_labels: bool = True,
) -> list[Theme]:
    """Group practices into themes; every practice lands in exactly one theme.

    ``embeddings`` are the rows for ``items`` (same order), e.g. ``embedder.embed([embedding_text(i) ...])``
    or cached ones. With a ``codebook``, practices whose cosine to an entry's ``"name: description"``
    reaches ``codebook_min_similarity`` (calibrated per embedder by default) get that entry as theme; the
    others are clustered. ``embedder`` embeds the codebook: it must be the embedder of ``embeddings``
    (default: :func:`pipeline.embed.default_embedder`); a TF-IDF embedder must already be fitted on the
    practice texts. ``n_themes`` fixes the number of discovered themes, ``max_themes`` caps the automatic
    choice, ``max_linkage_items`` bounds the items clustered directly (the rest join the nearest centroid),
    ``with_labels=False`` skips the spaCy labelling (labels then come from the first member's headline).
    Themes come out with codebook themes first, then by size (largest first), then by id.
    """
    if n_themes is not None and n_themes < 1:
        raise ValueError("n_themes must be at least 1")
    if not items:
        return []
    vectors_in = _check_embeddings(items, embeddings)
    order = _canonical_order(items)
    ordered = [items[i] for i in order]
    vectors = vectors_in[order]
    groups: list[_Group] = []
    rest = list(range(len(ordered)))
    if embedder is None:
        embedder = default_embedder()  # cheap: the model itself loads on the first embed()
    embedder_name = embedder.name
    if codebook:
        if getattr(embedder, "corpus_relative", False) and not getattr(embedder, "fitted", True):
            raise ValueError("fit the TF-IDF embedder on the practice texts before matching a codebook")
        check_codebook(codebook)
        entries = sorted(codebook, key=lambda e: _slug(e.name))
        entry_vectors = unit_rows(embedder.embed([codebook_text(e) for e in entries])).astype(np.float64)
        if entry_vectors.shape[1] != vectors.shape[1]:
            raise ValueError(
                f"codebook vectors have {entry_vectors.shape[1]} dimensions, practice embeddings "
                f"{vectors.shape[1]}: pass the embedder that produced the embeddings"
            )
        threshold = (
            codebook_min_similarity
            if codebook_min_similarity is not None
            else _threshold(CODEBOOK_MIN_SIMILARITY, embedder_name)
        )
        matched = match_codebook(vectors, entry_vectors, threshold)
        for e, entry in enumerate(entries):
            members = np.flatnonzero(matched == e).tolist()
            if members:
                groups.append(_Group(members, entry.name))
        rest = np.flatnonzero(matched < 0).tolist()
    if rest:
        labels = discover_clusters(
            [ordered[i].id for i in rest],
            vectors[rest],
            n_clusters=n_themes,
            max_clusters=max_themes,
            merge_similarity=_threshold(MERGE_MIN_SIMILARITY, embedder_name),
            max_linkage_items=max_linkage_items,
        )
        for c in range(int(labels.max()) + 1):
            groups.append(_Group([rest[j] for j in np.flatnonzero(labels == c)], None))
    return _make_themes(ordered, vectors, groups, with_labels=with_labels)


def assign_to_themes(
    items: list[ThemeInput],
    embeddings: np.ndarray,
    themes: list[Theme],
    min_similarity: float | None = None,
    embedder_name: str | None = MINILM_NAME,
) -> dict[str, str | None]:
    """Incremental assignment: each practice id → the id of the theme with the nearest centroid, or None
    when the best cosine is below ``min_similarity`` (default: calibrated for ``embedder_name``); the
    caller may then rebuild themes. Ties go to the smallest theme id; themes are not modified."""
    if not items:
        return {}
    vectors = _check_embeddings(items, embeddings)
    usable = sorted((t for t in themes if t.centroid), key=lambda t: t.id)
    if not usable:
        return {item.id: None for item in items}
    centroids = unit_rows(np.array([t.centroid for t in usable])).astype(np.float64)
    if centroids.shape[1] != vectors.shape[1]:
        raise ValueError(f"theme centroids have {centroids.shape[1]} dimensions, embeddings {vectors.shape[1]}")
    threshold = min_similarity if min_similarity is not None else _threshold(ASSIGN_MIN_SIMILARITY, embedder_name)
    similarity = vectors @ centroids.T
    best = np.argmax(similarity, axis=1)
    return {
        item.id: (usable[b].id if similarity[row, b] >= threshold else None)
        for row, (item, b) in enumerate(zip(items, best.tolist()))
    }
