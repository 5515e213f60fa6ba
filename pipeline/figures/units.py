"""Units and currencies of the figures stage: the lexicons (``pipeline/data/figures/lexicon_<language>.json``)
and what a unit word says about a figure (its kind, its ISO currency code)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "figures"


@lru_cache(maxsize=None)
def lexicon(language: str = "en") -> dict:
    """The lexicon of one language (``pipeline/data/figures/lexicon_<language>.json``)."""
    with open(DATA_DIR / f"lexicon_{language}.json", encoding="utf-8") as fh:
        return json.load(fh)



def phrase_alternation(phrases: Iterable[str]) -> str:
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))



def chinese_kind(unit_text: str, lex: dict) -> tuple[str, str]:
    if unit_text in lex["percent_units"]:
        return "percent", lex["percent_units"][unit_text]
    if unit_text in lex["currency_units"]:
        return "money", lex["currency_units"][unit_text]
    if unit_text in lex["count_units"]:
        return "count", unit_text
    if unit_text in lex["duration_units"]:
        return "duration", unit_text
    if unit_text in lex["ratio_units"]:
        return "ratio", unit_text
    return "quantity", unit_text

