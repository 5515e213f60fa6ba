"""The statistics filter: numbers that are not figures (citations, ZIP codes, addresses, form and report
numbers, footnote markers, enumerations, bare years, parts of names). The patterns are data
(``pipeline/data/figures/non_figures_<language>.jsonl``); the rules here judge a read candidate."""
from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Optional

from .units import DATA_DIR
from .units import lexicon as units_lexicon

if TYPE_CHECKING:
    from ..records import Figure, Report
    from .scan import FigureCandidate


@lru_cache(maxsize=None)
def non_figure_patterns(language: str = "en") -> tuple[tuple[str, re.Pattern], ...]:
    """``(label, compiled pattern)`` of the numbers that are not statistics, from ``non_figures_<language>.jsonl``."""
    path = DATA_DIR / f"non_figures_{language}.jsonl"
    if not path.exists():
        return ()
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                flags = re.IGNORECASE if "i" in row.get("flags", "") else 0
                rows.append((row["label"], re.compile(row["pattern"], flags)))
    return tuple(rows)


def non_figure_ranges(text: str, language: str = "en") -> list[tuple[int, int, str]]:
    """Character ranges of ``text`` holding numbers that are not figures, with the reason (label)."""
    return list(_non_figure_ranges(text, language))


@lru_cache(maxsize=256)
def _non_figure_ranges(text: str, language: str) -> tuple[tuple[int, int, str], ...]:
    # the scan, the year reader and the spaCy component each ask for the same paragraph's ranges
    ranges = []
    for label, pattern in non_figure_patterns(language):
        for m in pattern.finditer(text):
            if m.end() > m.start():
                ranges.append((m.start(), m.end(), label))
    ranges.sort()
    return tuple(ranges)



def overlaps(start: int, end: int, ranges: list[tuple[int, int, str]]) -> Optional[str]:
    for s, e, label in ranges:
        if s < end and start < e:
            return label
        if s >= end:
            break
    return None


def sentence_initial(text: str, pos: int) -> bool:
    """True when only whitespace, quotes or a bullet stand between the last sentence end and ``pos``."""
    before = text[:pos].rstrip(" \t\"“‘'(•*-")
    return not before or before.endswith(("\n", ".", "!", "?"))



def is_figure(text: str, cand: FigureCandidate, lex: dict) -> bool:
    """Drop what is a number but no statistic: bare years, markers, small spelled-out words, unanchored digits."""
    if cand.attributive:
        return False
    anchored = cand.kind in ("percent", "money", "ratio") or cand.scaled
    digits = text[cand.number_start:cand.number_end]
    if cand.spelled and cand.value < lex["min_word_number"] and not anchored and not small_count(text, cand, lex):
        return False
    if anchored:
        return True
    plain_integer = re.fullmatch(r"\d+", digits) is not None
    if plain_integer and 1800 <= cand.value <= 2100 and len(digits) == 4 \
            and not (cand.qualified_before and (cand.counted_noun or cand.measure_unit)):
        return False  # a year ("over 2004" too): kept only as the year of other figures
    if plain_integer and sentence_initial(text, cand.start) and cand.qualifier == "=" and cand.low is None:
        return False  # footnote or enumeration marker at the start of a sentence or line
    if plain_integer and cand.qualifier == "=" and _names_before(text, cand.number_start, lex):
        return False  # "Apollo 11 mission", "Publication 1075", "SBA 504 loans": part of a name
    if cand.kind in ("quantity", "duration") or cand.counted_noun:
        return True
    return cand.qualifier != "=" or (cand.grouped and "," in digits)


def small_count(text: str, cand: FigureCandidate, lex: dict) -> bool:
    """ "having seven different commissioners", "for two years": a spelled count of things below
    ``min_word_number`` that is a statistic. Not "one", not a known set ("the two goals"), not an enumeration
    ("three stages", "two aspects"), not a relative time ("two years later"), not part of a quoted name or a
    compound ("three-year")."""
    rules = lex["small_counts"]
    if cand.value < 2 or cand.value != int(cand.value) or not (cand.counted_noun or cand.measure_unit):
        return False
    if text[cand.number_start].isupper() and not sentence_initial(text, cand.number_start):
        return False  # "Three Mile Island": a name
    words = text[cand.number_start:cand.end].lower().split()
    if "-" in text[cand.number_start:cand.number_end + 1] or any(w.strip(",.;:") in rules["enumeration_nouns"]
                                                                 for w in words[1:]):
        return False
    before = re.search(r"([A-Za-z]+)\W*$", text[max(0, cand.number_start - 30):cand.number_start])
    if before and before.group(1).lower() in rules["determiners"]:
        return False
    if re.search(r"[\"“‘'(]\s*$", text[max(0, cand.number_start - 3):cand.number_start]):
        return False
    after = re.match(r"\s*([A-Za-z]+)", text[cand.end:cand.end + 20])
    return not (after and after.group(1).lower() in rules["time_followers"])


def drop_repeated_terms(report: "Report", figures: list["Figure"]) -> list["Figure"]:
    """A small spelled count the report keeps repeating, or puts in its title, is a term ("the two new
    organizations"), not a statistic: it is dropped wherever it occurs."""
    lex = units_lexicon("en")
    words = set(lex["number_words"])
    text, title = report.text.lower(), (report.title or "").lower()
    repeats = lex["small_counts"]["term_repeats"]

    def is_term(fig: "Figure") -> bool:
        tokens = fig.text.lower().split()
        at = next((k for k, w in enumerate(tokens) if w in words), None)
        if at is None or fig.value >= lex["min_word_number"] or fig.kind not in ("count", "duration"):
            return False
        phrase = " ".join(tokens[at:])
        return phrase in title or text.count(phrase) >= repeats

    return [f for f in figures if not is_term(f)]


def _names_before(text: str, pos: int, lex: dict) -> bool:
    """True when the word right before ``pos`` is a capitalized name word inside a sentence ("Apollo 11"), not a
    function word and not a word capitalized only because it opens the sentence ("Another 300 firms")."""
    offset = max(0, pos - 40)
    m = re.search(r"([A-Za-z][\w.’'-]*)\s+$", text[offset:pos])
    if not m or not m.group(1)[0].isupper() or sentence_initial(text, offset + m.start(1)):
        return False
    word = m.group(1).lower().rstrip(".")
    return word not in lex["count_noun_stopwords"] and word not in lex["months"] \
        and word not in lex["qualifiers_before"]



_CROSS_SENTENCE_MASKS = frozenset({"number_sign", "citation", "report_number", "reference", "number_run",
                                   "form_number", "address", "postal_code", "phone"})


def masked_in_report(span, offset: int, masks: list[tuple[int, int, str]], starts: list[int], longest: int) -> bool:
    """A number the sentence split cut from its non-figure context ("No. | 1") is caught on the whole text."""
    for token in span:
        if token.like_num and any(ch.isdigit() for ch in token.text):
            s, e = offset + token.idx, offset + token.idx + len(token.text)
            # masks are sorted by start: only those starting within ``longest`` before the token can cover it
            for ms, me, label in masks[bisect.bisect_left(starts, s - longest):bisect.bisect_left(starts, e)]:
                if ms < e and s < me and label in _CROSS_SENTENCE_MASKS:
                    return True
    return False

