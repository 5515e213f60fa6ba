"""The codebook: themes a user names in advance (``models/codebook.json``), their loading and checks, and the
matching of practices to them by cosine similarity."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.embed import MINILM_NAME, normalize_text
from pipeline.records import Record

# Cosine similarities (raw, uncentred embeddings) calibrated per embedder on the practice fixtures in
# tests/fixtures/themes (python bench/themes.py --calibrate prints the evidence); other embedders use "*".
# Codebook: at 0.50 MiniLM's matches on the fixtures are right or defensible, below 0.45 they turn wrong.
# Assignment: the model report's practices are >= 0.65 from their own centroid, practices on the same
# topics from elsewhere 0.42-0.89, unrelated ones (tax data, grants) <= 0.28.
CODEBOOK_MIN_SIMILARITY = {MINILM_NAME: 0.50, "*": 0.45}
ASSIGN_MIN_SIMILARITY = {MINILM_NAME: 0.40, "*": 0.20}
MERGE_MIN_SIMILARITY = {MINILM_NAME: 0.35, "*": 0.15}


class CodebookEntry(Record):
    """A theme the user names in advance; practices close to ``"name: description"`` get it."""

    name: str
    description: str = ""


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
    slugs = Counter(slug(e.name) for e in entries)
    duplicates = sorted(name for name, count in slugs.items() if count > 1)
    if duplicates:
        raise ValueError(f"duplicate codebook names: {', '.join(duplicates)}")


def threshold(table: dict[str, float], embedder_name: str | None) -> float:
    return table.get(embedder_name or "", table["*"])


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalize_text(name).lower()).strip("-") or "theme"


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

