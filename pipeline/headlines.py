"""Headlines of enumeration items: an item's first sentence or clause (marker removed) and the detail after it.

Pure functions over text and the spans of an ``EnumItem`` (duck-typed: ``content_start``, ``end``,
``implicit`` and ``marker.head``), so that ``pipeline.enumerations`` can re-export them without a cycle.
"""
from __future__ import annotations

import re

Span = tuple[int, int]

_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\bNo)(?<!\bU\.S)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?。！？]+[\"”’)）]*(?=\s|$)|[。！？]")


def first_sentence_end(text: str, start: int, end: int) -> int:
    m = _SENTENCE_END.search(text, start, end)
    return m.end() if m else end


def split_headline(text: str, item, language: str = "en") -> tuple[Span, Span]:
    """(headline, detail) spans of an item: a bold run-in heading, else its first sentence, cut at a
    semicolon or colon so that "clarify the requirements: 'The team is ...'" keeps only the statement."""
    cs, ce = item.content_start, item.end
    head = item.marker.head
    if head and not item.implicit:
        hs, he = head
        while he > hs and text[he - 1] in ".:：。 ":
            he -= 1
        return (hs, he), _trim(text, item.marker.end, ce)
    se = _unpunctuated_line_end(text, cs, first_sentence_end(text, cs, ce), language)
    hs, he = _trim(text, cs, se)
    cut = re.search(r"[;；:：]", text[hs:he])
    if cut and len(text[hs:hs + cut.start()].split()) >= 3 or (cut and re.search(r"[\u4e00-\u9fff]", text[hs:he])
                                                               and cut.start() >= 4):
        he = hs + cut.start()
    while he > hs and text[he - 1] in ".。;；:：,，、 \n\t":
        he -= 1
    return (hs, he), _trim(text, se, ce)


# A headline line left without final punctuation ("1. Clean the wells", "三是推广良种") ends at its line break
# when a new sentence starts after it; hard-wrapped PDF prose breaks long lines mid-sentence, and the next
# line then goes on in lower case, so a single break counts only after a short line.
_SHORT_LINE_WORDS = 8


def _unpunctuated_line_end(text: str, start: int, end: int, language: str) -> int:
    for m in re.finditer(r"[ \t]*\n(?P<blank>[ \t]*\n)?\s*", text[start:end]):
        line = text[start:start + m.start()].strip()
        after = text[start + m.end():start + m.end() + 1]
        if not line or not after or re.search(r"[.!?。！？;；:：,，、]$", line):
            continue
        if language.startswith("zh"):
            if re.match(r"[\u4e00-\u9fff“\"（(]", after):
                return start + m.start()
        elif after.isupper() and (m.group("blank") or len(line.split()) <= _SHORT_LINE_WORDS):
            return start + m.start()
    return end


def _trim(text: str, s: int, e: int) -> Span:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
