"""Tables whose header states the scale of their amounts ("(dollars in thousands)"): a money cell read as
"$760,649" is $760,649,000. Only where the layout makes the table clear (a block of rows split by ``|``, with the
header in its rows or in the caption lines right above it), and only for amounts with a currency and no scale
of their own. The header phrases are data (``table_scales`` in ``lexicon_en.json``)."""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from ..records import Figure
from .numerals import to_float
from .units import lexicon, phrase_alternation

# two or more lines in a row with cells split by "|" (markdown rows, or rows whose outer pipes were dropped)
_TABLE_BLOCK = re.compile(r"(?m)(?:^[^\n|]*\|[^\n]*(?:\n|$)){2,}")
_CAPTION_LINES = 3


@lru_cache(maxsize=1)
def _header() -> re.Pattern:
    return re.compile(rf"(?<!\w)(?:{phrase_alternation(lexicon('en')['table_scales'])})(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _own_scale() -> re.Pattern:
    lex = lexicon("en")
    words = phrase_alternation(list(lex["scales"]) + list(lex["scale_suffixes"]))
    return re.compile(rf"\d\s*-?(?:{words})\b", re.IGNORECASE)


def table_scales(text: str) -> list[tuple[int, int, float]]:
    """``(start, end, factor)`` of each table of ``text`` whose header or caption states a scale."""
    out = []
    scales = {k.lower(): v for k, v in lexicon("en")["table_scales"].items()}
    for block in _TABLE_BLOCK.finditer(text):
        caption_start = block.start()
        for _ in range(_CAPTION_LINES):
            previous = text.rfind("\n", 0, max(0, caption_start - 1))
            caption_start = previous + 1 if previous >= 0 else 0
            if caption_start == 0:
                break
        m = _header().search(text, caption_start, block.end())
        if m:
            out.append((block.start(), block.end(), float(scales[re.sub(r"\s+", " ", m.group(0).lower())])))
    return out


def scale_table_cells(text: str, figures: list[Figure]) -> list[Figure]:
    """The money figures inside a scaled table, multiplied by the table's scale."""
    tables = table_scales(text)
    if not tables:
        return figures
    out = []
    for figure in figures:
        factor = next((f for s, e, f in tables if s <= figure.span[0] < e), None)
        if factor is None or figure.kind != "money" or _own_scale().search(figure.text):
            out.append(figure)
            continue
        update = {"value": to_float_scaled(figure.value, factor)}
        for bound in ("low", "high"):
            if getattr(figure, bound) is not None:
                update[bound] = to_float_scaled(getattr(figure, bound), factor)
        out.append(figure.model_copy(update=update))
    return out


def to_float_scaled(value: float, factor: float) -> float:
    return to_float(Decimal(str(value)) * Decimal(str(factor)))
