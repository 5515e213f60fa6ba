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


# --------------------------------------------------------------------------------------------------
# Paragraphs cut by a page break, by the page's footnotes or by a heading the conversion misplaced

_MAX_INTERRUPTERS = 16  # the footnotes (with their wrapped lines) and side headings of one page
_MIN_OPEN_WORDS = 5  # shorter fragments are table cells and labels ('Median number of'), not sentences
_TITLE_LINE_WORDS = 14
_OPENING_WORDS = 5  # parallel paragraphs open with the same words ('The Director of OMB should')
_SHORT_LINE_WORDS = 5  # an unpunctuated capitalised line this short is a label or heading, not prose
_TRAILING_NOTE_MARK = re.compile(r"(?:\s*\[\d{1,3}\]|\s\d{1,3})+$")
_SENTENCE_INSIDE = re.compile(r"[.!?][\"'”’)]*(?:\s|$)")  # prose, not a table cell or a list of names
_LAST_WORD = re.compile(r"[^\W\d_][\w’'-]*$")
_CAPTION_START = re.compile(r"(?:Figure|Fig\.|Table|Box|Chart|Sources?|Notes?|Exhibit|FIGURE|TABLE)\b")


def rejoin_interrupted_paragraphs(blocks: list[Block], vocabulary: Vocabulary) -> list[Block]:
    """Text converted from PDF breaks a paragraph where its page ends and puts what sat between the two
    halves in between: a blank line, the page's footnotes ('... educate all states about' / '1 The
    committee asked ...' / 'the policy restricting ...'), or side headings of the next page that the
    converter placed before the text they stand next to. A paragraph that ends mid-sentence, followed
    (after any footnotes and headings) by a paragraph that carries the sentence on, is one paragraph: the
    halves are joined, and the footnotes and headings follow the rejoined paragraph, so the footnotes stay
    addressable and a heading opens its section after the sentence it cut. Nor does a heading split a
    run of parallel paragraphs ('The Director should ensure ...' x 3): it moves past the siblings of the
    paragraph it cut."""
    out: list[Block] = []
    pending: list[Block] = []  # footnotes and headings taken out of a paragraph: they follow its end
    cut_opening: Optional[str] = None  # how the paragraph that a heading cut opens
    in_footnote = False  # the current block belongs to a footnote (its first block starts with the number)
    index = 0
    count = len(blocks)
    while index < count:
        current = blocks[index]
        index += 1
        if current.gap_before or current.heading_depth is not None:
            if pending and not (cut_opening and current.heading_depth is None and
                                _paragraph_opening(current.text) == cut_opening):
                out.extend(pending)
                pending = []
                cut_opening = None
            in_footnote = current.heading_depth is None and bool(FOOTNOTE_LINE.match(current.text))
        while not in_footnote and _is_open_paragraph(current):
            end = _interruption_end(blocks, index)
            if end >= count or not _continues_sentence(current.text, blocks[end]):
                break
            head, separator = wrap_separator(current.text, blocks[end].text, vocabulary)
            current = Block(head + separator + blocks[end].text.strip(), gap_before=current.gap_before,
                            is_list_item=current.is_list_item, before_break=blocks[end].before_break)
            if any(block.heading_depth is not None for block in blocks[index:end]):
                cut_opening = cut_opening or _paragraph_opening(current.text)
            pending.extend(blocks[index:end])
            index = end + 1
        out.append(current)
    out.extend(pending)
    return out


def _paragraph_opening(text: str) -> Optional[str]:
    """The first words of a paragraph long enough to be one of a run of parallel paragraphs."""
    words = text.split()
    return " ".join(words[:_OPENING_WORDS]).casefold() if len(words) >= 2 * _OPENING_WORDS else None


def _is_open_paragraph(block: Block) -> bool:
    """A body paragraph whose last sentence runs on: it ends in a lower-case word (or one that cannot end
    a sentence), a comma or a dash, not in sentence punctuation; a footnote mark after it is ignored."""
    if block.heading_depth is not None or block.is_table_row or block.before_break:
        return False
    text = _TRAILING_NOTE_MARK.sub("", block.text.rstrip())
    if sum(any(ch.isalpha() for ch in word) for word in text.split()) < _MIN_OPEN_WORDS:
        return False
    if FOOTNOTE_LINE.match(text) or _CAPTION_START.match(text) or _is_title_line(text):
        return False  # a footnote, a caption or a heading split over lines is not a sentence to carry on
    last = _LAST_WORD.search(text)
    if last:
        return not last.group(0)[0].isupper() or last.group(0).lower() in CONTINUATION_WORDS
    return text.endswith((",", "—"))


def _interruption_end(blocks: list[Block], start: int) -> int:
    """Where the footnotes and headings from ``start`` on end. A footnote run counts up ('11 ...',
    '12 ...'); a footnote's own wrapped lines come with it."""
    position = start
    previous_note: Optional[int] = None
    in_note = False
    while position < len(blocks) and position - start < _MAX_INTERRUPTERS:
        block = blocks[position]
        note = None if block.heading_depth is not None or block.is_table_row else FOOTNOTE_LINE.match(block.text)
        if block.heading_depth is not None or (_is_title_line(block.text) and (block.gap_before or not in_note)):
            in_note = False
        elif note and (previous_note is None or int(note.group(1)) == previous_note + 1):
            previous_note, in_note = int(note.group(1)), True
        elif not (in_note and not block.gap_before and not block.is_table_row):
            break
        position += 1
    return position


def _is_title_line(text: str) -> bool:
    """'Ship Sustainment Challenges Hinder Navy's Ability to', 'in the United States and' or
    'Recommendations to agencies': a line of a heading the conversion left unmarked. Short, no digits, no
    final punctuation, its words capitalised (or only a few words)."""
    words = text.split()
    if not 1 <= len(words) <= _TITLE_LINE_WORDS or any(ch.isdigit() for ch in text) or \
            text.rstrip()[-1] in ".!?:;,)":
        return False
    if len(words) <= _SHORT_LINE_WORDS and text[0].isupper():
        return True
    content = [w for w in words if sum(ch.isalpha() for ch in w) >= 3 and w.lower() not in CONTINUATION_WORDS]
    capitalised = sum(w[0].isupper() for w in content)
    return bool(content) and capitalised >= 0.8 * len(content) and (text[0].isupper() or capitalised >= 2)


def _continues_sentence(head: str, block: Block) -> bool:
    """Does ``block`` carry on the sentence that ``head`` leaves open? It opens a paragraph and starts in
    lower case, or the head ends in a word that cannot end a sentence ('about', 'the') and the block
    reads as prose, not as a heading."""
    if block.heading_depth is not None or block.is_table_row or not block.gap_before or \
            _LIST_MARKER.match(block.text):
        return False
    text = block.text.lstrip()
    if not text or text.startswith(("http", "www.")) or _CAPTION_START.match(text):
        return False  # a link or the caption of the next figure
    if len(text.split()) < _MIN_OPEN_WORDS and not _ends_sentence(text):
        return False  # a table cell or label ('insurers per state'), not the rest of a sentence
    if text[0].islower():
        return True
    last_word = _TRAILING_NOTE_MARK.sub("", head.rstrip()).rsplit(None, 1)[-1].lower()
    return last_word in CONTINUATION_WORDS and (text[0].isupper() or text[0] in "“\"") and \
        _SENTENCE_INSIDE.search(text) is not None and not _is_title_line(text)


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
