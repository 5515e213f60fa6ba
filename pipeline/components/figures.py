"""The ``reportlens_figures`` spaCy component: every statistic in an English Doc as a span with its reading.

It owns the English rules of the figures stage: what counts as a number (digits, "1,800,100", "two
thousand", "£6.6bn"), how it is scaled and normalized (value, kind, unit), the words around it that qualify
it ("more than", "about", "up to"), make it a change ("up 10.5% from 2000") or a range ("between $250,000
and $2 million"), and the numbers that are not statistics at all (legal citations, ZIP codes, addresses, form
and report numbers, footnote markers, enumerations, dates). Those rules are data: the lexicon and the
non-figure patterns live in ``pipeline/data/figures/``.

Text-level scanning (:func:`scan_english`) needs no model and is usable on its own. The component adds what
only the statistical model knows when the Doc has it: the counted noun from the dependency parse, the
``measures`` phrase and the ``base`` of a share, and the ``region`` (a GPE entity). On a blank pipeline those
stay empty.

Results go to ``doc.spans["figures"]``; each span carries ``span._.figure_*`` attributes (see
:data:`SPAN_ATTRIBUTES`). ``pipeline.figures`` turns them into ``Figure`` records.
"""
from __future__ import annotations

import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

# the text rules, re-exported: the component is where English figures are read
from ..figures.filters import non_figure_patterns, non_figure_ranges  # noqa: F401
from ..figures.numerals import parse_digits, parse_number_words, to_float  # noqa: F401
from ..figures.scan import FigureCandidate, english_patterns, scan_english
from ..figures.units import DATA_DIR, lexicon  # noqa: F401
from ..figures.years import YearMention, year_for, year_mentions
from .measures import (FigureTokens, _host_figure, _is_threshold, describe_figure, fallback_measure,  # noqa: F401
                       main_object_phrase, nearest_region, number_part)
SPANS_KEY = "figures"

#: Span extension attributes set by the component, with their meaning.
SPAN_ATTRIBUTES = {
    "figure_chars": "(start, end) character offsets of the figure's exact words in the Doc (spans are token-aligned)",
    "figure_value": "the number, fully scaled (670 billion yuan -> 670000000000.0); the low end of a range",
    "figure_kind": "money, percent, count, quantity, duration, ratio, rank or date",
    "figure_unit": "ISO currency, '%', the counted noun, or a unit of measure",
    "figure_qualifier": "one of = > >= < <= ~",
    "figure_low": "low end of a range",
    "figure_high": "high end of a range",
    "figure_change": "'up' or 'down' when the number is a change",
    "figure_reference": "what a change is measured from ('from 2000')",
    "figure_measures": "a short phrase saying what the number measures (needs the parser)",
    "figure_measures_generic": "the owner phrase when it is a generic word ('total value') a previous sentence explains",
    "figure_base": "what a share is a share of ('of the province's GDP')",
    "figure_year": "the year the sentence ties the number to",
    "figure_date": "the phrase giving that year ('By the end of 2001')",
    "figure_region": "the place the sentence names (GPE entity), if any",
}


# --------------------------------------------------------------------------- the component


def _register_extensions() -> None:
    for name in SPAN_ATTRIBUTES:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


_register_extensions()


class FigureRecognizer:
    """Sets ``doc.spans["figures"]``: one span per statistic, read by the text rules and, when the Doc has a
    parse and entities, described with the syntax (measures, base, region)."""

    def __init__(self, nlp: Language, name: str = "reportlens_figures", spans_key: str = SPANS_KEY):
        self.name = name
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        masks = non_figure_ranges(text)
        mentions = year_mentions(text, masks)
        spans = []
        for cand in scan_english(text, masks):
            span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            self._annotate(span, cand, mentions)
            spans.append(span)
        doc.spans[self.spans_key] = spans
        if spans and doc.has_annotation("DEP"):
            self._describe(doc, spans)
        return doc

    @staticmethod
    def _annotate(span: Span, cand: FigureCandidate, mentions: list[YearMention]) -> None:
        span._.figure_chars = (cand.start, cand.end)
        span._.figure_value = cand.value
        span._.figure_kind = cand.kind
        span._.figure_unit = cand.unit
        span._.figure_qualifier = cand.qualifier
        span._.figure_low = cand.low
        span._.figure_high = cand.high
        span._.figure_change = cand.change
        span._.figure_reference = cand.reference
        span._.figure_base = cand.base
        year = year_for(span.start_char, span.end_char, mentions, cand.reference, span.doc.text)
        if year is not None:
            span._.figure_year = year.year
            span._.figure_date = year.phrase

    @staticmethod
    def _extend_to_counted_noun(doc: Doc, span: Span) -> Span:
        """With a parse, the counted noun is the head of the number ("40,000 full-time and part-time workers")."""
        if span._.figure_kind != "count":
            return span
        number = max((t for t in span if t.like_num), key=lambda t: t.i, default=None)
        if number is None or number.dep_ not in ("nummod", "quantmod", "compound", "amod", "nmod"):
            return span
        head = number.head
        while head.dep_ == "compound" and head.head.i > head.i and head.head.pos_ == "NOUN":
            head = head.head
        # "30,800 program and operational benefits": a singular noun before "and ... <plural>" is a modifier of
        # the plural noun the parser took for its conjunct
        conj = next((c for c in head.children if c.dep_ == "conj" and c.tag_ == "NNS" and 0 < c.i - head.i <= 4),
                    None)
        if head.tag_ == "NN" and conj is not None and doc[head.i + 1].lower_ in ("and", "or") \
                and all(t.pos_ in ("CCONJ", "ADJ", "NOUN") for t in doc[head.i + 1:conj.i]):
            head = conj
        lex = lexicon("en")
        if head.i <= number.i or head.pos_ != "NOUN" or head.i - number.i > 8 \
                or head.lower_ in lex["date_nouns"] or head.lower_ in lex["count_noun_stopwords"] \
                or any((t.is_punct and t.text in ",;:()%") or t.like_num or t.lower_ in ("percent", "$", "£", "€")
                       for t in doc[number.i + 1:head.i]):
            return span
        if head.i < span.end:
            span._.figure_unit = head.text
            return span
        extended = doc[span.start:head.i + 1]
        for name in SPAN_ATTRIBUTES:
            setattr(extended._, name, getattr(span._, name))
        extended._.figure_unit = head.text
        extended._.figure_chars = (span._.figure_chars[0], head.idx + len(head.text))
        return extended

    @staticmethod
    def _drop_verb_as_noun(doc: Doc, span: Span) -> Optional[Span]:
        """The parser knows "606 contributes" ends in a verb: no counted noun, and a bare integer is no figure."""
        last = span[-1]
        if span._.figure_kind != "count" or last.like_num or last.pos_ not in ("VERB", "AUX"):
            return span
        number = max((t for t in span if t.like_num), key=lambda t: t.i, default=None)
        if number is None or (span._.figure_qualifier == "=" and "," not in number.text):
            return None
        trimmed = doc[span.start:number.i + 1]
        for name in SPAN_ATTRIBUTES:
            setattr(trimmed._, name, getattr(span._, name))
        trimmed._.figure_unit = None
        trimmed._.figure_chars = (span._.figure_chars[0], number.idx + len(number.text))
        return trimmed

    def _describe(self, doc: Doc, spans: list[Span]) -> None:
        spans[:] = [s for s in (self._drop_verb_as_noun(doc, span) for span in spans) if s is not None]
        spans[:] = [self._extend_to_counted_noun(doc, span) for span in spans]
        doc.spans[self.spans_key] = spans
        numbers = [number_part(s) for s in spans]
        lead = None  # the phrase a list of figures shares ("Interest rate 3.75 percent ...; 2.75 percent ...")
        for k, span in enumerate(spans):
            others = [s for s in spans if s is not span]
            ctx = FigureTokens(
                own={t.i for t in span},
                number=numbers[k],
                others={t.i for s in others for t in s},
                other_numbers={i for j, n in enumerate(numbers) if j != k for i in n},
                blockers={i for j, s in enumerate(spans) if j != k and not _is_threshold(s)
                          and s._.figure_kind != "duration" for i in numbers[j]},
                tree=_base_tokens(span) | _coordinated(span, others),
                thresholds={t.i for j, s in enumerate(spans) if j != k and _is_threshold(s) for t in s},
            )
            measures, base, generic = describe_figure(span, ctx)
            if measures is None and not span._.figure_change:
                measures, lead = fallback_measure(span, ctx, lead)
            region = nearest_region(doc, span.start, span.end)
            if region is not None:
                span._.figure_region = region.text
                if measures and region.start < span.start and region.text.lower() not in measures.lower():
                    measures = f"{measures} in {region.text}"
            span._.figure_measures = measures
            span._.figure_measures_generic = generic
            span._.figure_base = base
        _parallel_shares(doc, spans)
        for span in spans:
            reference = span._.figure_reference
            if span._.figure_change and reference and span._.figure_measures \
                    and reference.lower() not in span._.figure_measures.lower():
                span._.figure_measures = f"{span._.figure_measures} {reference}"
            host = _host_figure(span, spans) if not span._.figure_measures else None
            if host is not None and not span._.figure_change:  # "73 percent of X (about $261 billion)"
                span._.figure_measures = (host._.figure_base or "")[3:] or host._.figure_measures
            if span._.figure_change and not span._.figure_measures:  # a change measures its host's growth
                if host is not None and host._.figure_measures:
                    direction = "growth" if span._.figure_change == "up" else "decline"
                    reference = f" {span._.figure_reference}" if span._.figure_reference else ""
                    span._.figure_measures = f"{host._.figure_measures} {direction}{reference}"
                    span._.figure_measures_generic = host._.figure_measures_generic
        _parallel_changes(doc, spans)


def _parallel_changes(doc: Doc, spans: list[Span]) -> None:
    """A change listed with a second reference: "a reduction of 4.2 percent compared to FY 2026 and 10.2 percent
    since the end of FY 2024". The second percent is the same change of the same thing from its own reference."""
    for prior, span in zip(spans, spans[1:]):
        if span._.figure_kind != "percent" or prior._.figure_kind != "percent" or span._.figure_change \
                or not prior._.figure_change or not prior._.figure_measures or span._.figure_base \
                or doc.text[prior._.figure_chars[1]:span._.figure_chars[0]].strip(" ,") not in ("and", "or"):
            continue
        after = english_patterns()["reference_at"].match(doc.text, span._.figure_chars[1])
        span._.figure_change = prior._.figure_change
        span._.figure_reference = after.group("ref") if after else prior._.figure_reference
        measures = prior._.figure_measures
        if prior._.figure_reference and span._.figure_reference != prior._.figure_reference:
            measures = measures.replace(prior._.figure_reference, "").strip()
            measures = f"{measures} {span._.figure_reference}"
        span._.figure_measures = measures
        span._.figure_measures_generic = prior._.figure_measures_generic


def _parallel_shares(doc: Doc, spans: list[Span]) -> None:
    """Survey sentences list shares in parallel: "34 percent of health care workers reported A and 57 percent
    reported B", "up from an estimated 32 percent in 2018". A share with no base of its own takes the base of
    the share before it in the sentence and the clause its own verb opens; the earlier level of a change
    ("up from N") measures what the figure it is measured against measures."""
    for k, span in enumerate(spans):
        if span._.figure_kind != "percent" or span._.figure_base or k == 0:
            continue
        sent = span.sent
        earlier = [s for s in spans[:k] if s._.figure_kind == "percent" and sent.start <= s.start < sent.end]
        if not earlier:
            continue
        left = doc.text[max(span.sent.start_char, span.start_char - 30):span.start_char].lower()
        if re.search(r"\b(?:up|down|rose|fell|increased|decreased)?\s*from(?:\s+an?\s+estimated|\s+about)?\s*$",
                     left) and earlier[-1]._.figure_measures:
            span._.figure_measures = earlier[-1]._.figure_measures
            continue
        based = next((s for s in reversed(earlier) if s._.figure_base), None)
        follower = doc[span.end] if span.end < len(doc) else None
        if based is None or follower is None or follower.pos_ != "VERB":
            continue
        words = []
        for token in doc[span.end:span.sent.end]:
            if token.text in ",;.()" or (token.lower_ in ("and", "but") and token.nbor(1).like_num
                                          if token.i + 1 < len(doc) else False):
                break
            words.append(token.text_with_ws)
        span._.figure_measures = f"share {based._.figure_base} that {''.join(words).strip()}"


def _coordinated(span: Span, others: list[Span]) -> set[int]:
    """Statistics coordinated with the figure's own ("over $1.6 trillion in financial benefits and almost 30,800
    program benefits that helped ..."): the conjunct and all it governs say what the other figure measures."""
    sent = span.sent
    own = range(span.start, span.end)
    out: set[int] = set()
    for other in others:
        if not sent.start <= other.start < sent.end:
            continue
        root = other.root
        if root.dep_ == "conj" and not other.start <= root.head.i < other.end:
            tokens = {t.i for t in root.subtree}
            if not any(i in tokens for i in own):
                out |= tokens
    return out


def _base_tokens(span: Span) -> set[int]:
    """The figure's own "of" phrase and asides ("84 percent [of the appropriations] ([$3.17 billion])"): said by
    the figure's base, so not repeated in the clause that says what it measures."""
    root = span.root
    if root.pos_ in ("VERB", "AUX"):
        return set()
    return {t.i for child in root.children if (child.dep_ == "prep" and child.lower_ == "of")
            or child.dep_ == "appos" for t in child.subtree}


@Language.factory(
    "reportlens_figures",
    assigns=[f"doc.spans", *(f"span._.{name}" for name in SPAN_ATTRIBUTES)],
    # used when present (measures, base, counted noun, region); on a blank pipeline the text rules still run
    requires=["token.dep", "token.pos", "token.lemma", "doc.ents"],
    retokenizes=False,
    default_config={"spans_key": SPANS_KEY},
)
def make_figure_recognizer(nlp: Language, name: str, spans_key: str) -> FigureRecognizer:
    """The figures component; works on a blank pipeline, and describes figures further with a parser and NER."""
    return FigureRecognizer(nlp, name, spans_key)
