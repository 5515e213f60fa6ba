"""Incremental assignment: new practices join the nearest existing theme of the space the build grouped them in.

:func:`.build.build_themes` groups practices in a language the embedder reads on its vectors, and those of a
language it does not read (Chinese for MiniLM) apart, on character-bigram TF-IDF rows (:mod:`.space`). A new
practice is compared in the same space: in the embedder's, with the centroids of the themes made there (as
before); in a language the embedder does not read, with the bigram centroids of the member texts of that
language's themes only. A practice never joins a theme of the other space: MiniLM's cosine between a Chinese
practice and any theme is near-noise, and a bigram row says nothing about an English theme.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

from pipeline.embed import MINILM_NAME, reads_language, unit_rows
from pipeline.themes.build import Theme, ThemeInput, _check_embeddings, embedding_text, group_language
from pipeline.themes.codebook import ASSIGN_MIN_SIMILARITY, MERGE_MIN_SIMILARITY, threshold
from pipeline.themes.space import CharacterSpace, language_of, without_regions


def theme_space(theme: Theme, members: Optional[Sequence[ThemeInput]], embedder) -> Optional[str]:
    """The space ``theme`` was grouped in: None for the embedder's, else the language whose bigram space it
    is. As the build decides it: the language most of its members are written in (without member texts,
    the language of its label, which comes from those members)."""
    if members:
        language = group_language(members, range(len(members)))
    else:
        language = language_of(theme.label)
    return None if reads_language(embedder, language) else language


def assign_to_themes(
    items: list[ThemeInput],
    embeddings: np.ndarray,
    themes: list[Theme],
    min_similarity: float | None = None,
    embedder_name: str | None = MINILM_NAME,
    *,
    embedder=None,
    members: Optional[Mapping[str, Sequence[ThemeInput]]] = None,
) -> dict[str, str | None]:
    """Incremental assignment: each practice id → the id of the nearest theme, or None when the best cosine
    is below the floor; the caller may then rebuild themes. Ties go to the smallest theme id; themes are
    not modified.

    Without ``embedder``, every practice is compared with every theme centroid in the embeddings' space,
    the floor ``min_similarity`` (default: calibrated for ``embedder_name``). With the ``embedder`` of the
    embeddings, a practice in a language it reads is compared that way with the themes of its space only;
    one in a language it does not read is compared, in the character-bigram space, with the member texts of
    that language's themes: ``members`` maps a theme id to its member practices (texts, details, regions);
    a theme without members there cannot take such practices.
    """
    if not items:
        return {}
    vectors = _check_embeddings(items, embeddings)
    if embedder is None:
        return _nearest_centroid(items, vectors, themes, min_similarity, embedder_name)
    members = members or {}
    spaces = {t.id: theme_space(t, members.get(t.id), embedder) for t in themes}
    language = [language_of(item.text) for item in items]
    read = [k for k, lang in enumerate(language) if reads_language(embedder, lang)]
    assigned: dict[str, str | None] = {}
    if read:
        assigned.update(_nearest_centroid([items[k] for k in read], vectors[read],
                                          [t for t in themes if spaces[t.id] is None], min_similarity,
                                          embedder_name if embedder_name is not None else embedder.name))
    for lang in sorted({language[k] for k in range(len(items))} - {language[k] for k in read}):
        new = [items[k] for k in range(len(items)) if language[k] == lang]
        candidates = {t.id: members[t.id] for t in themes if spaces[t.id] == lang and members.get(t.id)}
        assigned.update(_nearest_members(new, candidates))
    return {item.id: assigned[item.id] for item in items}


def _nearest_centroid(items: Sequence[ThemeInput], vectors: np.ndarray, themes: Sequence[Theme],
                      min_similarity: float | None, embedder_name: str | None) -> dict[str, str | None]:
    """The nearest stored centroid (embedder's space) at or above the floor, per practice."""
    usable = sorted((t for t in themes if t.centroid), key=lambda t: t.id)
    if not usable:
        return {item.id: None for item in items}
    centroids = unit_rows(np.array([t.centroid for t in usable])).astype(np.float64)
    if centroids.shape[1] != vectors.shape[1]:
        raise ValueError(f"theme centroids have {centroids.shape[1]} dimensions, embeddings {vectors.shape[1]}")
    floor = min_similarity if min_similarity is not None else threshold(ASSIGN_MIN_SIMILARITY, embedder_name)
    similarity = vectors @ centroids.T
    best = np.argmax(similarity, axis=1)
    return {
        item.id: (usable[b].id if similarity[row, b] >= floor else None)
        for row, (item, b) in enumerate(zip(items, best.tolist()))
    }


def _nearest_members(items: Sequence[ThemeInput],
                     candidates: Mapping[str, Sequence[ThemeInput]]) -> dict[str, str | None]:
    """Per practice the candidate theme whose members' bigram centroid is nearest, or None below the floor.

    The space is the build's (:func:`.build._clustering_parts`): character-bigram TF-IDF fitted on the texts
    of that language's practices (here the candidates' members and the new ones), region names cut out,
    centroid = unit sum of the member rows, raw cosine. The floor is the build's own: the similarity at which
    it merges a singleton into the nearest theme of that space (``MERGE_MIN_SIMILARITY`` for the space's
    name, :func:`.clustering._merge_singletons`), since a new practice is in a singleton's position: alone,
    joining the nearest theme when close enough. Exact sparse rows (the build projects beyond
    ``space.DENSE_MAX_VALUES``; cosines to a centroid are close either way).
    """
    if not candidates:
        return {item.id: None for item in items}
    ids = sorted(candidates)
    everyone = [m for t in ids for m in candidates[t]] + list(items)
    regions = sorted({m.region for m in everyone if m.region}, key=lambda r: (-len(r), r))
    member_texts = [without_regions(embedding_text(m), regions) for t in ids for m in candidates[t]]
    new_texts = [without_regions(embedding_text(i), regions) for i in items]
    space = CharacterSpace(member_texts + new_texts)
    rows = space.rows(member_texts)
    starts = np.cumsum([0] + [len(candidates[t]) for t in ids])
    sums = np.vstack([np.asarray(rows[a:b].sum(axis=0)).ravel() for a, b in zip(starts[:-1], starts[1:])])
    centroids = unit_rows(sums).astype(np.float64)
    similarity = np.asarray(space.rows(new_texts) @ centroids.T)
    floor = threshold(MERGE_MIN_SIMILARITY, space.name)
    best = np.argmax(similarity, axis=1)
    return {
        item.id: (ids[b] if similarity[row, b] >= floor else None)
        for row, (item, b) in enumerate(zip(items, best.tolist()))
    }
