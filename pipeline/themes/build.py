"""Themes across reports: the theme records, :func:`build_themes` (codebook matching, then clustering of the
rest, then labels); :func:`.assign.assign_to_themes` is the incremental path (new practices join the nearest
existing theme of their space).

Design, against the known failures of popular topic tools:

* Deterministic. Items are put in a canonical order (by id) before anything is computed, the clustering
  (:mod:`.clustering`) has no randomness, ties go to the lowest index, and ids derive from the data. The
  same items in any order give identical themes.
* Small and large data. Up to ``MAX_LINKAGE_ITEMS`` items are clustered directly; beyond that a fixed,
  order-independent sample is clustered and every other item joins the nearest of its centroids.
* No outlier bucket. Every practice gets a theme; singletons join their nearest theme when close enough.
* Labels are short noun phrases from the theme's own practices (:mod:`.labels`), never a list of phrases,
  never a region; ``regions`` are those of the member practices only.
* Each language in the space that reads it. Practices in a language the embedder does not declare in
  ``languages`` (Chinese for MiniLM) are not matched to the codebook, are clustered apart from the others
  on character-bigram TF-IDF rows of their own texts, and their themes' labels are scored there
  (:mod:`.space`); practices in a language it reads are grouped and labelled exactly as before. Centroids
  stay in the embedder's space; incremental assignment (:mod:`.assign`) compares a practice of a language
  the embedder does not read with the bigram rows of the members of that language's themes instead.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from pydantic import Field

from pipeline.embed import (ITEM_TEXT_MAX_CHARS, Embedder, default_embedder, item_text, normalize_text, reads_language,
                            unit_rows)
from pipeline.records import Record
from pipeline.themes.clustering import DEFAULT_MAX_THEMES, MAX_LINKAGE_ITEMS, discover_clusters
from pipeline.themes.codebook import (
    CODEBOOK_MIN_SIMILARITY, MERGE_MIN_SIMILARITY, CodebookEntry, check_codebook, codebook_text, match_codebook, slug,
    threshold,
)
from pipeline.themes.labels import (
    CANDIDATES, LabelChoice, as_written, choose_labels, class_tfidf, fallback_label, fits_as_label, names_a_region, phrase_lists,
    pick_key_phrases, ranked_phrases,
)
from pipeline.themes.space import CharacterSpace, dense, language_of, without_regions

EMBED_TEXT_MAX_CHARS = ITEM_TEXT_MAX_CHARS
LABEL_SAMPLE_PER_THEME = 50


class ThemeInput(Record):
    """One practice to group: its id (unique across reports, e.g. ``"<report_id>:P3"``) and text."""

    id: str
    report_id: str
    text: str = Field(description="the practice headline")
    detail: str = ""
    region: Optional[str] = None
    report_title: Optional[str] = None


class Theme(Record):
    id: str = Field(description="'cb-<slug of the codebook name>' or 't-<hash of the sorted member ids>'")
    label: str = Field(description="a short noun phrase from the members' practices, or the codebook name")
    key_phrases: list[str] = Field(default_factory=list)
    codebook: Optional[str] = Field(None, description="the codebook theme name when the theme is one")
    size: int
    members: list[str] = Field(description="practice ids, sorted")
    reports: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list, description="the regions of the member practices")
    centroid: list[float] = Field(default_factory=list, description="unit mean of the member embeddings")


def embedding_text(item: ThemeInput, max_chars: int = EMBED_TEXT_MAX_CHARS) -> str:
    """What gets embedded for a practice: ``"headline. detail"``, cut at a word boundary."""
    return item_text(item.text, item.detail, max_chars)


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


@dataclass(frozen=True)
class _Group:
    members: list[int]  # canonical indices
    codebook: str | None


def theme_id(member_ids: Sequence[str], codebook: str | None = None) -> str:
    if codebook is not None:
        return f"cb-{slug(codebook)}"
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


def group_language(items: Sequence[ThemeInput], members: Sequence[int]) -> str:
    """The language most of the members are written in ("zh" or "en"; ties: "en")."""
    counts = Counter(language_of(items[i].text) for i in members)
    return "zh" if counts["zh"] > counts["en"] else "en"


def _headline_chars(item: ThemeInput) -> int:
    return len(normalize_text(item.text).rstrip(" .;:")) + 1


def _label_groups(items: Sequence[ThemeInput], vectors: np.ndarray, groups: list[_Group], embedder,
                  codebook: Sequence[tuple[str, np.ndarray]], codebook_similarity: float) -> list[tuple[str, list[str]]]:
    """(label, key phrases) per group; see :mod:`.labels`."""
    samples = [_representatives(vectors, g.members, LABEL_SAMPLE_PER_THEME) for g in groups]
    texts = [(embedding_text(items[i]), _headline_chars(items[i])) for sample in samples for i in sample]
    regions = {item.region for item in items if item.region}
    found_weights, found_surfaces = phrase_lists(texts)
    found = iter(zip(found_weights, found_surfaces))
    weights: list[Counter[str]] = []
    supports: list[Counter[str]] = []
    written: list[dict[str, Counter]] = []
    for sample in samples:
        weight: Counter[str] = Counter()
        support: Counter[str] = Counter()
        forms: dict[str, Counter] = {}
        for _ in sample:
            phrases, surfaces = next(found)
            phrases = {p: w for p, w in phrases.items() if not names_a_region(p, regions)}
            weight.update(phrases)
            support.update(phrases.keys())
            for p in phrases:
                forms.setdefault(p, Counter())[surfaces.get(p, p)] += 1
        weights.append(weight)
        supports.append(support)
        written.append(forms)
    scores = class_tfidf(weights)
    embed = None
    if embedder is not None and not (getattr(embedder, "corpus_relative", False) and not getattr(embedder, "fitted", True)):
        embed = embedder.embed
    # Each theme's label is scored in a space that reads its practices' language: the embedder's, or for a
    # language it does not read, character-bigram TF-IDF vectors of that language's practices (.space).
    # Candidates compete with the themes of the same space only.
    spaces = [None if embed is None or reads_language(embedder, language) else language
              for language in (group_language(items, g.members) for g in groups)]
    candidates, keys = [], []
    for score, support, sample, forms in zip(scores, supports, samples, written):
        ranked = ranked_phrases(score, support, len(sample))
        candidates.append(as_written([p for p in ranked if fits_as_label(p)][:CANDIDATES], forms))
        keys.append(as_written(pick_key_phrases(score, support, len(sample)), forms))
    means = np.array([vectors[g.members].mean(axis=0) for g in groups])
    choices: list[LabelChoice] = [LabelChoice("", list(k)) for k in keys]
    for key in sorted(set(spaces), key=lambda k: (k is not None, k or "")):
        chosen = [g for g, k in enumerate(spaces) if k == key]
        if key is None:
            picked = choose_labels([candidates[g] for g in chosen], [keys[g] for g in chosen], means[chosen], embed,
                                   codebook, codebook_similarity)
        else:
            texts = [embedding_text(items[i]) for g in chosen for i in groups[g].members]
            space = CharacterSpace(texts)
            starts = np.cumsum([0] + [len(groups[g].members) for g in chosen])
            space_means = space.group_means(texts, [range(a, b) for a, b in zip(starts[:-1], starts[1:])])
            picked = choose_labels([candidates[g] for g in chosen], [keys[g] for g in chosen], space_means, space.embed)
        for g, choice in zip(chosen, picked):
            choices[g] = choice
    out = []
    for group, choice in zip(groups, choices):
        if group.codebook is not None:
            out.append((group.codebook, choice.key_phrases))
        elif choice.label:
            out.append((choice.label, choice.key_phrases))
        else:
            typical = items[_representatives(vectors, group.members, 1)[0]]
            out.append((fallback_label(typical.text), []))
    return out


def _make_themes(
    items: Sequence[ThemeInput], vectors: np.ndarray, groups: list[_Group], with_labels: bool = True,
    embedder=None, codebook: Sequence[tuple[str, np.ndarray]] = (), codebook_similarity: float = 1.0,
) -> list[Theme]:
    if with_labels:
        labels = _label_groups(items, vectors, groups, embedder, codebook, codebook_similarity)
    else:
        labels = [(g.codebook or fallback_label(items[_representatives(vectors, g.members, 1)[0]].text), [])
                  for g in groups]
    themes = []
    for group, (label, phrases) in zip(groups, labels):
        member_items = [items[i] for i in group.members]
        centroid = unit_rows(vectors[group.members].sum(axis=0, keepdims=True))[0]
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
    ``with_labels=False`` skips the labelling (labels then come from the most typical member's headline).
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
    names: list[tuple[str, np.ndarray]] = []
    min_similarity = 1.0
    if codebook:
        if getattr(embedder, "corpus_relative", False) and not getattr(embedder, "fitted", True):
            raise ValueError("fit the TF-IDF embedder on the practice texts before matching a codebook")
        check_codebook(codebook)
        entries = sorted(codebook, key=lambda e: slug(e.name))
        entry_vectors = unit_rows(embedder.embed([codebook_text(e) for e in entries])).astype(np.float64)
        if entry_vectors.shape[1] != vectors.shape[1]:
            raise ValueError(
                f"codebook vectors have {entry_vectors.shape[1]} dimensions, practice embeddings "
                f"{vectors.shape[1]}: pass the embedder that produced the embeddings"
            )
        min_similarity = (
            codebook_min_similarity
            if codebook_min_similarity is not None
            else threshold(CODEBOOK_MIN_SIMILARITY, embedder_name)
        )
        matched = match_codebook(vectors, entry_vectors, min_similarity)
        # a practice in a language the embedder does not read is no closer to an entry than noise
        matched[[k for k, item in enumerate(ordered) if not reads_language(embedder, language_of(item.text))]] = -1
        for e, entry in enumerate(entries):
            members = np.flatnonzero(matched == e).tolist()
            if members:
                groups.append(_Group(members, entry.name))
            else:  # an entry no practice matched may still name a discovered theme it is close to
                names.append((entry.name, entry_vectors[e]))
        rest = np.flatnonzero(matched < 0).tolist()
    parts = _clustering_parts(ordered, vectors, rest, embedder) if rest else []
    shares = _shares(n_themes, [len(members) for members, _, _ in parts]) if n_themes is not None else None
    for k, (members, part_vectors, space_name) in enumerate(parts):
        labels = discover_clusters(
            [ordered[i].id for i in members],
            part_vectors,
            n_clusters=shares[k] if shares else None,
            max_clusters=max_themes,
            merge_similarity=threshold(MERGE_MIN_SIMILARITY, space_name),
            max_linkage_items=max_linkage_items,
        )
        for c in range(int(labels.max()) + 1):
            groups.append(_Group([members[j] for j in np.flatnonzero(labels == c)], None))
    return _make_themes(ordered, vectors, groups, with_labels=with_labels, embedder=embedder, codebook=names,
                        codebook_similarity=min_similarity)


def _clustering_parts(items: Sequence[ThemeInput], vectors: np.ndarray, rest: list[int],
                      embedder) -> list[tuple[list[int], np.ndarray, str]]:
    """(members, their vectors, the space's name) per set of practices clustered together: the practices in
    languages the embedder reads on its vectors, as before; those of each language it does not read
    (Chinese for MiniLM) apart, on character-bigram TF-IDF rows of their own texts (.space), where
    practices about one thing share characters instead of being near-noise."""
    language = {i: language_of(items[i].text) for i in rest}
    unread = sorted({lang for lang in language.values() if not reads_language(embedder, lang)})
    if not unread:
        return [(rest, vectors[rest], embedder.name)]
    parts = []
    read = [i for i in rest if language[i] not in unread]
    if read:
        parts.append((read, vectors[read], embedder.name))
    regions = sorted({items[i].region for i in rest if items[i].region}, key=lambda r: (-len(r), r))
    for lang in unread:
        members = [i for i in rest if language[i] == lang]
        # a region is a field, not a topic: two practices of one county share its name and nothing else
        texts = [without_regions(embedding_text(items[i]), regions) for i in members]
        space = CharacterSpace(texts)
        parts.append((members, dense(space, texts), space.name))
    return parts


def _shares(n_themes: int, sizes: list[int]) -> list[int]:
    """``n_themes`` split among parts of these sizes: one each, the rest in proportion (largest remainder),
    never more than a part has practices."""
    if len(sizes) == 1:
        return [n_themes]
    spare = max(0, n_themes - len(sizes))
    exact = [spare * size / sum(sizes) for size in sizes]
    shares = [int(x) for x in exact]
    for k in sorted(range(len(sizes)), key=lambda k: (-(exact[k] - shares[k]), k))[:spare - sum(shares)]:
        shares[k] += 1
    return [min(1 + share, size) for share, size in zip(shares, sizes)]

