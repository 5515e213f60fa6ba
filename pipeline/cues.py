"""Rule data of the structure stages (``data/structure/*.json``) and the small matchers over it."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional


@lru_cache(maxsize=None)
def load_data(name: str) -> dict:
    with resources.files("pipeline").joinpath(f"data/structure/{name}").open(encoding="utf-8") as fh:
        return json.load(fh)


def matches_any(patterns: Iterable[str], text: str, flags: int = re.I) -> bool:
    return any(re.search(p, text, flags) for p in patterns)


def cue_kind(text: str, table: dict, order: tuple[str, ...]) -> Optional[str]:
    for kind in order:
        if matches_any(table.get(kind, []), text):
            return kind
    return None

