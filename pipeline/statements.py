"""Statements of a findings, recommendations or mixed part: one per item of its list, else read paragraph by
paragraph (a finding a sentence, a recommendation a recommending sentence); a numbered conclusions-and-
recommendations paragraph has one role. The finer rules live in ``findings`` and ``recommendations``."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.cues import is_fragment, is_thin, load_data, matches_any, skip_paragraph
from pipeline.enumerations import EnumItem
from pipeline.headlines import split_headline
from pipeline.findings import add_finding_sentences
from pipeline.records import Finding, Recommendation
from pipeline.recommendations import (add_recommendation, is_recommending, opens_recommendation,
                                      recommendation_target)
from pipeline.regions import Region
from pipeline.textspans import clean, content_tokens, paragraph_spans, sentence_of, sentence_spans

if TYPE_CHECKING:
    from pipeline.structure import Structure


def strip_shared_lead_in(headlines: list[str]) -> list[str]:
    """Drop an opening clause repeated across items ("Strengthening the work of X, the organization should
    ...") when what follows it is a full statement with a modal; "Strengthen X, identify Y" stays whole."""
    modality = load_data("cues.json")["modality"]
    heads = [re.split(r"[,，]\s*", h, maxsplit=1) for h in headlines]
    out = []
    for i, parts in enumerate(heads):
        if len(parts) == 2 and len(parts[1].split()) >= 4:
            shared = any(j != i and len(other) == 2 and _stem_overlap(parts[0], other[0]) >= 0.8
                         for j, other in enumerate(heads))
            if shared and matches_any(modality, parts[1]):
                out.append(parts[1])
                continue
        out.append(headlines[i])
    return out


def _stem_overlap(a: str, b: str) -> float:
    """Overlap of five-letter word stems, so that 'To build clinics' and 'Building clinics' match."""
    ta = {t[:5] for t in content_tokens(a) if not t.isdigit()} - {"to"}
    tb = {t[:5] for t in content_tokens(b) if not t.isdigit()} - {"to"}
    return len(ta & tb) / min(len(ta), len(tb)) if ta and tb else 0.0


def add_statements(out: Structure, text: str, forest: list[EnumItem], kind: str, language: str) -> None:
    """One finding or recommendation per top-level item; children stay in its detail."""
    parts = [(item, *split_headline(text, item, language)) for item in forest]
    heads = strip_shared_lead_in([clean(text[h[0]:h[1]]) for _, h, _ in parts])
    for (item, (hs, he), (ds, de)), head in zip(parts, heads):
        if he <= hs:
            continue
        detail = clean(text[ds:de]) if de > ds else ""
        sentence = clean(sentence_of(text, hs))
        if kind == "mixed":
            add_mixed(out, text, item.content_start, item.end, language)
        elif kind == "findings":
            if is_thin(head) and is_thin(detail):
                continue
            out.findings.append(Finding(id="", text=head, detail=detail, span=(item.start, item.end),
                                        sentence=sentence))
        else:
            add_recommendation(out, Recommendation(
                id="", text=head, detail=detail, span=(item.start, item.end), sentence=sentence,
                target=recommendation_target(head)))


def add_mixed(out: Structure, text: str, s: int, e: int, language: str) -> None:
    """A numbered conclusions-and-recommendations paragraph has one role: a recommendation when any of its
    sentences recommends (the statement is that sentence, the detail the rest of the paragraph, conclusions
    that lead up to it included), else a conclusion, which is a finding."""
    sents = sentence_spans(text, s, e)
    if not sents:
        return
    first_rec = next((i for i, (a, b) in enumerate(sents) if is_recommending(text[a:b], reported=out.reported)),
                     None)
    start, end = sents[0][0], sents[-1][1]
    if first_rec is None:
        a, b = sents[0]
        out.findings.append(Finding(id="", text=clean(text[a:b]), detail=clean(text[b:end]), span=(start, end),
                                    sentence=clean(text[a:b])))
        return
    a, b = sents[first_rec]
    statement = clean(text[a:b])
    if is_fragment(statement):
        return
    detail = clean(f"{text[start:a]} {text[b:end]}")
    add_recommendation(out, Recommendation(id="", text=statement, detail=detail, span=(start, end),
                                           sentence=statement, target=recommendation_target(statement)))


BANNER_ONLY = 400  # characters: a findings part this short that states nothing holds a banner, not text
MAX_PARAGRAPH_STATEMENTS = 20  # a findings part longer than this is a mis-detected heading, not a summary


def add_paragraph_statements(out: Structure, text: str, region: Region, kind: str) -> None:
    """Statements of a part written as paragraphs. A summary page laid out in columns can lose its findings
    to the next part: a findings part that states nothing ("What GAO Found" over a lone banner line) leaves
    them as the non-recommending paragraphs of the recommendations part that follows it."""
    taken = 0
    found_before = len(out.findings)
    orphans, out.orphan_findings = out.orphan_findings and kind == "recommendations", False
    comments = re.compile(load_data("cues.json")["comments_on_draft"], re.I)
    for ps, pe in paragraph_spans(text, region.start, region.end):
        paragraph = text[ps:pe]
        if kind == "recommendations" and comments.match(paragraph.strip()):
            break  # what follows answers the agency's comments on the draft
        if skip_paragraph(paragraph):
            continue
        taken += 1
        if taken > MAX_PARAGRAPH_STATEMENTS:
            break
        if kind == "mixed":
            add_mixed(out, text, ps, pe, "en")
            continue
        if kind == "findings":
            add_finding_sentences(out, text, ps, pe)
            continue
        sents = sentence_spans(text, ps, pe)
        # among orphaned findings only an outright recommendation recommends ("Mechanisms need to be tailored
        # to specific situations" is a finding)
        recs = [i for i, (a, b) in enumerate(sents)
                if is_recommending(text[a:b], strong_only=orphans, reported=out.reported)]
        if orphans and not recs:
            add_finding_sentences(out, text, ps, pe)
        # "This should include ..." after a recommendation spells it out; only a sentence that names who
        # should act (or recommends outright) opens another one in the same paragraph
        recs = [i for n, i in enumerate(recs)
                if n == 0 or opens_recommendation(text[sents[i][0]:sents[i][1]], reported=out.reported)]
        for n, i in enumerate(recs):
            a, b = sents[i]
            stop = sents[recs[n + 1]][0] if n + 1 < len(recs) else pe
            statement = clean(text[a:b])
            if is_fragment(statement):
                continue
            add_recommendation(out, Recommendation(
                id="", text=statement, detail=clean(text[b:stop]), span=(a, stop), sentence=statement,
                target=recommendation_target(statement)))
    banner = text[region.start:region.end].strip()
    if kind == "findings" and len(out.findings) == found_before and banner and len(banner) < BANNER_ONLY:
        out.orphan_findings = True
