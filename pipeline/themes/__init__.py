"""Themes across reports: clustering practice embeddings (:mod:`.clustering`), the user's codebook
(:mod:`.codebook`), noun-phrase labels (:mod:`.labels`, :mod:`.chinese`) and the records and entry points
(:mod:`.build`), incremental assignment (:mod:`.assign`). The public names are importable from here, as
before the split."""
from pipeline.themes.build import (
    EMBED_TEXT_MAX_CHARS, LABEL_SAMPLE_PER_THEME, Theme, ThemeInput, build_themes, embedding_text, theme_id,
)
from pipeline.themes.assign import assign_to_themes, theme_space
from pipeline.themes.clustering import (
    CLEAR_SILHOUETTE, DEFAULT_MAX_THEMES, MAX_LINKAGE_ITEMS, cluster_vectors, discover_clusters, refine_by_centroids,
    silhouette_by_labels,
)
from pipeline.themes.codebook import (
    ASSIGN_MIN_SIMILARITY, CODEBOOK_MIN_SIMILARITY, MERGE_MIN_SIMILARITY, CodebookEntry, check_codebook, codebook_text,
    load_codebook, match_codebook,
)
from pipeline.themes.labels import KEY_PHRASES, class_tfidf, pick_key_phrases

__all__ = [
    "ASSIGN_MIN_SIMILARITY", "CLEAR_SILHOUETTE", "CODEBOOK_MIN_SIMILARITY", "CodebookEntry", "DEFAULT_MAX_THEMES",
    "EMBED_TEXT_MAX_CHARS", "KEY_PHRASES", "LABEL_SAMPLE_PER_THEME", "MAX_LINKAGE_ITEMS", "MERGE_MIN_SIMILARITY",
    "Theme", "ThemeInput", "assign_to_themes", "build_themes", "check_codebook", "class_tfidf", "cluster_vectors",
    "codebook_text", "discover_clusters", "embedding_text", "load_codebook", "match_codebook", "pick_key_phrases",
    "refine_by_centroids", "silhouette_by_labels", "theme_id", "theme_space",
]
