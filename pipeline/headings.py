"""Headings recovered from the text: headings a conversion ran into the body paragraph (split out onto
their own blocks), and blocks that are headings by their form ('Chapter 8: ...', 'III. ...', '一、',
upper-case keyword headings, short title-like lines between paragraphs)."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional

from .blocks import Block
from .lexicons import sentence_starters
from .nlp import CJK_CHARACTER
from .sections import section_kind


# ==================================================================================================
# Headings run into a paragraph

_ROMAN_PART = re.compile(r"([IVX]{1,5})\.\s+(?=[A-Z])")
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}
_ORDINAL_PART = re.compile(r"(First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth)(?:ly)?,\s+")
_SENTENCE_END = re.compile(r"[.!?](?=[\"”’)]*\s)")
_NOT_A_SENTENCE_END = re.compile(r"[IVX]{1,5}|[A-Z]|(?:[A-Z]\.)+[A-Z]|Mr|Mrs|Ms|Dr|No|Nos|Art|St|vs|etc|e\.g|i\.e|Fig")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman_to_int(numeral: str) -> int:
    total = 0
    previous = 0
    for ch in reversed(numeral.upper()):
        value = _ROMAN_VALUES.get(ch, 0)
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total


@dataclass
class _RunIn:
    start: int  # offset in the paragraph
    end: int
    level: int
    number: Optional[int] = None


def split_run_in_headings(blocks: list[Block], title: Optional[str]) -> list[Block]:
    """Put headings that a conversion ran into the body paragraph on their own lines.

    '... inspired ideas. I. Strengthening the basic situation ... Province The basic situation of ...
    Province Since the reform ...' becomes the paragraph up to 'ideas.', a level-1 heading, a level-2
    heading and the paragraph from 'Since'. A run-in heading starts a sentence, has no sentence-final
    punctuation and ends where a capitalised sentence opener ('Since the', 'In the') follows. It is
    accepted when it carries a part marker (I., II., ...; an ordinal word only when it continues the
    numbering of the part markers) or a section-kind keyword.
    """
    out: list[Block] = []
    part_numbers_seen: list[int] = []
    any_top_level = False
    for block in blocks:
        if block.heading_depth is not None or block.is_table_row or len(block.text) < 200 or \
                _cjk_share(block.text[:200]) > 0.3:
            out.append(block)
            continue
        headings = _find_run_in_headings(block.text, title, part_numbers_seen, any_top_level)
        if not headings:
            out.append(block)
            continue
        cursor = 0
        first_piece = True
        for heading in headings:
            before = block.text[cursor:heading.start].strip()
            if before:
                out.append(Block(before, gap_before=block.gap_before if first_piece else True))
                first_piece = False
            heading_text = block.text[heading.start:heading.end].strip()
            if heading.level == 0:  # the title repeated at the head of the body: own line, not a section
                out.append(Block(heading_text, gap_before=True))
            else:
                out.append(Block(heading_text, heading_depth=heading.level, heading_source="runin"))
                any_top_level = any_top_level or heading.level == 1
            first_piece = False
            cursor = heading.end
        rest = block.text[cursor:].strip()
        if rest:
            out.append(Block(rest, gap_before=True))
    return out


def _sentence_ends(text: str, start: int = 0) -> Iterator[int]:
    for m in _SENTENCE_END.finditer(text, start):
        word_start = text.rfind(" ", 0, m.start()) + 1
        if _NOT_A_SENTENCE_END.fullmatch(text[word_start:m.start()]):
            continue  # 'I.' opens a part, 'U.S.' and 'Mr.' do not end a sentence
        yield m.end()


def _sentence_starts(text: str) -> Iterator[int]:
    yield 0
    for position in _sentence_ends(text):
        while position < len(text) and text[position] in "\"”’) ":
            position += 1
        if position < len(text):
            yield position


def _find_run_in_headings(text: str, title: Optional[str], part_numbers_seen: list[int],
                          any_top_level: bool) -> list[_RunIn]:
    found: list[_RunIn] = []
    # Every run-in heading ends at a capitalised opener inside a sentence; paragraphs without one (nearly
    # all of them) are done after a single regex pass.
    openers = [m.start() for m in _opener_pattern().finditer(text)]
    if not openers:
        return found
    title_words = _word_set(title) if title else set()
    for start in _sentence_starts(text):
        if found and start < found[-1].end:
            continue
        segment_end = _next_sentence_end(text, start)
        first_opener = bisect.bisect_right(openers, start)
        if first_opener >= len(openers) or openers[first_opener] >= segment_end:
            continue
        segment = text[start:segment_end]
        roman = _ROMAN_PART.match(segment)
        ordinal = _ORDINAL_PART.match(segment)
        marker_end = roman.end() if roman else ordinal.end() if ordinal else 0
        splits = []
        for position in openers[first_opener:bisect.bisect_left(openers, segment_end)]:
            if segment.count(" ", marker_end, position - start) >= 2:  # at least two words of heading
                splits.append(position - start)
        if not splits:
            continue
        head = segment[:splits[0]].rstrip()
        head_body = head[marker_end:]
        if not _is_heading_phrase(head_body):
            continue
        kind = section_kind(head_body)
        number: Optional[int] = None
        level = 0
        if roman:
            number = roman_to_int(roman.group(1))
            level = 1
        elif ordinal:
            number = _ORDINAL_WORDS[ordinal.group(1).lower()]
            continues_parts = bool(part_numbers_seen) and number == part_numbers_seen[-1] + 1
            if continues_parts or (kind and len(head_body.split()) <= 8 and "," not in head_body):
                level = 1
        elif kind and len(head_body.split()) <= 25:
            level = 2 if (any_top_level or found or part_numbers_seen) else 1
        elif start == 0 and title_words and _similar(_word_set(head), title_words):
            level = 0
            found.append(_RunIn(start, start + len(head), 0))
            continue
        if not level:
            continue
        if number is not None:
            part_numbers_seen.append(number)
        found.append(_RunIn(start, start + len(head), level, number))
        # a second run-in heading right after the first ('I. Part ... Province The basic situation of ... Province Since')
        second_start = start + splits[0]
        if len(splits) >= 2:
            sub = segment[splits[0]:splits[1]].rstrip()
            if _is_heading_phrase(sub) and section_kind(sub) and len(sub.split()) <= 25:
                found.append(_RunIn(second_start, second_start + len(sub), min(level + 1, 6)))
    return found


def _next_sentence_end(text: str, start: int) -> int:
    return next(_sentence_ends(text, start), len(text))


@lru_cache(maxsize=1)
def _opener_pattern() -> re.Pattern:
    """A capitalised sentence opener followed by a lower-case word, or an enumeration opener ("First,",
    "1. Set up"), not right after a sentence end: "III. Suggestions for our city First, formulate ..."."""
    words = "|".join(sorted((re.escape(w) for w in sentence_starters()), key=len, reverse=True))
    ordinals = ("First|Firstly|Second|Secondly|Third|Thirdly|Fourth|Fourthly|Fifth|Sixth|Seventh|Eighth|"
                "Ninth|Tenth|Finally|Lastly")
    return re.compile(rf"(?<=[^\s.!?。] )(?:(?:{words})(?= [a-z])|(?:{ordinals})(?=, [a-z])|\d{{1,2}}\.(?= [A-Z]))")


def _is_heading_phrase(text: str) -> bool:
    stripped = text.strip()
    words = stripped.split()
    if not 1 <= len(words) <= 30 or len(stripped) > 250:
        return False
    if any(mark in stripped for mark in (":", ";", "?", "!", "“", "\"", "(")):
        return False
    if words[-1].lower() in ("the", "a", "an", "of", "and", "or", "to", "in", "for", "with", "by"):
        return False
    return True


def _word_set(text: Optional[str]) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text or "")}


def _similar(a: set[str], b: set[str]) -> bool:
    return bool(a) and bool(b) and len(a & b) / len(a | b) >= 0.6

_LETTER = re.compile(r"[^\W\d_]")


def _cjk_share(text: str) -> float:
    if not CJK_CHARACTER.search(text):
        return 0.0
    letters = len(_LETTER.findall(text))
    return len(CJK_CHARACTER.findall(text)) / letters if letters else 0.0


# ==================================================================================================
# Heading lines that run on into the paragraph below them

_HEADING_CONTINUES_WORDS = 30  # a heading that wraps into the paragraph finishes within this many words
_RUN_IN_HEAD_WORDS = 10


def split_headings_run_into_paragraphs(blocks: list[Block]) -> list[Block]:
    """PDF conversions mark a whole first line as a heading when a run-in heading opens a paragraph
    ('## Economic benefits. Costs have increased due' + 'to tight supplies, ...'), or when a long
    heading wraps ('## What could improve the quality of' + 'engineered products?'). A heading line
    without final punctuation that is followed by a lower-case continuation is split: its run-in heading
    ('Economic benefits.') stays a heading and the rest starts the paragraph; a wrapped heading takes
    its continuation up to the first sentence end. A heading that ends like a title ('Agency Comments')
    is left alone: it interrupts the paragraph instead (``rejoin_interrupted_paragraphs``)."""
    out: list[Block] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        index += 1
        if block.heading_depth is None or following is None or not _continues_lowercase(block, following) \
                or (_run_in_head_end(block.text) is None and block.text.split()[-1][:1].isupper()):
            out.append(block)  # a heading that ends like a title interrupts the paragraph instead
            continue
        index += 1  # the continuation is consumed here
        text, tail = block.text.rstrip(), following.text.strip()
        run_in = _run_in_head_end(text)
        if run_in is not None:
            head, body = text[:run_in].rstrip(), text[run_in:].lstrip() + " " + tail
        else:
            end = next(_sentence_ends(tail), len(tail) if tail[-1] in ".!?" else None)
            if end is not None and len(tail[:end].split()) + len(text.split()) <= _HEADING_CONTINUES_WORDS:
                head, body = text + " " + tail[:end], tail[end:].strip()
            else:  # no heading ends soon: the 'heading' was the paragraph's first line
                head, body = None, text + " " + tail
        if head:
            out.append(Block(head, heading_depth=block.heading_depth, heading_source=block.heading_source))
        if body:
            out.append(Block(body, gap_before=True, before_break=following.before_break))
    return out


def _continues_lowercase(heading: Block, following: Block) -> bool:
    text, nxt = heading.text.rstrip(), following.text.lstrip()
    return bool(text) and bool(nxt) and text[-1] not in ".!?:;)" and nxt[0].islower() and \
        following.heading_depth is None and not following.is_table_row and not following.is_list_item


def _run_in_head_end(text: str) -> Optional[int]:
    """End of a run-in heading ('Economic benefits.') that opens the heading line, else None."""
    end = next(_sentence_ends(text), None)
    if end is None or end >= len(text.rstrip()):
        return None
    head, rest = text[:end], text[end:].lstrip()
    if len(re.findall(r"[^\W\d_]{2,}", head)) < 2 or len(head.split()) > _RUN_IN_HEAD_WORDS or \
            not _is_heading_phrase(head):
        return None
    return end if rest[:1].isupper() or rest[:1].isdigit() else None


# ==================================================================================================
# Headings on their own lines

_CHAPTER = re.compile(
    r"(?:chapter|part|section|appendix|annex|annexe|schedule)\s+(?:\d{1,2}|[ivxlc]{1,6}|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"\s*[:.\-–—]?", re.IGNORECASE)
_ROMAN_HEADING = re.compile(r"[IVXLC]{1,6}\.\s+\S")
_CJK_LEVEL1 = re.compile(r"(?:[一二三四五六七八九十百]+、|第[一二三四五六七八九十百\d]+[章部分篇])")
_CJK_LEVEL2 = re.compile(r"[（(][一二三四五六七八九十百]+[）)]")
_CAPTIONS = re.compile(r"(?:figure|fig\.|table|box|chart|source|sources|note|notes|exhibit|q\s?\d)\b", re.IGNORECASE)


def mark_pattern_headings(blocks: list[Block], fmt: str) -> None:
    """Flag blocks that are headings by their form: 'Chapter 8: ...', 'III. ...', '一、', '（一）',
    upper-case keyword headings and, in plain/PDF text, short title-like lines between paragraphs."""
    plain = fmt in ("text", "pdf")
    # a line that repeats (the start of) a marked-up heading is that heading's running header
    marked_prefixes: set[str] = set()
    for block in blocks:
        if block.heading_source in ("markdown", "html-title"):
            words = block.text.casefold().split()
            marked_prefixes.update(" ".join(words[:n]) for n in range(1, min(len(words), 30) + 1))
    for index, block in enumerate(blocks):
        if block.heading_depth is not None or block.is_table_row:
            continue
        text = block.text
        if len(text) <= 160 and marked_prefixes and " ".join(text.casefold().split()) in marked_prefixes:
            continue
        if len(text) <= 160 and _CHAPTER.match(text) and not text.endswith((":", ".", ",")):
            block.heading_depth, block.heading_source = 1, "chapter"
        elif len(text) <= 160 and _ROMAN_HEADING.match(text) and not text.endswith("."):
            block.heading_depth, block.heading_source = 1, "roman"
        elif _CJK_LEVEL1.match(text):
            block.heading_depth, block.heading_source = 1, "cjk"
        elif _CJK_LEVEL2.match(text):
            block.heading_depth, block.heading_source = 2, "cjk"
        elif plain and _is_upper_keyword_heading(text):
            block.heading_depth, block.heading_source = 1, "caps"
        elif len(text) <= 80 and _is_title_like_line(blocks, index) and (plain or section_kind(text)):
            # in markdown, plain-line headings need a keyword ('Conclusions'): bullets look alike
            block.heading_depth, block.heading_source = (2 if plain else 8), "line"
    _unmark_front_matter_lines(blocks)


_STRONG_HEADING_SOURCES = frozenset({"markdown", "chapter", "roman", "cjk", "caps", "runin", "html-title"})


def _unmark_front_matter_lines(blocks: list[Block]) -> None:
    """Short lines before the first real heading of a structured report are its cover and imprint
    ('HL Paper 190', 'Contact details', member lists), not sections; upper-case ones ('SUMMARY') stay."""
    first_strong = next((i for i, b in enumerate(blocks) if b.heading_source in _STRONG_HEADING_SOURCES), None)
    if first_strong is None:
        return
    for block in blocks[:first_strong]:
        if block.heading_source == "line" and not _mostly_upper_text(block.text):
            block.heading_depth, block.heading_source = None, ""


def _mostly_upper_text(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and sum(ch.isupper() for ch in letters) >= 0.9 * len(letters)


def drop_heading_echoes(blocks: list[Block]) -> list[Block]:
    """PDF conversions repeat a heading's first words just before it ('Appendix II: De', then
    'Appendix II: Department of Agriculture Retrospective Reviews'); keep only the full heading."""
    keep = [True] * len(blocks)
    for index, block in enumerate(blocks):
        if block.heading_depth is None and not _CHAPTER.match(block.text):
            continue
        key = block.text.casefold()
        for later in blocks[index + 1:index + 4]:
            if later.heading_depth is not None and len(later.text) > len(block.text) and \
                    later.text.casefold().startswith(key):
                keep[index] = False
                break
    return [block for block, kept in zip(blocks, keep) if kept]


def _is_upper_keyword_heading(text: str) -> bool:
    if len(text) > 100 or len(text.split()) > 12:
        return False
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 4:
        return False
    if sum(ch.isupper() for ch in letters) < 0.9 * len(letters) or text.rstrip().endswith(("." ",")):
        return False
    return section_kind(text) is not None


def _is_title_like_line(blocks: list[Block], index: int) -> bool:
    text = blocks[index].text
    words = text.split()
    if not 1 <= len(words) <= 10 or len(text) > 80 or blocks[index].is_list_item:
        return False
    if not text[0].isupper() or text.rstrip()[-1] in ".,;:!?)…-–—" or _CAPTIONS.match(text):
        return False
    if sum(ch.isalpha() for ch in text) < 4 or any(ch.isdigit() for ch in text[:1]):
        return False
    if "http" in text or "@" in text or "www." in text:
        return False
    if any(ch.isdigit() for ch in text):
        return False  # list entries and codes ('ADS Group SPA0026'), not headings
    previous = blocks[index - 1] if index else None
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if following is None or following.heading_depth is not None:
        return False
    if len(following.text) < 60 and not following.is_list_item and not following.text[:1].isdigit():
        # a heading opens a paragraph; a run of short lines is a list (unless this heads a sub-heading)
        after = blocks[index + 2] if index + 2 < len(blocks) else None
        if after is None or len(following.text.split()) > 10 or len(after.text) < 60:
            return False
    if previous is not None and previous.heading_depth is None:
        prev_text = previous.text.rstrip().rstrip("\"'”’")
        if not prev_text.endswith((".", "!", "?", ":", "。", ")")) and not previous.is_table_row:
            return False
    nxt = following.text.lstrip()
    return bool(nxt) and (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "“\"•")
