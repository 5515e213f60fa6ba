"""Report text as HTML with every extracted item's span marked, and search snippets with matched words marked.

Spans are ``[start, end)`` offsets in code points into the cleaned text. The text is cut into segments at
every span boundary on the server, each segment one ``<span>`` naming the items that cover it, so
overlapping and nested items need no offset arithmetic in the browser (whose strings count UTF-16 units,
not code points: an astral character such as 𠀀 is one code point and two units). Highlighting an item
is then marking the segments that name it; their text joined is exactly ``text[start:end]``.
Everything from the report is escaped here: a report is untrusted input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from markupsafe import Markup, escape

from ..nlp import CHINESE
from ..records import Analysis

# Plural store kinds -> the singular word used in keys, CSS classes and labels.
KIND_WORDS = {"figures": "figure", "stages": "stage", "practices": "practice", "findings": "finding",
              "recommendations": "recommendation"}
WORD_KINDS = {word: kind for kind, word in KIND_WORDS.items()}
_WORD = re.compile(r"\w+", re.UNICODE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True)
class Mark:
    """One item's span in the text, named by its key (``figure-F3``: figures and findings share ids)."""

    key: str
    kind: str
    start: int
    end: int


def item_key(kind: str, item_id: str) -> str:
    """The key of an item in its report page: the singular kind and the item id (``practice-P2.1``)."""
    return f"{KIND_WORDS.get(kind, kind)}-{item_id}"


def span_key(start: int, end: int) -> str:
    """The key of a span of text that is no item (a sentence a search found): ``span-120-245``."""
    return f"span-{start}-{end}"


def analysis_marks(analysis: Analysis) -> list[Mark]:
    """The marks of every item of a report whose span lies in its text, in reading order."""
    size = len(analysis.report.text)
    marks = []
    for kind, word in KIND_WORDS.items():
        for item in getattr(analysis, kind):
            start, end = item.span
            if 0 <= start < end <= size:
                marks.append(Mark(item_key(kind, item.id), word, start, end))
    marks.sort(key=lambda m: (m.start, -m.end, m.key))
    return marks


def segments(size: int, marks: Sequence[Mark], cuts: Iterable[int] = ()) -> list[tuple[int, int, tuple[Mark, ...]]]:
    """``(start, end, covering marks)`` for consecutive pieces of a text of ``size`` characters, cut at
    every mark boundary (and at ``cuts``); the marks of a piece are outer (earlier, longer) ones first."""
    bounds = sorted({0, size, *(m.start for m in marks), *(m.end for m in marks), *(c for c in cuts if 0 < c < size)})
    starting: dict[int, list[Mark]] = {}
    for mark in sorted(marks, key=lambda m: (m.start, -m.end, m.key)):
        starting.setdefault(mark.start, []).append(mark)
    active: list[Mark] = []
    pieces = []
    for left, right in zip(bounds, bounds[1:]):
        active = [m for m in active if m.end > left] + starting.get(left, [])
        pieces.append((left, right, tuple(active)))
    return pieces


def paragraph_starts(text: str) -> list[int]:
    """Where each paragraph after the first begins (after a blank line)."""
    return [m.end() for m in _BLANK_LINES.finditer(text)]


def marked_text(text: str, marks: Sequence[Mark]) -> Markup:
    """The text as escaped HTML, each marked piece a ``<span class="m k-KIND…" data-items="KEY…">``, each
    paragraph a ``<div class="para">`` (so the browser can skip laying out the paragraphs off screen; the
    text's blank lines stay in it, and its text content is exactly ``text``)."""
    starts = paragraph_starts(text)
    out: list[str] = ['<div class="para">']
    next_start = iter(starts + [len(text) + 1])
    boundary = next(next_start)
    for left, right, covering in segments(len(text), marks, starts):
        if left == boundary:
            out.append('</div><div class="para">')
            boundary = next(next_start)
        piece = str(escape(text[left:right]))
        if not covering:
            out.append(piece)
            continue
        kinds = " ".join(dict.fromkeys(f"k-{m.kind}" for m in covering))
        extra = " multi" if len(covering) > 1 else ""
        keys = " ".join(m.key for m in covering)
        out.append(f'<span class="m {kinds}{extra}" data-items="{escape(keys)}">{piece}</span>')
    out.append("</div>")
    return Markup("".join(out))


def query_matchers(query: str) -> tuple[set[str], list[str]]:
    """What a query's words look like in a text: stems of its English words (stop words kept only when
    the query has nothing else) and its runs of Chinese characters, cut into the bigrams the index uses."""
    from ..embed import light_stem
    from ..search import _stopwords, query_terms

    terms = query_terms(query)
    words = [t for t in terms if not CHINESE.search(t)]
    content = [t for t in words if t not in _stopwords()] or words
    grams: list[str] = []
    for term in terms:
        for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", term):
            grams.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
    return {light_stem(w) for w in content}, list(dict.fromkeys(grams))


def matched_ranges(text: str, stems: Iterable[str], grams: Iterable[str]) -> list[tuple[int, int]]:
    """Ranges of ``text`` that a query matched (its words, by stem; its Chinese bigrams), merged."""
    from ..embed import light_stem

    stems = set(stems)
    ranges = [(m.start(), m.end()) for m in _WORD.finditer(text)
              if stems and light_stem(m.group().lower()) in stems]
    for gram in grams:
        start = text.find(gram)
        while start >= 0:
            ranges.append((start, start + len(gram)))
            start = text.find(gram, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, query: str, width: int = 240, matchers: Optional[tuple[set[str], list[str]]] = None) -> Markup:
    """An escaped excerpt of ``text`` of about ``width`` characters around its first match, with every
    matched word inside ``<mark>``."""
    stems, grams = matchers or query_matchers(query)
    ranges = matched_ranges(text, stems, grams)
    start = 0
    if ranges and len(text) > width:
        start = max(0, min(ranges[0][0] - width // 4, len(text) - width))
    end = min(len(text), start + width)
    out = ["…" if start else ""]
    at = start
    for left, right in ranges:
        if right <= start or left >= end:
            continue
        left, right = max(left, start), min(right, end)
        out.append(str(escape(text[at:left])))
        out.append(f"<mark>{escape(text[left:right])}</mark>")
        at = right
    out.append(str(escape(text[at:end])))
    out.append("…" if end < len(text) else "")
    return Markup("".join(out))
