"""Corpus-level stages over the whole store: item vectors for search, themes across reports, and the
theme listing. They run after a batch (``batch.run``) and from `reportlens themes`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


def index_and_theme(store, embedder=None) -> "ThemeRefresh":
    """The corpus-level stages after a batch: item vectors for search, then themes."""
    from .embed import default_embedder
    from .extract import CODEBOOK_PATH
    from .vectors import index_items

    embedder = embedder or default_embedder()
    if not getattr(embedder, "corpus_relative", False):
        index_items(store, embedder)
    return refresh_themes(store, embedder=embedder, codebook_path=CODEBOOK_PATH)


@dataclass
class ThemeRefresh:
    """What a themes pass did: rebuilt every theme, or assigned new practices to the existing ones."""

    rebuilt: bool
    themes: int
    assigned: int
    practices: int
    seconds: float = 0.0


# Above this share of practices without a theme, incremental assignment gives way to a rebuild.
MAX_UNTHEMED_SHARE = 0.10
MOSTLY_NEW_SHARE = 0.5


def refresh_themes(
    store,
    *,
    rebuild: bool = False,
    n_themes: Optional[int] = None,
    embedder=None,
    codebook_path: Optional[Path] = None,
) -> ThemeRefresh:
    """Bring the store's themes up to date: assign new practices to existing themes, or re-cluster all.

    Re-clusters when asked (``rebuild``, ``n_themes``: the number of discovered themes across all
    languages, shared among them; codebook themes come in addition), when there are no themes yet, or when too many
    practices fit no existing theme. Practices are themed per report language: the sentence encoder is
    English, and mixing languages would split the corpus by language instead of by topic. The codebook
    (English descriptions) applies to English practices. Embeddings come from the store's cache.
    """
    from .embed import default_embedder, fit_if_needed
    from .themes import Theme, ThemeInput, assign_to_themes, build_themes, embedding_text, load_codebook
    from .vectors import embed_cached

    started = time.perf_counter()
    embedder = embedder or default_embedder()
    by_language: dict[str, list] = {}
    for rid, title, language, p in store.practices():
        by_language.setdefault(language, []).append(ThemeInput(
            id=f"{rid}:{p['id']}", report_id=rid, text=p["text"], detail=p.get("detail") or "",
            region=p.get("region"), report_title=title))
    items = [i for group in by_language.values() for i in group]
    if not items:
        store.replace_themes([], {})
        return ThemeRefresh(True, 0, 0, 0, time.perf_counter() - started)
    fit_if_needed(embedder, [embedding_text(i) for i in items])
    stored = store.themes()
    # Centroids live in one embedder's space: themes made by another embedder are rebuilt.
    same_space = all(t.get("embedder") == embedder.name for t in stored)
    # A TF-IDF space is refitted on every call, so old centroids are not comparable: always rebuild then.
    incremental = same_space and not getattr(embedder, "corpus_relative", False)
    unthemed = store.unthemed_practices() if stored else set()
    # When most practices are new (a first batch after a small one, or a re-analysis of everything),
    # the old themes describe little of the data: cluster afresh.
    mostly_new = len(unthemed) > MOSTLY_NEW_SHARE * len(items)
    if stored and incremental and not rebuild and n_themes is None and not mostly_new:
        assignments: dict[tuple[str, str], Optional[str]] = {}
        members = _theme_members(store, stored, {i.id: i for i in items})
        for language, group in by_language.items():
            new = [i for i in group if _item_key(i) in unthemed]
            if not new:
                continue
            existing = [Theme.model_validate(_theme_fields(t)) for t in stored if t.get("language") == language]
            vectors = embed_cached(store, [embedding_text(i) for i in new], embedder)
            # each practice is compared in the space its language was grouped in (themes.assign)
            assigned = assign_to_themes(new, vectors, existing, embedder_name=embedder.name, embedder=embedder,
                                        members=members)
            assignments.update({_item_key(i): assigned[i.id] for i in new})
        missing = sum(1 for t in assignments.values() if t is None)
        if missing <= MAX_UNTHEMED_SHARE * len(items):
            store.assign_themes(assignments)
            return ThemeRefresh(False, len(stored), len(assignments) - missing, len(items),
                                time.perf_counter() - started)
    codebook = load_codebook(codebook_path) if codebook_path and Path(codebook_path).exists() else None
    themes: list[dict] = []
    members: dict[tuple[str, str], str] = {}
    shares = share_themes(n_themes, {language: len(group) for language, group in by_language.items()}) \
        if n_themes else {}
    for language in sorted(by_language):
        group = by_language[language]
        vectors = embed_cached(store, [embedding_text(i) for i in group], embedder)
        built = build_themes(group, vectors, n_themes=shares.get(language),
                             codebook=codebook if language == "en" else None, embedder=embedder)
        by_id = {i.id: i for i in group}
        for theme in built:
            themes.append({**theme.model_dump(), "embedder": embedder.name, "language": language})
            members.update({_item_key(by_id[m]): theme.id for m in theme.members})
    themes.sort(key=lambda t: (t["codebook"] is None, -t["size"], t["id"]))
    store.replace_themes(themes, members)
    return ThemeRefresh(True, len(themes), len(items), len(items), time.perf_counter() - started)


def share_themes(n_themes: int, sizes: dict[str, int]) -> dict[str, int]:
    """Split ``n_themes`` discovered themes among the languages: one each, the rest in proportion to
    their practices (largest remainder), never more than a language has practices."""
    spare = max(0, n_themes - len(sizes))
    total = sum(sizes.values())
    exact = {lang: spare * size / total for lang, size in sizes.items()}
    shares = {lang: int(x) for lang, x in exact.items()}
    for lang in sorted(exact, key=lambda g: (-(exact[g] - shares[g]), g))[:spare - sum(shares.values())]:
        shares[lang] += 1
    return {lang: min(1 + share, sizes[lang]) for lang, share in shares.items()}


def _theme_fields(stored: dict) -> dict:
    """A stored theme without the store's own keys, as `themes.Theme` takes it."""
    return {k: v for k, v in stored.items() if k not in ("embedder", "language")}


def _theme_members(store, stored: list[dict], by_id: dict) -> dict[str, list]:
    """The practices (``ThemeInput``) of each stored theme: its current members in the store (those a batch
    assigned since the build included), else the members its record lists."""
    current = {theme_id: [row["id"] for row in rows] for theme_id, rows in store.theme_members().items()}
    return {t["id"]: [by_id[m] for m in current.get(t["id"]) or t.get("members", []) if m in by_id] for t in stored}


def _item_key(item) -> tuple[str, str]:
    return item.report_id, item.id.split(":", 1)[1]


def updated_theme_listing(db_path: Path, *, rebuild: bool = False, n_themes: Optional[int] = None,
                          top: int = 3) -> list[dict]:
    """The theme listing (``theme_listing``) of the store at ``db_path``, after bringing its themes up to
    date: re-clustered when asked (``rebuild``, ``n_themes``), new practices themed. The store is opened
    for writing only when there is something to write: a read-only store whose themes are current lists
    them; otherwise its writes fail with a ``StoreError``, the stored themes as they were."""
    from .extract import CODEBOOK_PATH
    from .store import Store

    rebuild = rebuild or n_themes is not None
    with Store(db_path, readonly=True) as store:
        if not rebuild and not store.unthemed_practices():
            return theme_listing(store, top)
    with Store(db_path) as store:
        if rebuild:
            refresh_themes(store, rebuild=True, n_themes=n_themes, codebook_path=CODEBOOK_PATH)
        elif store.unthemed_practices():
            index_and_theme(store)
        return theme_listing(store, top)


def theme_listing(store, top: int) -> list[dict]:
    """Themes with their current size, reports, regions and most typical practices."""
    members = store.theme_members()
    listing = []
    for theme in store.themes():
        rows = members.get(theme["id"], [])
        listing.append({
            "id": theme["id"], "label": theme["label"], "codebook": theme.get("codebook"),
            "key_phrases": theme.get("key_phrases", []), "size": len(rows),
            "reports": sorted({row["report_id"] for row in rows}),
            "regions": sorted({row["region"] or "" for row in rows} - {""}),
            "practices": [{k: row[k] for k in ("id", "text", "report", "region")}
                          for row in _typical(rows, theme, store)[:top]],
        })
    return listing


def _typical(rows: list[dict], theme: dict, store) -> list[dict]:
    """Members nearest the theme's centroid first (stored order for members without a vector)."""
    centroid = theme.get("centroid")
    if not centroid or not rows:
        return rows
    import numpy as np

    from .embed import default_embedder

    vectors = store.vectors_of([row["rowid"] for row in rows], default_embedder().name)
    center = np.asarray(centroid, dtype=np.float32)
    if not vectors or len(next(iter(vectors.values()))) != len(center):
        return rows
    return sorted(rows, key=lambda row: -float(vectors[row["rowid"]] @ center) if row["rowid"] in vectors else 0.0)
