"""Page furniture: running headers and footers, page numbers, footnotes that cut a sentence at a page
break, and tables of contents. Works on ``Line``s before paragraphs are assembled."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Optional

from .blocks import Line
from .lexicons import TERMINAL_PUNCTUATION
from .nlp import is_cjk


# --------------------------------------------------------------------------------------------------
# Running headers/footers and page numbers

_PAGE_WORD = re.compile(r"(?:page|p\.)\s*(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"(\d{1,4})(?:\s+|(?=[A-Z]))")
_TRAILING_NUMBER = re.compile(r"(?:\s+|(?<=[A-Z]))(\d{1,4})$")
_BARE_PAGE_NUMBER = re.compile(r"(?:[-–—]\s*)?(\d{1,4})(?:\s*[-–—])?|(?:page\s+)?[ivxlc]{1,6}", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def _furniture_key(text: str) -> Optional[tuple[str, int]]:
    """('page # gao-26-107815 hhs refugee ...', 2) for a line that carries a page number, else None."""
    stripped = text.strip()
    if not stripped or len(stripped) > 120:
        return None
    first, last = stripped[0], stripped[-1]
    if not (first.isdigit() or last.isdigit() or first in "Pp"):
        return None  # cheap exit for the vast majority of lines
    # The key leaves the number out, so a header printed as '4 TITLE' on even pages and 'TITLE 5' on
    # odd pages is one header.
    m = _PAGE_WORD.match(stripped)
    if m:
        return "page " + _WHITESPACE.sub(" ", stripped[m.end():]).strip().casefold(), int(m.group(1))
    m = _LEADING_NUMBER.match(stripped)
    if m:
        return _WHITESPACE.sub(" ", stripped[m.end():]).strip().casefold(), int(m.group(1))
    m = _TRAILING_NUMBER.search(stripped)
    if m:
        return _WHITESPACE.sub(" ", stripped[: m.start()]).strip().casefold(), int(m.group(1))
    return None


def find_running_headers(lines: list[Line]) -> set[str]:
    """Keys of lines that repeat with a changing page number on (about) every page or every other page."""
    numbers: dict[str, list[int]] = defaultdict(list)
    for line in lines:
        if line.heading_depth is not None:
            continue
        found = _furniture_key(line.text)
        if found and found[0] not in ("", "page") and any(ch.isalpha() for ch in found[0]):
            numbers[found[0]].append(found[1])
    headers = set()
    for key, values in numbers.items():
        distinct = set(values)
        if len(values) < 3 or len(distinct) < 3:
            continue
        spread = max(distinct) - min(distinct) + 1
        # Page numbers are dense over their range; footnote or table numbers that repeat a text are not.
        if len(distinct) / spread >= 0.4 and len(distinct) >= 0.8 * len(values):
            headers.add(key)
    return headers


def strip_page_furniture(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """Drop running headers/footers and page numbers. Returns the kept lines and the header texts
    (a running header is often the report's short title)."""
    headers = find_running_headers(lines)
    keep = [True] * len(lines)
    header_texts: list[str] = []
    removed_header_at: set[int] = set()
    for i, line in enumerate(lines):
        found = _furniture_key(line.text) if line.heading_depth is None else None
        if found and found[0] in headers:
            keep[i] = False
            removed_header_at.add(i)
            header_texts.append(found[0])
        elif line.heading_depth is None and _PAGE_WORD.fullmatch(line.text.strip() or "x"):
            keep[i] = False

    paged = len({line.page for line in lines}) > 1
    if paged:
        # On real pages, a bare number (or a repeated line) at the top or bottom of a page is furniture.
        by_page: dict[int, list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            if keep[i] and line.text.strip():
                by_page[line.page].append(i)
        edge_counts: Counter[str] = Counter()
        for indices in by_page.values():
            for i in indices[:2] + indices[-2:]:
                edge_counts[_WHITESPACE.sub(" ", lines[i].text.strip().casefold())] += 1
        frequent_edges = {text for text, count in edge_counts.items()
                          if count >= max(3, len(by_page) // 3) and len(text) <= 100}
        for indices in by_page.values():
            for i in set(indices[:2] + indices[-2:]):
                text = lines[i].text.strip()
                if _BARE_PAGE_NUMBER.fullmatch(text) or _WHITESPACE.sub(" ", text.casefold()) in frequent_edges:
                    keep[i] = False
    else:
        # Without page breaks, a bare number is a page number only next to a running header.
        for i in removed_header_at:
            for j in (i - 2, i - 1, i + 1, i + 2):
                if 0 <= j < len(lines) and keep[j] and _BARE_PAGE_NUMBER.fullmatch(lines[j].text.strip() or "x"):
                    if lines[j].text.strip().isdigit():
                        keep[j] = False
    boundaries = sorted(removed_header_at | {i for i in range(1, len(lines)) if lines[i].page != lines[i - 1].page})
    kept_lines = move_footnotes_out_of_sentences(lines, keep, boundaries)
    return kept_lines, header_texts


# a footnote line: its number, then the note
FOOTNOTE_LINE = re.compile(r"(\d{1,3})\s+\S")
_ENDS_SENTENCE_WITH_NOTE = re.compile(r"[.!?…。][\"'”’)]*\s?\d{0,3}$")


def move_footnotes_out_of_sentences(lines: list[Line], keep: list[bool], boundaries: list[int]) -> list[Line]:
    """Footnotes print at the bottom of a page, so in extracted text they cut the sentence that runs on
    to the next page ('... daily life 6 Inmarsat, What on Earth ... in a number of ways'). Move each
    bottom-of-page run of numbered footnotes (consecutive numbers) to after that paragraph's end.
    Only page boundaries (form feeds, removed running headers) are looked at: markdown converted from PDF
    has neither, and its footnote paragraphs are moved by ``paragraphs.rejoin_interrupted_paragraphs``."""
    moves: dict[int, list[int]] = {}  # insert after line index -> footnote line indices
    moved: set[int] = set()
    for boundary in boundaries:
        end = boundary - 1
        while end >= 0 and (not keep[end] or not lines[end].text.strip()):
            end -= 1
        start = None
        expected = None
        pending = 0  # lines above the earliest footnote so far: continuations of an earlier footnote?
        j = end
        while j >= 0 and end - j < 40 and keep[j]:
            m = FOOTNOTE_LINE.match(lines[j].text.strip())
            if m and (expected is None or int(m.group(1)) == expected - 1):
                start, expected, pending = j, int(m.group(1)), 0
            else:
                pending += 1
                if pending > 3:
                    break
            j -= 1
        if start is None or start == 0:
            continue
        before = lines[start - 1].text.strip()
        if not before or _ENDS_SENTENCE_WITH_NOTE.search(before):
            continue  # the paragraph ended with the page: nothing is cut
        # the sentence resumes after the boundary: insert the footnotes after the line that ends it
        k = boundary
        while k < len(lines) and (not keep[k] or k in moved or not lines[k].text.strip() or
                                  not _ENDS_SENTENCE_WITH_NOTE.search(lines[k].text.rstrip())):
            if k - boundary > 60:
                break
            k += 1
        if k >= len(lines) or k - boundary > 60:
            continue
        indices = [i for i in range(start, end + 1) if keep[i]]
        moves.setdefault(k, []).extend(indices)
        moved.update(indices)
    if not moves:
        return [line for line, kept in zip(lines, keep) if kept]
    out: list[Line] = []
    for index, line in enumerate(lines):
        if keep[index] and index not in moved:
            out.append(line)
        if index in moves:
            out.append(Line("", line.page))
            out.extend(lines[i] for i in moves[index])
            out.append(Line("", line.page))
    return out


# --------------------------------------------------------------------------------------------------
# Tables of contents

_DOT_LEADER = re.compile(r"(?:\s*[.·…_]){2,}\s*$")
_TOC_TITLE = re.compile(r"(?:table of )?contents|目\s*录|page", re.IGNORECASE)


def _toc_entry_number(text: str, inside: bool = False) -> Optional[int]:
    """The page number of a table-of-contents entry ('Chapter 2: A strategy for space 20'), else None."""
    stripped = text.strip()
    if len(stripped) > 160 or len(stripped) < 3:
        return None
    parts = stripped.rsplit(None, 1)
    if len(parts) != 2:
        return None
    head, number = parts
    if not number.isdigit() or len(number) > 4:
        # 'Introduction.......7' glues leaders to the number
        m = re.search(r"[.·…_]{2,}\s*(\d{1,4})$", stripped)
        if not m:
            return None
        head, number = stripped[: m.start()], m.group(1)
    head = _DOT_LEADER.sub("", head).strip().strip("*").strip()
    if not head or sum(ch.isalpha() for ch in head) < 3:
        return None
    if head.endswith((",", ";", "$", "%")) or head[-1:].isdigit():
        return None
    first = head[0]
    if not (first.isupper() or first.isdigit() or first in "(*“\"" or is_cjk(first) or (inside and first.islower())):
        return None
    return int(number)


def _is_toc_gap_line(text: str) -> bool:
    stripped = text.strip()
    return not stripped or (len(stripped) <= 100 and not stripped.endswith(TERMINAL_PUNCTUATION))


def strip_table_of_contents(lines: list[Line]) -> list[Line]:
    """Drop runs of table-of-contents entries: at least 3 entries ending in page numbers that mostly
    go up, allowing short continuation lines ('(2022) 14' wraps) between them."""
    keep = [True] * len(lines)
    i = 0
    n = len(lines)
    while i < n:
        if lines[i].heading_depth is not None or _toc_entry_number(lines[i].text) is None:
            i += 1
            continue
        entries = [i]
        numbers = [_toc_entry_number(lines[i].text)]
        j = i + 1
        gap = 0
        blanks = 0
        while j < n:
            number = _toc_entry_number(lines[j].text, inside=True) if lines[j].heading_depth is None else None
            if number is not None:
                entries.append(j)
                numbers.append(number)
                gap = blanks = 0
            elif not lines[j].text.strip() and blanks < 12:
                blanks += 1  # converters scatter blank lines through a table of contents
            elif lines[j].text.strip() and _is_toc_gap_line(lines[j].text) and gap < 3:
                gap += 1
            else:
                break
            j += 1
        rising = sum(b >= a for a, b in zip(numbers, numbers[1:]))
        if len(entries) >= 3 and rising >= 0.7 * (len(numbers) - 1):
            start, end = entries[0], entries[-1]
            # the first entry may have wrapped: its first line sits right above it
            if start > 0 and lines[start - 1].text.strip() and _is_toc_gap_line(lines[start - 1].text) \
                    and lines[start - 1].heading_depth is None:
                start -= 1
            if start > 0 and _TOC_TITLE.fullmatch(lines[start - 1].text.strip().strip("*")):
                start -= 1
            for k in range(start, end + 1):
                keep[k] = False
            i = end + 1
        else:
            i = entries[-1] + 1 if len(entries) > 1 else i + 1
    # stray 'CONTENTS' / 'Page' lines that page breaks left inside or near the table
    return [line for line, kept in zip(lines, keep) if kept]
