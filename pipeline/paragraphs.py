"""Paragraph assembly: the physical lines of each paragraph joined (hard line breaks, end-of-line
hyphens, Chinese lines joined without a space), list items, headings and table rows kept on their own.
Whether a line-end hyphen is kept is the ``Vocabulary``'s call (``pipeline.words``)."""
from __future__ import annotations

import re
from collections import deque
from typing import Optional

from .blocks import Block, Line
from .furniture import FOOTNOTE_LINE
from .lexicons import CONTINUATION_WORDS
from .nlp import is_cjk
from .words import Vocabulary, mostly_upper


_LIST_MARKER = re.compile(
    r"\s*(?:[•●▪■◦‣∙·○□➢►✓]\s*|[-–*+]\s+|\(?\d{1,3}[.)]\s+|\(?[a-zA-Z][.)]\s+(?=\S)|\([ivx]{1,5}\)\s+"
    r"|[一二三四五六七八九十百]+、|（[一二三四五六七八九十百]+）|\(\s*[一二三四五六七八九十]+\s*\)|\d{1,2}[、．]"
    r"|第[一二三四五六七八九十百\d]+[章节部分条]"
    r")"
)
_FOOTNOTE_START = re.compile(r"\d{1,3}\s+[A-Z“\"]")
_TABLE_COLUMNS = re.compile(r"\S(?: {3,}|\t)\S")


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
    if len(cur) > 3 and mostly_upper(prev) != mostly_upper(cur):
        return False  # an upper-case heading line is not continued by a normal sentence (or vice versa)
    last_word = prev.rsplit(None, 1)[-1]
    if prev.endswith((",", "—", "–", "(", "/", "&")) or last_word.lower() in CONTINUATION_WORDS:
        return True
    if _FOOTNOTE_START.match(cur) and (_ends_sentence(prev) or len(prev) < 0.6 * width):
        return False
    if _ends_sentence(prev):
        if len(cur) < 0.6 * width and cur[0].isupper() and not _ends_sentence(cur):
            return False  # a short unpunctuated line after a sentence is a heading, not the paragraph's end
        # a full line that happens to end a sentence is still inside its paragraph
        return len(prev) >= 0.85 * width and not _is_cjk_text_end(prev)
    return len(prev) >= 0.6 * width



def _is_cjk_text_end(text: str) -> bool:
    return text.endswith(("。", "！", "？", "：", "；"))


_WORD_AT_END = re.compile(r"([A-Za-z]+)-$")
_WORD_AT_START = re.compile(r"[A-Za-z]+")


def wrap_separator(previous: str, current: str, vocabulary: Vocabulary) -> tuple[str, str]:
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


def assemble_blocks(lines: list[Line], vocabulary: Vocabulary) -> list[Block]:
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
    first = FOOTNOTE_LINE.match(block_start)
    if not first or not line[:1].isdigit():
        return False
    following = FOOTNOTE_LINE.match(line)
    return bool(following) and int(following.group(1)) == int(first.group(1)) + 1


def _finish_block(block: Optional[Block], parts: list[str]) -> None:
    if block is not None and len(parts) > 1:
        block.text = "".join(parts)


def _looks_like_table_row(text: str) -> bool:
    stripped = text.strip()
    if " | " in stripped and stripped.count(" | ") >= 2:
        return True
    return "   " in stripped and len(_TABLE_COLUMNS.findall(stripped)) >= 2
