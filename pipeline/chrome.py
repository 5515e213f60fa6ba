"""Web-page chrome in text lines: breadcrumbs, share / print / next-previous links, copyright footers and
the 'recommended articles' link lists at the end of saved pages (phrases in ``data/ingest/chrome.json``).
"""
from __future__ import annotations

import re

from .blocks import Line
from .lexicons import TERMINAL_PUNCTUATION, load_json
from .nlp import is_cjk


_COPYRIGHT_LINE = re.compile(r"(?:copyright\s*(?:©|\(c\)|\d{4})|©|all rights reserved|版权所有)", re.IGNORECASE)


def _phrase_key(text: str) -> str:
    return text.strip().strip(" :：|·-–—•>»").strip().casefold()


def is_breadcrumb(text: str) -> bool:
    """'Work report > Investigation report': short segments joined by a breadcrumb separator."""
    stripped = text.strip()
    if not stripped or len(stripped) > 150:
        return False
    chrome = load_json("chrome.json")
    for separator in chrome["breadcrumb_separators"]:
        if separator not in stripped:
            continue
        segments = [segment.strip() for segment in stripped.split(separator)]
        if len(segments) < 2 or any(not segment for segment in segments):
            continue
        if all(_is_breadcrumb_segment(segment) for segment in segments):
            return True
    return False


def _is_breadcrumb_segment(segment: str) -> bool:
    if segment.endswith(TERMINAL_PUNCTUATION) or ":" in segment or "：" in segment:
        return False
    if not any(ch.isalpha() for ch in segment):
        return False
    cjk = sum(is_cjk(ch) for ch in segment)
    return len(segment.split()) <= 6 and (cjk == 0 or cjk <= 20)


def _next_to_table_row(lines: list[Line], index: int) -> bool:
    """'Item | Cost | Year' above 'Piers | 4.2 | 2024' is a table header, not a breadcrumb."""
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < len(lines) and (" | " in lines[neighbour].text or lines[neighbour].is_table_row):
            return True
    return False


def strip_chrome(lines: list[Line]) -> list[Line]:
    """Drop breadcrumbs, share/print/next-previous links, copyright footers and the
    'recommended / popular articles' link lists at the end of saved web pages."""
    chrome = load_json("chrome.json")
    phrases = {p.casefold() for p in chrome["line_phrases"]}
    single_words = {p for p in phrases if " " not in p and len(p) <= 10}
    prefixes = tuple(p.casefold() for p in chrome["line_prefixes"] if p.casefold() != "copyright")
    prefix_max = chrome["line_prefix_max_chars"]
    tail_markers = {p.casefold() for p in chrome["tail_markers"]}

    nonblank = [i for i, line in enumerate(lines) if line.text.strip()]
    if not nonblank:
        return lines
    edge = set(nonblank[:15]) | set(nonblank[-15:])
    top = set(nonblank[:8]) | set(nonblank[-8:])
    # the tail is the last quarter of the page, or its last 30 lines when the page is short
    tail_start = nonblank[max(0, min(int(len(nonblank) * 0.75), len(nonblank) - 30))]

    keep = [True] * len(lines)
    for i in nonblank:
        text = lines[i].text
        key = _phrase_key(text)
        if len(key) <= 40 and key in phrases and (key not in single_words or i in edge):
            keep[i] = False
        elif len(text) <= prefix_max and (key.startswith(prefixes) or _COPYRIGHT_LINE.match(key)):
            keep[i] = False
        elif i in top and lines[i].heading_depth is None and is_breadcrumb(text) and not _next_to_table_row(lines, i):
            keep[i] = False

    # A tail marker ends the article: it and the short link lines after it go.
    for i in nonblank:
        if i >= tail_start and _phrase_key(lines[i].text) in tail_markers:
            for j in range(i, len(lines)):
                if len(lines[j].text) > 200:
                    break
                keep[j] = False
            break
    return [line for line, kept in zip(lines, keep) if kept]
