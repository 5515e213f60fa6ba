"""Chinese reports read by rules over the text (万/亿/万亿 scales, full-width digits, 元/美元, 人/辆/千瓦/斤,
超过/突破/左右/约, 增长/下降), with the lexicon in ``pipeline/data/figures/lexicon_zh.json``."""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Iterator, Optional

from ..records import Change, Figure, Report
from .filters import non_figure_ranges
from .measures import chinese_measure
from .numerals import parse_chinese_number, to_float
from .units import chinese_kind, lexicon
from .years import heading_year


@lru_cache(maxsize=1)
def _chinese_patterns() -> dict:
    lex = lexicon("zh")

    def alt(items) -> str:
        return "|".join(re.escape(x) for x in sorted(set(items), key=len, reverse=True))

    units = (list(lex["percent_units"]) + list(lex["currency_units"]) + lex["count_units"]
             + lex["quantity_units"] + lex["duration_units"] + lex["ratio_units"])
    numerals = "".join(lex["numerals"]) + "".join(lex["numeral_multipliers"])
    figure = re.compile(
        rf"(?P<num>[0-9０-９]+(?:[.．][0-9０-９]+)?|[{numerals}]+(?:万[{numerals}]+)?(?=万|亿))"
        rf"(?P<more>多|余)?(?P<scale>{alt(lex['scales'])})?(?P<more2>多|余)?"
        rf"(?P<unit>{alt(units)})?(?P<after>{alt(lex['qualifiers_after'])})?")
    return {
        "lex": lex,
        "figure": figure,
        "qualifier_before": re.compile(rf"(?:{alt(lex['qualifiers_before'])})$"),
        "change": re.compile(rf"(?:{alt(lex['change_up'] + lex['change_down'])})(?:了)?$"),
        "level": re.compile(rf"(?:{alt(lex['change_up'] + lex['change_down'])})(?:{alt(lex['level_markers'])})$"),
        "reference": re.compile(rf"(?:{alt(lex['reference_markers'])})"),
        "non_figure_after": re.compile(rf"^(?:{alt(lex['non_figure_followers'])})"),
        "non_figure_before": re.compile(rf"(?:{alt(lex['non_figure_preceders'])})$"),
        "year": re.compile(r"(?<![\d比较])(1[89]\d\d|20\d\d)年"),  # "比2002年增加": a reference, not the year
        "breaks": re.compile("[" + re.escape(lex["clause_breaks"]) + "]"),
    }



_ZH_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*[”’」』）)]*")


def chinese_sentences(text: str) -> Iterator[tuple[int, int]]:
    """Sentence and clause ``(start, end)`` offsets of Chinese text, split at 。！？； and line ends; no character
    is dropped (a "；" clause is its own unit, so figures of one list item stay with their phrase)."""
    for m in _ZH_SENTENCE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            yield s, e


def chinese_figures(report: Report) -> Iterator[Figure]:
    pats = _chinese_patterns()
    lex = pats["lex"]
    text = report.text
    masks = [(s, e) for s, e, _ in non_figure_ranges(text, "zh")]
    for s, e in chinese_sentences(text):
        sentence = text[s:e]
        if not re.search(r"[0-9０-９]", sentence) and not re.search(r"[万亿]", sentence):
            continue
        years = [(m.start(), int(m.group(1)), m.group(0)) for m in pats["year"].finditer(sentence)]
        previous_measure: Optional[str] = None
        previous_end = 0
        for m in pats["figure"].finditer(sentence):
            unit_text = m.group("unit")
            before = sentence[:m.start()]
            if not unit_text or pats["non_figure_before"].search(before) \
                    or pats["non_figure_after"].match(sentence[m.end("num"):]) \
                    or re.search(r"[A-Za-z]$", before) or re.match(r"[A-Za-z]", sentence[m.end("num"):]):
                continue
            if any(ms < s + m.end("num") and s + m.start() < me for ms, me in masks):
                continue
            number = parse_chinese_number(m.group("num"))
            if number is None:
                continue
            scale = Decimal(str(lex["scales"][m.group("scale")])) if m.group("scale") else Decimal(1)
            kind, unit = chinese_kind(unit_text, lex)
            qualifier = "="
            start = m.start()
            q = pats["qualifier_before"].search(before)
            if q:
                qualifier = lex["qualifiers_before"][q.group(0)]
                start = m.start() - len(q.group(0))
            if m.group("after"):
                qualifier = lex["qualifiers_after"][m.group("after")]
            elif m.group("more") or m.group("more2"):
                qualifier = ">"
            clause_start = max(_last_break(pats, sentence, m.start()), previous_end)
            segment = sentence[clause_start:start]
            if clause_start == previous_end and previous_end and "、" in segment:  # "新台阶、亩产提升10.1斤"
                segment = segment[segment.rindex("、") + 1:]
            change = None
            seg_change = pats["change"].search(segment)
            if seg_change and not pats["level"].search(segment):
                verb = seg_change.group(0).rstrip("了")
                change = Change(direction="up" if verb in lex["change_up"] else "down",
                                reference=_chinese_reference(pats, segment))
            measures = chinese_measure(segment, lex, previous_measure, change is not None)
            year = next((y for y in reversed(years) if y[0] < m.start()), None)  # Chinese states the year first
            if year is not None:
                year_value, date = year[1], year[2]
            else:
                year_value, date = heading_year(report, s + m.start())
            previous_measure = measures or previous_measure
            previous_end = m.end() + (1 if sentence[m.end():m.end() + 1] == "、" else 0)
            yield Figure(
                id="F0",
                text=sentence[start:m.end()],
                span=(s + start, s + m.end()),
                sentence=sentence,
                value=to_float(number * scale),
                kind=kind,
                unit=unit,
                qualifier=qualifier,
                change=change,
                measures=measures,
                year=year_value,
                date=date,
            )



def _last_break(pats: dict, sentence: str, position: int) -> int:
    last = 0
    for m in pats["breaks"].finditer(sentence, 0, position):
        last = m.end()
    return last


def _chinese_reference(pats: dict, segment: str) -> Optional[str]:
    m = pats["reference"].search(segment)
    if not m:
        return None
    if m.group(0) == "比":  # "比2020年增长": the compared thing runs to the change verb
        rest = re.match(r"比([^，、；。]{1,10}?)(?=增|上|提|扩|下|减|降|回|缩)", segment[m.start():])
        return rest.group(0) if rest else None
    return m.group(0)

