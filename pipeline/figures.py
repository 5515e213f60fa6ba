"""The figures stage: every statistic in a report as a normalized, attributed ``Figure`` with provenance.

``extract_figures(report)`` is the whole API. English reports go through the ``reportlens_figures`` spaCy
component (:mod:`pipeline.components.figures`); the statistical model only sees the sentences that hold a digit
or a number word the text rules read as a figure (not a date, citation or marker), piped in batches of 64, so
most of a report never reaches it. This module adds what needs more
than one sentence: the year a figure refers to when the previous sentence states it ("By the end of 2001, ...
The total value is 670 billion yuan"), the object a generic subject stands for ("the total value" of
"domestic production"), numbers whose non-figure context crosses a sentence split ("Oujiang No. | 1"), and
stable ids ``F1..Fn`` in text order.

Chinese reports (``language == "zh"``) are read by rules over the text (万/亿/万亿 scales, full-width digits,
元/美元, 人/辆/千瓦/斤, 超过/突破/左右/约, 增长/下降), with the lexicon in
``pipeline/data/figures/lexicon_zh.json``: the measured thing is the noun phrase before the number in its clause.
"""
from __future__ import annotations

import bisect
import re
from decimal import Decimal
from functools import lru_cache
from typing import Iterator, Optional

from . import nlp as nlp_loader
from .records import Change, Figure, Report

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_HEADING_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def extract_figures(report: Report) -> list[Figure]:
    """Every statistic in ``report.text`` as a ``Figure`` (ids ``F1..Fn`` in text order)."""
    if not report.text.strip():
        return []
    if (report.language or "en").lower().startswith("zh"):
        figures = list(_chinese_figures(report))
    else:
        figures = list(_english_figures(report))
    figures.sort(key=lambda f: f.span)
    return [f.model_copy(update={"id": f"F{i}"}) for i, f in enumerate(figures, 1)]


# --------------------------------------------------------------------------- English


@lru_cache(maxsize=1)
def _number_sentence() -> re.Pattern:
    from .components.figures import lexicon

    words = "|".join(sorted(lexicon("en")["number_words"], key=len, reverse=True))
    return re.compile(rf"\d|\b(?:{words})\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _recognizer():
    """The figures component, created on the statistical pipeline without being added to it (the shared
    pipeline stays as other stages expect it)."""
    from . import components  # noqa: F401  (registers the factory)

    return nlp_loader.statistical().create_pipe("reportlens_figures")


def _english_figures(report: Report) -> Iterator[Figure]:
    from .components.figures import main_object_phrase, non_figure_ranges, scan_english, year_mentions

    text = report.text
    sentences = nlp_loader.sentence_spans(text, 0, len(text), "en")
    pattern = _number_sentence()
    masks = non_figure_ranges(text)
    parse_text = _blank_footnote_markers(text, masks)
    # only sentences with a number that the text rules read as a figure reach the statistical model
    numeric = [i for i, (s, e) in enumerate(sentences)
               if pattern.search(text, s, e) and scan_english(parse_text[s:e])]
    if not numeric:
        return
    mask_starts = [m[0] for m in masks]
    longest_mask = max((m[1] - m[0] for m in masks), default=0)
    model = nlp_loader.statistical()
    recognizer = _recognizer()
    texts = (parse_text[s:e] for s, e in (sentences[i] for i in numeric))
    parsed = {}
    for index, doc in zip(numeric, model.pipe(texts, batch_size=64)):
        parsed[index] = recognizer(doc)
    for index, doc in parsed.items():
        s, e = sentences[index]
        previous = _previous_in_paragraph(text, sentences, index)
        for span in doc.spans["figures"]:
            start, end = (s + offset for offset in span._.figure_chars)
            if _masked_in_report(span, s, masks, mask_starts, longest_mask):
                continue
            measures = span._.figure_measures
            generic = span._.figure_measures_generic
            year, date = span._.figure_year, span._.figure_date
            if previous is not None and (year is None or generic):
                prev_text = parse_text[slice(*sentences[previous])]
                if year is None:
                    years = {y.year: y for y in year_mentions(prev_text) if not y.reference}
                    if len(years) == 1:  # the sentence continues one that states its year
                        carried = next(iter(years.values()))
                        year, date = carried.year, carried.phrase
                if generic and measures:
                    prev_doc = parsed.get(previous) or model(prev_text)
                    obj = main_object_phrase(prev_doc)
                    if obj and obj.lower() not in measures.lower():
                        measures = measures.replace(generic, f"{generic} of {obj}", 1)
            if year is None:
                year, date = _heading_year(report, start)
            yield Figure(
                id="F0",
                text=text[start:end],
                span=(start, end),
                sentence=text[s:e],
                value=span._.figure_value,
                kind=span._.figure_kind,
                unit=span._.figure_unit,
                qualifier=span._.figure_qualifier or "=",
                low=span._.figure_low,
                high=span._.figure_high,
                change=Change(direction=span._.figure_change, reference=span._.figure_reference)
                if span._.figure_change else None,
                measures=measures,
                base=span._.figure_base,
                year=year,
                date=date,
                region=span._.figure_region,
            )


def _blank_footnote_markers(text: str, masks: list[tuple[int, int, str]]) -> str:
    """The text the parser sees: newlines (PDF line breaks) and the digits of footnote markers ("million.79",
    "[12]") become spaces, so they split no phrase and glue to no word; every offset stays the same."""
    chars = list(text.replace("\n", " "))
    for start, end, label in masks:
        if label == "footnote":
            for i in range(start, end):
                if chars[i].isdigit() or chars[i] in "[]^":
                    chars[i] = " "
    return "".join(chars)


def _previous_in_paragraph(text: str, sentences: list[tuple[int, int]], index: int) -> Optional[int]:
    if index == 0:
        return None
    prev_end = sentences[index - 1][1]
    if _PARAGRAPH_BREAK.search(text, prev_end, sentences[index][0]):
        return None
    return index - 1


_CROSS_SENTENCE_MASKS = frozenset({"number_sign", "citation", "report_number", "reference", "number_run",
                                   "form_number", "address", "postal_code", "phone"})


def _masked_in_report(span, offset: int, masks: list[tuple[int, int, str]], starts: list[int], longest: int) -> bool:
    """A number the sentence split cut from its non-figure context ("No. | 1") is caught on the whole text."""
    for token in span:
        if token.like_num and any(ch.isdigit() for ch in token.text):
            s, e = offset + token.idx, offset + token.idx + len(token.text)
            # masks are sorted by start: only those starting within ``longest`` before the token can cover it
            for ms, me, label in masks[bisect.bisect_left(starts, s - longest):bisect.bisect_left(starts, e)]:
                if ms < e and s < me and label in _CROSS_SENTENCE_MASKS:
                    return True
    return False


def _heading_year(report: Report, position: int) -> tuple[Optional[int], Optional[str]]:
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


# --------------------------------------------------------------------------- Chinese


@lru_cache(maxsize=1)
def _chinese_patterns() -> dict:
    from .components.figures import lexicon

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


def parse_chinese_number(text: str) -> Optional[Decimal]:
    """ "134.9" / "１２５６" -> Decimal; "三" / "一百二十" (Chinese numerals) -> Decimal."""
    from .components.figures import lexicon, parse_digits

    digits = parse_digits(text)
    if digits is not None:
        return digits
    lex = lexicon("zh")
    if "万" in text:  # "九万五千九百三十三" = 9 * 10000 + 5933
        high, _, low = text.partition("万")
        high_value, low_value = parse_chinese_number(high), parse_chinese_number(low) if low else Decimal(0)
        return None if high_value is None or low_value is None else high_value * 10000 + low_value
    total, current = 0, 0
    for ch in text:
        if ch in lex["numerals"]:
            current = lex["numerals"][ch]
        elif ch in lex["numeral_multipliers"]:
            total += (current or 1) * lex["numeral_multipliers"][ch]
            current = 0
        else:
            return None
    return Decimal(total + current)


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


def _chinese_figures(report: Report) -> Iterator[Figure]:
    from .components.figures import non_figure_ranges, to_float

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
            before, after = sentence[:m.start()], sentence[m.end():]
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
            kind, unit = _chinese_kind(unit_text, lex)
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
            measures = _chinese_measure(segment, lex, previous_measure, change is not None)
            year = next((y for y in reversed(years) if y[0] < m.start()), None)  # Chinese states the year first
            if year is not None:
                year_value, date = year[1], year[2]
            else:
                year_value, date = _heading_year(report, s + m.start())
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


def _chinese_kind(unit_text: str, lex: dict) -> tuple[str, str]:
    if unit_text in lex["percent_units"]:
        return "percent", lex["percent_units"][unit_text]
    if unit_text in lex["currency_units"]:
        return "money", lex["currency_units"][unit_text]
    if unit_text in lex["count_units"]:
        return "count", unit_text
    if unit_text in lex["duration_units"]:
        return "duration", unit_text
    if unit_text in lex["ratio_units"]:
        return "ratio", unit_text
    return "quantity", unit_text


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


_ZH_PERIOD = r"(?:由|从)?(?:(?:1[89]|20)\d\d年(?:底|末|初)?|去年|上年|今年|前年)?"


def _chinese_measure(segment: str, lex: dict, previous: Optional[str], is_change: bool) -> Optional[str]:
    """The noun phrase before the number: "国内生产总值达到" -> "国内生产总值"; "增长" after another
    figure of the same clause -> that figure's subject + "增长"."""
    phrase = segment.strip(" 、，")
    phrase = phrase.replace("分别", "")
    # "国内生产总值从1997年的" -> "国内生产总值"; "增加到2002年的" -> "增加到" (then the previous subject);
    # the year and the compared period have fields of their own (year, change.reference)
    phrase = re.sub(_ZH_PERIOD + r"的?$", "", phrase)
    phrase = re.sub(r"^(?:(?:1[89]|20)\d\d年(?:底|末|初)?|今年|去年|明年|上年)", "", phrase)
    phrase = re.sub(r"(?:比上年同期|比上年|比去年|同比|环比|比(?:1[89]|20)\d\d年)", "", phrase)
    phrase = re.sub(r"(?:由|从|和|及|与|、)$", "", phrase)
    trailing = sorted(lex["measure_trailing_words"], key=len, reverse=True)
    changed = True
    while changed and phrase:
        changed = False
        for word in trailing:
            if phrase.endswith(word) and len(phrase) > len(word) - (0 if is_change else 1):
                phrase = phrase[: -len(word)]
                changed = True
                break
    for word in sorted(lex["measure_leading_words"], key=len, reverse=True):
        if phrase.startswith(word) and len(phrase) > len(word):
            phrase = phrase[len(word):]
    phrase = re.sub(r"[〇一二两三四五六七八九十百]+$", "", phrase).strip(" 、，")  # "支出五(年累计)"
    verbs = lex["change_up"] + lex["change_down"]
    if not phrase:
        return previous
    if phrase in verbs and previous:
        subject = previous
        for verb in sorted(verbs, key=len, reverse=True):
            if subject.endswith(verb):
                subject = subject[: -len(verb)]
                break
        return subject + phrase
    return phrase[-24:]
