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

import re
from functools import lru_cache
from typing import Iterator, Optional

from .. import nlp as nlp_loader
from ..records import Change, Figure, Report
from .chinese import chinese_figures, chinese_sentences  # noqa: F401  (part of the API)
from .filters import drop_repeated_terms, masked_in_report, non_figure_ranges
from .numerals import parse_chinese_number  # noqa: F401  (part of the API)
from .scan import scan_english
from .tables import scale_table_cells
from .units import lexicon
from .years import heading_year, relative_year, year_mentions

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")



def extract_figures(report: Report) -> list[Figure]:
    """Every statistic in ``report.text`` as a ``Figure`` (ids ``F1..Fn`` in text order)."""
    if not report.text.strip():
        return []
    if (report.language or "en").lower().startswith("zh"):
        figures = list(chinese_figures(report))
    else:
        figures = drop_repeated_terms(report, scale_table_cells(report.text, list(english_figures(report))))
    figures.sort(key=lambda f: f.span)
    return [f.model_copy(update={"id": f"F{i}"}) for i, f in enumerate(figures, 1)]


# --------------------------------------------------------------------------- English


@lru_cache(maxsize=1)
def _number_sentence() -> re.Pattern:
    words = "|".join(sorted(lexicon("en")["number_words"], key=len, reverse=True))
    return re.compile(rf"\d|\b(?:{words})\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _recognizer():
    """The figures component, created on the statistical pipeline without being added to it (the shared
    pipeline stays as other stages expect it)."""
    from .. import components  # noqa: F401  (registers the factory)

    return nlp_loader.statistical().create_pipe("reportlens_figures")


def english_figures(report: Report) -> Iterator[Figure]:
    from ..components.measures import main_object_phrase

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
    for index, doc in zip(numeric, nlp_loader.parse_with_places(model, texts)):
        parsed[index] = recognizer(doc)
    for index, doc in parsed.items():
        s, e = sentences[index]
        previous = _previous_in_paragraph(text, sentences, index)
        for span in doc.spans["figures"]:
            start, end = (s + offset for offset in span._.figure_chars)
            if masked_in_report(span, s, masks, mask_starts, longest_mask):
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
                year, date = relative_year(text[s:start], report.year, report.language)
            if year is None:
                year, date = heading_year(report, start)
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

