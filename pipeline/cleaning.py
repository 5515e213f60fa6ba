"""Text cleaning for ingestion: characters, site chrome, page furniture, tables of contents, paragraphs.

This module owns the rules that turn decoded text into clean paragraphs; ``pipeline.ingest`` owns
reading files and recovering the report's structure. The unit everything works on is a ``Block``: one
paragraph, list item, table row or heading, in reading order. Every rule here is linear in the size of
the text (no regex that can backtrack over a whole line more than once), so a 50 MB file stays cheap.

Lexicons (chrome phrases, sentence starters) live as data in ``pipeline/data/ingest/``.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

DATA_DIR = Path(__file__).parent / "data" / "ingest"


# --------------------------------------------------------------------------------------------------
# Blocks


@dataclass
class Block:
    """One paragraph-level unit of the cleaned text.

    ``heading_depth`` is None for body text; otherwise a depth (1 = top) that ``ingest`` turns into a
    section level. ``gap_before`` asks for a blank line before the block in the output.
    """

    text: str
    heading_depth: Optional[int] = None
    gap_before: bool = True
    is_table_row: bool = False
    is_list_item: bool = False
    heading_source: str = ""  # "markdown", "bold", "chapter", "roman", "runin", ... (for tests and debugging)
    before_break: bool = False  # a thematic break (markdown '---') follows: open sections end there


@dataclass
class Line:
    """A physical line before paragraphs are assembled."""

    text: str
    page: int = 0
    heading_depth: Optional[int] = None
    heading_source: str = ""
    is_table_row: bool = False
    is_break: bool = False
    was_bold: bool = False


# --------------------------------------------------------------------------------------------------
# Data files


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


# --------------------------------------------------------------------------------------------------
# Characters


def _build_char_map() -> dict[int, Optional[str]]:
    table: dict[int, Optional[str]] = {}
    for code in list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA0)):
        if code not in (0x09, 0x0A, 0x0C):  # keep tab, newline and form feed (form feed = PDF page break)
            table[code] = None
    for code in (0x00A0, 0x2007, 0x202F, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2008,
                 0x2009, 0x200A, 0x205F):
        table[code] = " "
    for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0xFFFE, 0xFFFF):
        table[code] = None  # zero-width characters and soft hyphens only break words apart
    for code in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = None  # bidirectional controls: invisible, and they split words for search and matching
    table[0x2028] = "\n"
    table[0x2029] = "\n"
    return table


_CHAR_MAP = _build_char_map()

_FTFY_CONFIG = None


def _ftfy_config():
    global _FTFY_CONFIG
    if _FTFY_CONFIG is None:
        import ftfy

        # Keep curly quotes and full-width CJK punctuation: they are content, not damage.
        _FTFY_CONFIG = ftfy.TextFixerConfig(
            uncurl_quotes=False, fix_character_width=False, unescape_html=False, normalization="NFC",
            explain=False,
        )
    return _FTFY_CONFIG


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 (and similar) damage with ftfy, only on the lines that show it.

    ``ftfy.badness.is_bad`` is one regex pass, so clean text (the common case) costs almost nothing.
    """
    import ftfy
    from ftfy.badness import is_bad

    # UTF-8 read as a single-byte code page always shows a lead byte as one of 'Â'..'ô'; only lines
    # holding one can be damaged, and a character-class search is much faster than ftfy's badness regex.
    if not _MOJIBAKE_LEAD.search(text):
        return text
    config = _ftfy_config()
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _MOJIBAKE_LEAD.search(line) and is_bad(line):
            lines[index] = ftfy.fix_text(line, config)
    return "\n".join(lines)


_MOJIBAKE_LEAD = re.compile("[\u00c2-\u00f4]")


def normalize_characters(raw: str) -> str:
    """Line endings to \\n, mojibake repaired, NFC, control and zero-width characters dropped.

    Form feeds survive: they mark PDF page breaks for the page-furniture rules.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = repair_mojibake(text)
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_CHAR_MAP)
    return text.replace("\t", " ")


# --------------------------------------------------------------------------------------------------
# Markdown-ish markup (markdown files, and HTML / DOCX after conversion)

_MD_HEADING_START = re.compile(r" {0,3}(#{1,6})[ \t]+")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)")
_MD_BOLD = re.compile(r"\*\*([^*\n]*)\*\*")
_MD_UNDERSCORE_EMPHASIS = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_MD_STAR_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_MD_RULE = re.compile(r" {0,3}([-*_])( ?\1){2,} *")
_MD_TABLE_SEPARATOR = re.compile(r"\|? *:?-{2,}:? *(\| *:?-{2,}:? *)*\|? *")
_FIGURE_PLACEHOLDER = re.compile(r"\*?\[(?:figure|table|image|graphic|chart)\b[^\]\n]*see original[^\]\n]*\]\*?",
                                 re.IGNORECASE)
_ESCAPED_MD = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")


def strip_inline_markdown(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_BOLD.sub(r"\1", text)
    text = _MD_UNDERSCORE_EMPHASIS.sub(r"\1", text)
    text = _MD_STAR_EMPHASIS.sub(r"\1", text)
    text = _ESCAPED_MD.sub(r"\1", text)
    return text.replace("**", "")


def markdown_lines(text: str, page: int = 0) -> list[Line]:
    """Markdown source to lines: headings flagged (depth = number of #), bold-only lines flagged as
    weak headings (depth 7, below every # level), inline markup removed, rules and figure placeholders
    dropped (the placeholders only say 'see original PDF')."""
    out: list[Line] = []
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped:
            out.append(Line("", page))
            continue
        if _MD_RULE.fullmatch(stripped):
            out.append(Line("", page, is_break=True))
            continue
        if _FIGURE_PLACEHOLDER.fullmatch(stripped):
            out.append(Line("", page))
            continue
        heading = _MD_HEADING_START.match(raw)
        if heading:
            body = raw[heading.end():].strip().rstrip("#").strip()
            body = collapse_repeated_words(strip_inline_markdown(body).strip())
            if body:
                out.append(Line(body, page, heading_depth=len(heading.group(1)), heading_source="markdown"))
            continue
        if stripped.startswith("|") and stripped.endswith("|"):
            if _MD_TABLE_SEPARATOR.fullmatch(stripped):
                continue
            cells = [strip_inline_markdown(cell).strip() for cell in stripped.strip("|").split("|")]
            out.append(Line(" | ".join(cells), page, is_table_row=True))
            continue
        if stripped.startswith("**") and stripped.endswith("**") and len(stripped) > 4 and "**" not in stripped[2:-2]:
            inner = strip_inline_markdown(stripped[2:-2]).strip()
            previous_bold = bool(out) and out[-1].text and out[-1].was_bold
            if _looks_like_bold_heading(inner) and not previous_bold:  # not the 2nd line of a bold caption
                out.append(Line(inner, page, heading_depth=7, heading_source="bold", was_bold=True))
                continue
            out.append(Line(inner, page, was_bold=True))
            continue
        out.append(Line(strip_inline_markdown(raw.rstrip()), page))
    _drop_bold_heading_echoes(out)
    _demote_weak_bold_headings(out)
    return out


_REPEATED_WORD = re.compile(r"\b(\w+(?: \w+){0,3})(?: \1\b)+")


def collapse_repeated_words(text: str) -> str:
    """'... and Methodology Methodology' -> '... and Methodology', 'Revenue Service Revenue Service' ->
    'Revenue Service', 'Appendix II: Data Appendix II: Data' -> 'Appendix II: Data' (PDF conversions
    echo a heading or its last words). Only used on short headings."""
    words = text.split()
    half = len(words) // 2
    if len(words) % 2 == 0 and half and words[:half] == words[half:]:
        return " ".join(words[:half])
    return _REPEATED_WORD.sub(r"\1", text)


def _demote_weak_bold_headings(lines: list[Line]) -> None:
    """Bold-only lines in PDF conversions are often table cells, addresses or running headers. Keep one
    as a heading only when it is unique in the document and a paragraph follows it."""
    counts = Counter(line.text.casefold() for line in lines if line.was_bold)
    for index, line in enumerate(lines):
        if line.heading_source != "bold":
            continue
        following = next((other for other in lines[index + 1:index + 4] if other.text.strip()), None)
        repeated = counts[line.text.casefold()] > 1
        weak = (repeated or following is None or following.heading_depth is not None
                or len(following.text.strip()) < 60 or any(ch.isdigit() for ch in line.text)
                or not line.text[:1].isupper()
                or line.text.rsplit(None, 1)[-1].lower() in _CONTINUATION_WORDS)
        if weak:
            line.heading_depth = None
            line.heading_source = ""
    seen: set[str] = set()
    for line in lines:
        key = line.text.casefold()
        if line.was_bold and counts[key] >= 2 and line.heading_source != "markdown":
            if key in seen:  # a bold line repeated on later pages is a running header; the first one stays
                line.text = ""
                line.heading_depth = None
            seen.add(key)


_CAPTION = re.compile(r"(?:figure|fig\.|table|box|chart|source|sources|note|notes|exhibit|appendix table)\b",
                      re.IGNORECASE)


def _looks_like_bold_heading(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or len(text) > 120 or len(text.split()) > 14:
        return False
    if text.endswith((":", ",", ";")) or _CAPTION.match(text):
        return False
    return True


def _drop_bold_heading_echoes(lines: list[Line]) -> None:
    """PDF converters often emit a bold fragment of a heading right before the real heading
    ('**Appendix I: Objectives, Scope, and**' then '## Appendix I: ...'); keep only the heading."""
    previous: Optional[Line] = None
    for line in lines:
        if not line.text:
            continue
        if (previous is not None and previous.heading_source == "bold" and line.heading_source == "markdown"
                and line.text.lower().startswith(previous.text.lower()[: max(8, len(previous.text) - 2)])):
            previous.text = ""
            previous.heading_depth = None
            previous.heading_source = ""
        previous = line


def plain_lines(text: str) -> list[Line]:
    """Plain text to lines; a form feed starts a new page."""
    out: list[Line] = []
    for page_number, page in enumerate(text.split("\f")):
        for raw in page.split("\n"):
            out.append(Line(raw.rstrip(), page_number))
    return out


# --------------------------------------------------------------------------------------------------
# Site chrome

_TERMINAL = tuple(".!?。！？…")
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
    if segment.endswith(_TERMINAL) or ":" in segment or "：" in segment:
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


# --------------------------------------------------------------------------------------------------
# Page furniture: running headers/footers and page numbers

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


_FOOTNOTE_LINE = re.compile(r"(\d{1,3})\s+\S")
_ENDS_SENTENCE_WITH_NOTE = re.compile(r"[.!?…。][\"'”’)]*\s?\d{0,3}$")


def move_footnotes_out_of_sentences(lines: list[Line], keep: list[bool], boundaries: list[int]) -> list[Line]:
    """Footnotes print at the bottom of a page, so in extracted text they cut the sentence that runs on
    to the next page ('... daily life 6 Inmarsat, What on Earth ... in a number of ways'). Move each
    bottom-of-page run of numbered footnotes (consecutive numbers) to after that paragraph's end."""
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
            m = _FOOTNOTE_LINE.match(lines[j].text.strip())
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
    return not stripped or (len(stripped) <= 100 and not stripped.endswith(_TERMINAL))


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


# --------------------------------------------------------------------------------------------------
# Paragraph assembly: hard line breaks, hyphenation

_LIST_MARKER = re.compile(
    r"\s*(?:[•●▪■◦‣∙·○□➢►✓]\s*|[-–*+]\s+|\(?\d{1,3}[.)]\s+|\(?[a-zA-Z][.)]\s+(?=\S)|\([ivx]{1,5}\)\s+"
    r"|[一二三四五六七八九十百]+、|（[一二三四五六七八九十百]+）|\(\s*[一二三四五六七八九十]+\s*\)|\d{1,2}[、．]"
    r"|第[一二三四五六七八九十百\d]+[章节部分条]"
    r")"
)
_FOOTNOTE_START = re.compile(r"\d{1,3}\s+[A-Z“\"]")
_CONTINUATION_WORDS = frozenset(
    "a an the and or nor but of to in on at by for with from into onto as than that which who whose whom "
    "its their our his her this these those is are was were be been being has have had not such per via "
    "including between within without under over about against among during through toward towards".split()
)
_TABLE_COLUMNS = re.compile(r"\S(?: {3,}|\t)\S")


CJK_CHARACTER = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002a6df]")


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0xF900 <= code <= 0xFAFF or 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF)


def _is_cjk_boundary(left: str, right: str) -> bool:
    return bool(left) and bool(right) and (is_cjk(left[-1]) or left[-1] in "，。；：、！？”）") and (
        is_cjk(right[0]) or right[0] in "“（《")


def _local_widths(lengths: list[int], radius: int = 5) -> list[int]:
    """Max line length within ±radius lines: the wrap width of the column a line sits in."""
    n = len(lengths)
    widths = [0] * n
    window: deque[int] = deque()  # indices with decreasing lengths
    right = 0
    for i in range(n):
        while right < n and right <= i + radius:
            while window and lengths[window[-1]] <= lengths[right]:
                window.pop()
            window.append(right)
            right += 1
        while window[0] < i - radius:
            window.popleft()
        widths[i] = lengths[window[0]]
    return widths


_SENTENCE_END_AT_LINE_END = re.compile(r"[.!?…。！？：:][\"'”’)\]）】」』*]*(?:\d{1,3})?$")


def _ends_sentence(text: str) -> bool:
    """Does the line end a sentence? A footnote mark glued after the full stop ('satellites.5') counts."""
    return bool(_SENTENCE_END_AT_LINE_END.search(text[-12:].rstrip()))


def should_join(previous: str, current: str, width: int) -> bool:
    """Is ``current`` the continuation of the wrapped line ``previous``?"""
    prev = previous.rstrip()
    cur = current.lstrip()
    if not prev or not cur:
        return False
    if _LIST_MARKER.match(cur):
        return False
    if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and cur[0].isalpha():
        return True
    if cur[0].islower() or cur[0] in ",;)]）":
        return True
    if len(cur) > 3 and _mostly_upper(prev) != _mostly_upper(cur):
        return False  # an upper-case heading line is not continued by a normal sentence (or vice versa)
    last_word = prev.rsplit(None, 1)[-1]
    if prev.endswith((",", "—", "–", "(", "/", "&")) or last_word.lower() in _CONTINUATION_WORDS:
        return True
    if _FOOTNOTE_START.match(cur) and (_ends_sentence(prev) or len(prev) < 0.6 * width):
        return False
    if _ends_sentence(prev):
        if len(cur) < 0.6 * width and cur[0].isupper() and not _ends_sentence(cur):
            return False  # a short unpunctuated line after a sentence is a heading, not the paragraph's end
        # a full line that happens to end a sentence is still inside its paragraph
        return len(prev) >= 0.85 * width and not _is_cjk_text_end(prev)
    return len(prev) >= 0.6 * width


_ASCII_UPPER = re.compile(r"[A-Z]")
_ASCII_LOWER = re.compile(r"[a-z]")
_ASCII_LOWER_RUN = re.compile(r"[a-z]{4}.*[a-z]{4}")


def _mostly_upper(text: str, share: float = 0.85, limit: int = 200) -> bool:
    head = text[:limit]
    if _ASCII_LOWER_RUN.search(head[:60]) and share >= 0.7:
        return False  # a lower-case word near the start: ordinary text (the common case, decided cheaply)
    upper = len(_ASCII_UPPER.findall(head))
    lower = len(_ASCII_LOWER.findall(head))
    return upper + lower >= 4 and upper >= share * (upper + lower)


def _is_cjk_text_end(text: str) -> bool:
    return text.endswith(("。", "！", "？", "：", "；"))


_WORD_AT_END = re.compile(r"([A-Za-z]+)-$")
_WORD_AT_START = re.compile(r"[A-Za-z]+")


def wrap_separator(previous: str, current: str, vocabulary: "Vocabulary") -> tuple[str, str]:
    """How to glue a wrapped line to the line before it: (previous line, possibly without its
    end-of-line hyphen; separator)."""
    prev = previous.rstrip()
    cur = current.strip()
    m = _WORD_AT_END.search(prev[-64:])
    if m and cur[:1].isalpha():
        first = _WORD_AT_START.match(cur)
        left, right = m.group(1), first.group(0) if first else ""
        if right and right[0].islower() and vocabulary.should_dehyphenate(left, right):
            return prev[:-1], ""
        return prev, ""  # keep the hyphen of a real compound: 'co-\nchaired' -> 'co-chaired'
    if prev.endswith(("—", "/")) or _is_cjk_boundary(prev, cur):
        return prev, ""
    return prev, " "


def join_wrapped(previous: str, current: str, vocabulary: "Vocabulary") -> str:
    prev, separator = wrap_separator(previous, current, vocabulary)
    return prev + separator + current.strip()


def assemble_blocks(lines: list[Line], vocabulary: "Vocabulary") -> list[Block]:
    """Join the physical lines of each paragraph; keep blank lines between paragraphs and keep list
    items, headings and table rows on their own lines."""
    lengths = [len(line.text.strip()) for line in lines]
    widths = _local_widths(lengths) if lines else []
    blocks: list[Block] = []
    current: Optional[Block] = None
    current_parts: list[str] = []
    last_line = ""
    last_indent = 0
    blank_seen = True
    after_break = False
    for index, line in enumerate(lines):
        text = line.text.strip()
        if line.is_break:
            after_break = True
        if not text:
            _finish_block(current, current_parts)
            current = None
            blank_seen = True
            continue
        if after_break:
            if blocks:
                blocks[-1].before_break = True
            after_break = False
        if line.heading_depth is not None or line.is_table_row or _looks_like_table_row(line.text):
            _finish_block(current, current_parts)
            blocks.append(Block(text, heading_depth=line.heading_depth, gap_before=blank_seen or
                                line.heading_depth is not None, is_table_row=line.heading_depth is None,
                                heading_source=line.heading_source))
            current = None
            blank_seen = line.heading_depth is not None
            continue
        indented = len(line.text) - len(line.text.lstrip())
        # PDF extraction indents headings (' The value of space') but not wrapped body lines
        starts_indented_block = indented > last_indent and text[:1].isupper() and len(text) < 0.7 * widths[index]
        if current is not None and not current.is_table_row and not starts_indented_block and \
                not _is_next_footnote(current_parts[0], text) and should_join(last_line, text, widths[index]):
            # parts are joined once at the end: re-concatenating a long paragraph per line is quadratic
            current_parts[-1], separator = wrap_separator(current_parts[-1], text, vocabulary)
            current_parts.append(separator)
            current_parts.append(text)
        else:
            _finish_block(current, current_parts)
            current = Block(text, gap_before=blank_seen or (blocks and blocks[-1].heading_depth is not None),
                            is_list_item=bool(_LIST_MARKER.match(text)))
            current_parts = [text]
            blocks.append(current)
        last_line = text
        last_indent = indented
        blank_seen = False
    _finish_block(current, current_parts)
    return blocks


def _is_next_footnote(block_start: str, line: str) -> bool:
    """'7 Written evidence ...' right after footnote '6 Inmarsat ...' starts a new note."""
    first = _FOOTNOTE_LINE.match(block_start)
    if not first or not line[:1].isdigit():
        return False
    following = _FOOTNOTE_LINE.match(line)
    return bool(following) and int(following.group(1)) == int(first.group(1)) + 1


def _finish_block(block: Optional[Block], parts: list[str]) -> None:
    if block is not None and len(parts) > 1:
        block.text = "".join(parts)


def _looks_like_table_row(text: str) -> bool:
    stripped = text.strip()
    if " | " in stripped and stripped.count(" | ") >= 2:
        return True
    return "   " in stripped and len(_TABLE_COLUMNS.findall(stripped)) >= 2


# --------------------------------------------------------------------------------------------------
# Words: vocabulary, split words, small-caps artefacts

_ALPHA_WORD = re.compile(r"[A-Za-z]+")


class Vocabulary:
    """English word knowledge for re-joining words: wordfreq frequencies plus the document's own words."""

    #: parts that are common as words but are also the usual leftovers of a split ('propos ed', 'Th e')
    FRAGMENTS = frozenset("ed ing ly th al er es ment tion tions ness ity ive ous ful ble ence ance st nd rd".split())

    def __init__(self, document_words: Counter[str] | None = None):
        self.document_words = document_words or Counter()
        self._zipf_cache: dict[str, float] = {}
        self.standalone_cache: dict[str, bool] = {}

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        return cls(Counter(_ALPHA_WORD.findall(text.lower())))

    def zipf(self, word: str) -> float:
        key = word.lower()
        value = self._zipf_cache.get(key)
        if value is None:
            value = _zipf_frequency(key)
            self._zipf_cache[key] = value
        return value

    def is_known(self, word: str) -> bool:
        return self.zipf(word) >= 2.5 or self.document_words.get(word.lower(), 0) >= 2

    def is_standalone(self, word: str) -> bool:
        """Would this token normally stand on its own in running text?"""
        cached = self.standalone_cache.get(word)
        if cached is None:
            cached = self.standalone_cache[word] = self._is_standalone(word)
        return cached

    def _is_standalone(self, word: str) -> bool:
        lower = word.lower()
        if len(lower) == 1:
            return lower in ("a", "i")
        if lower in self.FRAGMENTS:
            return False
        return self.zipf(lower) >= 3.0

    def should_dehyphenate(self, left: str, right: str) -> bool:
        """Was 'left-' + newline + 'right' one word broken at the line end ('imple-', 'mentation')
        rather than a compound ('co-', 'chaired')?"""
        joined = (left + right).lower()
        if self.document_words.get(joined, 0) >= 1 and self.zipf(joined) >= 1.0:
            return True
        if self.is_standalone(left) and self.is_standalone(right) and self.zipf(joined) < 3.0:
            return False  # 'co-\nchaired' is 'co-chaired'; 'Foundation-\nfunded' keeps its hyphen
        return self.zipf(joined) >= 2.5 or (self.zipf(joined) > 0 and not self.is_standalone(right))

    def should_join_split(self, left: str, right: str) -> bool:
        if len(left) + len(right) < 3 or (len(left) == 1 and len(right) == 1):
            return False
        if self.is_standalone(left) and self.is_standalone(right):
            return False
        joined = left + right
        # with one real word among the parts ('Q in'), only a common joined word is convincing ('T he')
        threshold = 3.5 if (self.is_standalone(left) or self.is_standalone(right)) else 3.0
        return self.zipf(joined) >= threshold or self.document_words.get(joined.lower(), 0) >= 2


@lru_cache(maxsize=1)
def _wordfreq():
    try:
        import wordfreq
    except ImportError:  # pragma: no cover - the document's own vocabulary still works
        return None
    return wordfreq


def _zipf_frequency(word: str) -> float:
    module = _wordfreq()
    if module is None:
        return 0.0
    return module.zipf_frequency(word, "en")


# 'propos ed', 'Seve ral', 'T he', 'C ONCLUSIONS': the right part has the left part's case pattern.
_SPLIT_PAIR = re.compile(r"\b([A-Za-z]+) (?=([A-Za-z]+)\b)")
_NEXT_WORD = re.compile(r" ([A-Za-z]+)\b")
_APOSTROPHE_SPLIT = re.compile(r"(?<=[A-Za-z])([’'])\s+(?=(?:s|t|re|ve|ll|d|m)\b)")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=[\w)”’\"]) +(?=[,;](?:\s|$))")
_PAREN_SPACE = re.compile(r"\( +(?=\S)|(?<=\S) +\)")


def repair_split_words(text: str, vocabulary: Vocabulary) -> str:
    """Re-join words that PDF extraction broke with a stray space, when the joined form is a known word
    and the parts are not both ordinary words ('propos ed' -> 'proposed', but 'in to' stays)."""
    text = _APOSTROPHE_SPLIT.sub(r"\1", text)
    # [before, word, separator, word, separator, ..., word, after]: one C-level split, then a cheap loop
    parts = _ALPHA_SPLIT.split(text)
    words = parts[1::2]
    separators = parts[2::2]
    standalone = vocabulary.standalone_cache
    changed = False
    index = 0
    count = len(words)
    while index < count - 1:
        if separators[index] != " ":
            index += 1
            continue
        left, right = words[index], words[index + 1]
        left_ok = standalone.get(left)
        if left_ok is None:
            left_ok = vocabulary.is_standalone(left)
        right_ok = standalone.get(right)
        if right_ok is None:
            right_ok = vocabulary.is_standalone(right)
        # two ordinary words (by far the most common pair) never join
        if left_ok and right_ok or not _compatible_case(left, right) or \
                not vocabulary.should_join_split(left, right):
            index += 1
            continue
        if index + 2 < count and separators[index + 1] == " ":
            follow = words[index + 2]
            if _compatible_case(right, follow) and vocabulary.should_join_split(right, follow) and \
                    vocabulary.zipf(right + follow) > vocabulary.zipf(left + right):
                index += 1
                continue  # 'OF C ONCLUSIONS': the better join is 'C ONCLUSIONS'
        separators[index] = ""
        changed = True
        index += 2
    if not changed:
        return text
    out = [parts[0]]
    for word, separator in zip(words, separators):
        out.append(word)
        out.append(separator)
    if len(words) > len(separators):
        out.append(words[-1])
    return "".join(out)


_ALPHA_SPLIT = re.compile(r"([A-Za-z]+)")


def _compatible_case(left: str, right: str) -> bool:
    if right.islower():
        return True
    return right.isupper() and left.isupper()


_SMALL_CAPS_WORD = re.compile(r"\b[A-Z]+[a-z][A-Z]+\b|\b[A-Z][a-z][A-Z]\b")


def repair_small_caps(text: str) -> str:
    """'ChAPTER 1: GROWING ThE UK’S' -> upper case: small-caps fonts come out of PDFs with stray lowercase
    letters. Only in mostly upper-case blocks, so 'PhD' in a sentence is left alone."""
    if not _mostly_upper(text, share=0.7, limit=400):
        return text
    return _SMALL_CAPS_WORD.sub(lambda m: m.group(0).upper(), text)


_MULTI_SPACE = re.compile(r"[ \u3000]{2,}")


def tidy_block_text(text: str, vocabulary: Vocabulary, repair_words: bool) -> str:
    text = _MULTI_SPACE.sub(" ", text).strip()
    text = repair_small_caps(text)
    if repair_words:
        text = repair_split_words(text, vocabulary)
        text = _SPACE_BEFORE_PUNCT.sub("", text)
        text = _PAREN_SPACE.sub(lambda m: m.group(0).replace(" ", ""), text)
    return text
