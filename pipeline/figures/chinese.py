"""Chinese reports read by rules over the text (万/亿/万亿 scales, full-width digits, 元/美元, 人/辆/千瓦/斤,
超过/突破/左右/约, 增长/下降), with the lexicon in ``pipeline/data/figures/lexicon_zh.json``."""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Iterator, Optional

from ..records import Change, Figure, Report
from .filters import non_figure_ranges
from .measures import chinese_frame, chinese_measure
from .numerals import chinese_scaled, parse_chinese_number, to_float
from .units import chinese_kind, lexicon
from .years import review_year, heading_year, relative_year


@lru_cache(maxsize=1)
def _chinese_patterns() -> dict:
    lex = lexicon("zh")

    def alt(items) -> str:
        return "|".join(re.escape(x) for x in sorted(set(items), key=len, reverse=True))

    units = (list(lex["percent_units"]) + list(lex["currency_units"]) + lex["count_units"]
             + lex["quantity_units"] + lex["duration_units"] + lex["ratio_units"])
    numerals = "".join(lex["numerals"]) + "".join(lex["numeral_multipliers"])
    space = "[ \u3000]"  # older typesetting spaces every digit: "7 4 7 7 2 亿元", "8 ．8 ％"
    digits = rf"[0-9０-９](?:{space}{{0,2}}[0-9０-９])*(?:{space}*[.．]{space}*[0-9０-９](?:{space}{{0,2}}[0-9０-９])*)?"
    number = rf"{digits}|[{numerals}]+(?:[亿万][{numerals}]+)*(?=万|亿)"
    scales = alt(lex["scales"])
    links = alt(lex["range_links"])
    fraction = "".join(lex["numerals"])
    figure = re.compile(
        # a percent in words: "百分之九点三"
        rf"{alt(lex['percent_words'])}(?P<pct>[{numerals}]+(?:{lex['decimal_point']}[{fraction}]+)?)"
        # a range whose low end has no unit of its own: "5到7元", "10亿至20亿元"
        rf"|(?:(?P<low>{digits})(?P<lowscale>{scales})?{space}*(?:{links}){space}*)?"
        rf"(?P<num>{number})"
        rf"(?P<more>多|余)?{space}*(?P<scale>{scales})?(?P<more2>多|余)?"
        rf"{space}*(?P<unit>{alt(units)})?(?P<after>{alt(lex['qualifiers_after'])})?")
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
        "negative_before": re.compile(rf"(?:(?<![0-9０-９]){alt(lex['negative_signs'])}|{alt(lex['negative_markers'])})$"),
        "currency_before": re.compile(rf"(?:{alt(lex['currency_prefixes'])})$"),
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
        if not re.search(r"[0-9０-９]|[万亿]|百分之", sentence):
            continue
        years = [(m.start(), int(m.group(1)), m.group(0)) for m in pats["year"].finditer(sentence)]
        previous_measure: Optional[str] = None
        previous_end = 0
        for m in pats["figure"].finditer(sentence):
            in_words = m.group("pct") is not None
            unit_text = "%" if in_words else m.group("unit")
            num_end = m.end() if in_words else m.end("num")
            before = sentence[:m.start()]
            if not unit_text or pats["non_figure_before"].search(before) \
                    or pats["non_figure_after"].match(sentence[num_end:].lstrip(" \u3000")) \
                    or re.search(r"[A-Za-z]$", before) or re.match(r"[A-Za-z]", sentence[num_end:]):
                continue
            if any(ms < s + num_end and s + m.start() < me for ms, me in masks):
                continue
            number = parse_chinese_number(m.group("pct") if in_words else m.group("num"))
            if number is None:
                continue
            scale = Decimal(str(lex["scales"][m.group("scale")])) if m.group("scale") else Decimal(1)
            if not in_words and m.group("scale") and re.search(r"[亿万]", m.group("num")):  # "一亿三千万"
                scaled = chinese_scaled(m.group("num"), scale)
                if scaled is None:
                    continue
                number, scale = scaled, Decimal(1)
            low = high = None
            if m.group("low"):  # "5到7元": the low end takes the unit, and the scale unless it has its own
                low_number = parse_chinese_number(m.group("low"))
                low_scale = Decimal(str(lex["scales"][m.group("lowscale")])) if m.group("lowscale") else scale
                if low_number is None or low_number * low_scale > number * scale:
                    continue
                low, high = to_float(low_number * low_scale), to_float(number * scale)
            sign = pats["negative_before"].search(before)
            if sign:  # "增长-2.1%", "负增长2.5%"
                number = -number
                if sign.group(0) not in lex["negative_markers"]:
                    before = before[:sign.start()]
            kind, unit = chinese_kind(unit_text, lex)
            prefix = pats["currency_before"].search(before) if kind == "money" and unit_text == "元" else None
            if prefix:  # "新台币50亿元"
                unit = lex["currency_prefixes"][prefix.group(0)]
            qualifier = "="
            start = len(before)
            q = pats["qualifier_before"].search(before)
            if q:
                qualifier = lex["qualifiers_before"][q.group(0)]
                start = len(before) - len(q.group(0))
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
            previous_measure = measures or previous_measure
            measures = chinese_frame(measures, sentence, start, m.end(), kind, unit, lex)
            year = next((y for y in reversed(years) if y[0] < m.start()), None)  # Chinese states the year first
            if year is not None:
                year_value, date = year[1], year[2]
            else:
                year_value, date = relative_year(sentence[:m.start()], report.year, "zh")
                if year_value is None:
                    year_value, date = heading_year(report, s + m.start())
                if year_value is None:
                    year_value, date = review_year(report, s + m.start(), before)
            previous_end = m.end() + (1 if sentence[m.end():m.end() + 1] == "、" else 0)
            yield Figure(
                id="F0",
                text=sentence[start:m.end()],
                span=(s + start, s + m.end()),
                sentence=sentence,
                value=low if low is not None else to_float(number * scale),
                low=low if low is not None else None,
                high=high,
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

