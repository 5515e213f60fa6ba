"""The year a figure refers to: year mentions of a sentence ("By the end of 2001", "fiscal year 2024"), the one a
figure takes (never the year a change is measured from), and the year of the section heading."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from ..records import Report
from .filters import non_figure_ranges, overlaps
from .scan import english_patterns
from .units import lexicon

_HEADING_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


@dataclass
class YearMention:
    year: int
    start: int
    end: int
    phrase: str
    framed: bool
    reference: bool = False  # "up 10.5% from 2000": what a change is measured from, not the figure's year


def year_mentions(text: str, masks: Optional[list[tuple[int, int, str]]] = None) -> list[YearMention]:
    """Years a sentence mentions ("By the end of 2001", "As of June 2024", "fiscal year 2024"), in order.

    Years inside citations, report numbers and identifiers are not mentions."""
    pats = english_patterns()
    masks = [r for r in (non_figure_ranges(text) if masks is None else masks)
             if r[2] in ("citation", "report_number", "identifier", "url", "footnote")]
    out = []
    for m in pats["year"].finditer(text):
        if overlaps(m.start(), m.end(), masks):
            continue
        left = text[max(0, m.start() - 40):m.start()]
        frame = pats["frame"].search(left)
        start = m.start() - (len(left) - frame.start()) if frame else m.start()
        if not frame:
            month = pats["month_before"].search(left)
            if month:
                start = m.start() - (len(left) - month.start())
        out.append(YearMention(int(m.group(1)), start, m.end(), re.sub(r"\s+", " ", text[start:m.end()]),
                               framed=bool(frame), reference=bool(pats["reference_year"].search(left))))
    return out


_NEAR_AFTER, _FAR_BEFORE = 60, 80  # characters
_NUMBER = re.compile(r"(?<![\w.,])\d[\d,.]*")  # other statistics between a year and the figure


def year_for(span_start: int, span_end: int, mentions: list[YearMention],
             reference: Optional[str] = None, text: Optional[str] = None) -> Optional[YearMention]:
    """The year a figure at ``[span_start, span_end)`` refers to: the nearest mention before it, else after it;
    never the year a change is measured from, nor a year inside the figure. ``text`` (what the offsets index)
    tells a year before a run of other statistics (a flattened panel) from one in the figure's own clause."""
    usable = [y for y in mentions if not y.reference and not (span_start <= y.start < span_end)
              and not (reference and str(y.year) in reference)]
    before = [y for y in usable if y.end <= span_start]
    right_after = next((y for y in usable if y.framed and 0 <= y.start - span_end <= 2), None)
    if right_after is not None:  # "up from an estimated 32 percent in 2018"
        return right_after
    if before:
        framed = [y for y in before if y.framed]
        pick = (framed or before)[-1]
        # a long run-on "sentence" (a flattened infographic before the prose): the year framed in the figure's own
        # clause ("requesting $860 million ... for fiscal year (FY) 2027") is nearer than one far before it
        near = next((y for y in usable if y.framed and 0 <= y.start - span_end <= _NEAR_AFTER), None)
        if near is not None and text is not None and span_start - pick.end > _FAR_BEFORE \
                and len(_NUMBER.findall(text, pick.end, span_start)) >= 3:
            return near
        return pick
    after = [y for y in usable if y.start >= span_end]
    return after[0] if after else None



def relative_year(before: str, report_year: Optional[int], language: str = "en") -> tuple[Optional[int], Optional[str]]:
    """The year a relative year word names ("this year", 今年, "last year", 去年) in ``before`` (the sentence up to
    the figure), resolved against the year the report states; a word that names a change's base ("up 4% from
    last year", 比去年) is no year of the figure."""
    if report_year is None:
        return None, None
    lex = lexicon("zh" if (language or "").lower().startswith("zh") else "en")
    words = lex.get("relative_years", {})
    if not words:
        return None, None
    pattern = _relative_pattern(tuple(sorted(words, key=len, reverse=True)), tuple(lex["relative_year_references"]))
    found = [m for m in pattern.finditer(before) if not m.group("ref")]
    if not found:
        return None, None
    phrase = found[-1].group("word")
    return report_year + words[phrase.lower()], phrase


@lru_cache(maxsize=4)
def _relative_pattern(words: tuple[str, ...], references: tuple[str, ...]) -> re.Pattern:
    ref = "|".join(re.escape(r) for r in sorted(references, key=len, reverse=True))
    word = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?P<ref>(?:{ref})\s*)?(?P<word>{word})", re.I)


def heading_year(report: Report, position: int) -> tuple[Optional[int], Optional[str]]:
    """The year in the heading of the innermost section holding ``position`` ("一、2024年工作回顾")."""
    best = None
    for section in report.sections:
        if section.span[0] <= position < section.span[1]:
            if best is None or section.span[0] >= best.span[0]:
                best = section
    headings = [best.heading] if best is not None else []
    if not report.sections:
        line = _last_heading_line(report.text, position, report.language)
        headings = [line] if line else []
    for heading in headings:
        years = _HEADING_YEAR.findall(heading)
        if len(set(years)) == 1:
            return int(years[0]), heading.strip()
    return None, None


_ZH_HEADING = re.compile(r"(?m)^[ \t\u3000]*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、])[^\n。；]{1,40}$")


def _last_heading_line(text: str, position: int, language: str) -> Optional[str]:
    """Without ingested sections: the last numbered heading line of a Chinese report before ``position``."""
    if not (language or "").lower().startswith("zh"):
        return None
    last = None
    for m in _ZH_HEADING.finditer(text, 0, position):
        last = m.group(0)
    return last



def review_year(report: Report, position: int, before: str) -> tuple[Optional[int], Optional[str]]:
    """The year a section reviewing the past reports on ("一、过去五年政府工作的回顾" in a 2003 report: 2002),
    for a figure with no year of its own that is not the starting level of a change (``before``: its sentence
    up to the figure). Review words are the lexicon's ``review_headings``."""
    lex = lexicon("zh" if (report.language or "").lower().startswith("zh") else "en")
    words = lex.get("review_headings", [])
    if report.year is None or not words or before.rstrip().endswith(tuple(lex.get("starting_level_markers", []))):
        return None, None
    sections = [s for s in report.sections if s.span[0] <= position < s.span[1]]
    headings = [s.heading for s in sections] if report.sections else [_last_heading_line(report.text, position,
                                                                                          report.language) or ""]
    for heading in headings:
        if any(w in heading for w in words):
            return report.year - 1, heading.strip()
    return None, None
