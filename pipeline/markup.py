"""Decoded text to physical ``Line``s: markdown markup (headings, bold-only lines, tables, rules, inline
emphasis and links, figure placeholders) for markdown files and converted HTML / DOCX, page breaks for
plain text and PDF."""
from __future__ import annotations

import re
from collections import Counter
from typing import Optional

from .blocks import Line
from .lexicons import CONTINUATION_WORDS


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
                or line.text.rsplit(None, 1)[-1].lower() in CONTINUATION_WORDS)
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
