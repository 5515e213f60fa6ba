"""Lexicons shared by the ingestion rules: the data files in ``pipeline/data/ingest/`` and the small word
and punctuation sets that more than one rule module needs."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path


DATA_DIR = Path(__file__).parent / "data" / "ingest"


@lru_cache(maxsize=None)
def load_json(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def sentence_starters() -> frozenset[str]:
    words = []
    for line in (DATA_DIR / "sentence_starters.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line)
    return frozenset(words)


# marks that end a sentence: a line ending in one is prose, not a breadcrumb segment or contents entry
TERMINAL_PUNCTUATION = tuple(".!?。！？…")

# words that cannot end a heading or a sentence: a line ending in one continues on the next line
CONTINUATION_WORDS = frozenset(
    "a an the and or nor but of to in on at by for with from into onto as than that which who whose whom "
    "its their our his her this these those is are was were be been being has have had not such per via "
    "including between within without under over about against among during through toward towards".split()
)
