"""Sections and titles: the section kind a heading names (``data/ingest/section_kinds.json``), the
sections opened by the heading blocks, the report's title and its report type."""
from __future__ import annotations

import re
from typing import Optional

from .blocks import Block, CleanedDocument
from .lexicons import load_json
from .nlp import CJK_CHARACTER, is_cjk
from .records import Section


_KIND_PATTERNS: Optional[list[tuple[str, re.Pattern]]] = None


def _kind_lexicon() -> list[tuple[str, re.Pattern]]:
    global _KIND_PATTERNS
    if _KIND_PATTERNS is None:
        data = load_json("section_kinds.json")
        patterns = []
        for kind in data["order"]:
            english = [k for k in data["keywords"][kind] if not any(is_cjk(ch) for ch in k)]
            chinese = [k for k in data["keywords"][kind] if any(is_cjk(ch) for ch in k)]
            alternatives = [r"\b" + re.escape(k) + r"\b" for k in sorted(english, key=len, reverse=True)]
            alternatives += [re.escape(k) for k in sorted(chinese, key=len, reverse=True)]
            patterns.append((kind, re.compile("|".join(alternatives), re.IGNORECASE)))
        _KIND_PATTERNS = patterns
    return _KIND_PATTERNS


_LONG_HEADING_WORDS = 8
_HEADING_NUMBER = re.compile(r"^\s*(?:(?:chapter|part|section|appendix)\s+[\w.]+\s*[:.–—-]?|[IVXLC]+\.|\d+(?:\.\d+)*\.?)\s*",
                             re.IGNORECASE)


def section_kind(heading: str) -> Optional[str]:
    """The kind a heading names, from the keyword lexicon; None when no keyword matches.

    A long, sentence-like English heading ("Implementing GAO's Recommendations Can Help DOD Address ...")
    names a findings or recommendations part only when it starts with the keyword: otherwise it is a
    chapter about them, not the list of them.
    """
    for kind, pattern in _kind_lexicon():
        match = pattern.search(heading)
        if not match:
            continue
        if kind in ("findings", "recommendations") and long_sentence_heading(heading, match.start()):
            continue
        return kind
    return None


def long_sentence_heading(heading: str, keyword_at: Optional[int] = None) -> bool:
    """A long English heading that reads as a sentence, with its kind keyword (at ``keyword_at``, or
    anywhere when not given) past its start: such a heading is a chapter about findings or
    recommendations, not the list of them."""
    if len(heading.split()) <= _LONG_HEADING_WORDS or CJK_CHARACTER.search(heading):
        return False
    lead = _HEADING_NUMBER.match(heading)
    start = lead.end() if lead else 0
    if keyword_at is not None:
        return keyword_at > start
    return not re.match(r"(?:summary of |what gao )?(?:conclusions?|recommendations?|findings?|suggestions?|lessons?)\b",
                        heading[start:], re.IGNORECASE)


def _heading_text(block: Block) -> tuple[str, int]:
    """(heading shown in Section.heading, length of the heading within the block). Chinese numbered
    paragraphs run their heading into the first sentence: '（一）坚持...创新。邓小平理论...'."""
    text = block.text
    if block.heading_source == "cjk" and len(text) > 40:
        for mark in ("。", "：", "；"):
            cut = text.find(mark)
            if 0 < cut <= 80:
                return text[:cut], cut + 1
    return text, len(text)


def build_sections(doc: CleanedDocument, title: str) -> list[Section]:
    """Sections from the heading blocks. Levels follow the actual nesting of heading depths (a deeper
    heading is a child of the nearest shallower one before it), so markdown that skips levels
    ('##' then '####') still gives levels 1, 2; a thematic break closes every open section."""
    headings: list[tuple[int, int, int, str, int]] = []  # (start, heading_end, depth, heading, block index)
    title_key = " ".join(title.split()).casefold()
    title_skipped = False
    for index, (block, (start, end)) in enumerate(zip(doc.blocks, doc.offsets)):
        if block.heading_depth is None:
            continue
        heading, length = _heading_text(block)
        if not title_skipped and not headings and block.heading_source in ("markdown", "html-title") and \
                " ".join(heading.split()).casefold() == title_key:
            title_skipped = True  # the title heading would otherwise swallow the whole report
            continue
        headings.append((start, start + length, block.heading_depth, heading, index))
    if not headings:
        return []
    break_ends = [end for block, (_, end) in zip(doc.blocks, doc.offsets) if block.before_break]
    text = doc.text
    # One pass over headings and breaks in text order: a heading closes the open sections of its level
    # or deeper, a break closes all of them. Linear, however many sections a big file has.
    levels: list[int] = []
    ends: list[int] = [len(text)] * len(headings)
    open_sections: list[tuple[int, int, int]] = []  # (depth, level, heading index)
    break_index = 0
    for index, (start, _, depth, _, _) in enumerate(headings):
        while break_index < len(break_ends) and break_ends[break_index] <= start:
            for _, _, open_index in open_sections:
                ends[open_index] = min(ends[open_index], break_ends[break_index])
            open_sections.clear()
            break_index += 1
        while open_sections and open_sections[-1][0] >= depth:
            ends[open_sections.pop()[2]] = start
        level = len(open_sections) + 1
        levels.append(level)
        open_sections.append((depth, level, index))
    while break_index < len(break_ends):
        for _, _, open_index in open_sections:
            ends[open_index] = min(ends[open_index], break_ends[break_index])
        open_sections.clear()
        break_index += 1
    sections: list[Section] = []
    for index, (start, heading_end, _, heading, _) in enumerate(headings):
        end = ends[index]
        while end > heading_end and text[end - 1].isspace():
            end -= 1
        sections.append(Section(heading=heading.strip(), level=levels[index], kind=section_kind(heading) or "other",
                                span=(start, max(end, heading_end)), heading_span=(start, heading_end)))
    return sections


def choose_title(doc: CleanedDocument, fallback: str) -> str:
    """The report's title: an explicit title (first markdown/HTML level-1 heading), else the running
    page header when the front matter spells it out, else the first substantial line."""
    if doc.explicit_title:
        return doc.explicit_title
    for block in doc.blocks[:40]:
        if block.heading_depth is not None and block.heading_source == "markdown" and block.heading_depth == 1:
            return block.text
    texts = [block.text for block in doc.blocks[:120]]
    for header in doc.header_titles:
        wanted = _title_key(header)
        for i in range(len(texts)):
            joined = texts[i]
            for j in range(i + 1, min(i + 3, len(texts)) + 1):
                if _title_key(joined) == wanted:
                    return " ".join(joined.split())
                if j < len(texts):
                    joined = joined + " " + texts[j]
    for block in doc.blocks[:40]:
        if is_substantial_title(block.text):
            return _shorten(block.text)
    return fallback


def _title_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip().strip("#").strip()


def is_substantial_title(text: str) -> bool:
    stripped = text.strip()
    if len(stripped) > 300 or "http" in stripped[:30] or stripped.startswith(("来源", "Source:", "source:")):
        return False
    cjk = sum(is_cjk(ch) for ch in stripped)
    return cjk >= 4 or len(re.findall(r"[A-Za-z]{2,}", stripped)) >= 2


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 40 else limit].rstrip(" ,;:") + "…"


def first_substantial_text(blocks: list[Block]) -> Optional[str]:
    for block in blocks[:30]:
        if is_substantial_title(block.text):
            return block.text
    return None


def guess_report_type(title: str, text: str) -> Optional[str]:
    types = load_json("report_types.json")["types"]
    for haystack in (title.casefold(), text[:3000].casefold()):
        for name, keywords in types:
            if any(keyword.casefold() in haystack for keyword in keywords):
                return name
    return None
