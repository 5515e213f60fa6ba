"""Findings and recommendations: one per item of a findings / recommendations list, else one per paragraph
(findings) or per recommending sentence (recommendations); conclusions-and-recommendations paragraphs split
into both; strong recommending sentences anywhere in a report that has no recommendations part."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from pipeline.cues import load_data, matches_any
from pipeline.enumerations import EnumItem, split_headline
from pipeline.records import Finding, Recommendation
from pipeline.regions import Region
from pipeline.textspans import (CJK, Span, clean, content_tokens, overlap, paragraph_spans, sentence_of,
                                sentence_spans, split_first_sentence)

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


TARGET = re.compile(
    r"(?:recommends?|recommended) that (?:the )?(?P<a>[A-Z][\w’'&.-]*(?: (?:of|for|and|the|on|[A-Z][\w’'&.-]*))*?)"
    r" (?=[a-z])|^(?P<b>(?:The |the )?[A-Z][\w’'&.-]*(?: (?:of|for|and|the|on|[A-Z][\w’'&.-]*))*?) should\b")


def recommendation_target(statement: str) -> Optional[str]:
    m = TARGET.search(statement.strip())
    if not m:
        return None
    target = (m.group("a") or m.group("b") or "").strip()
    return target or None


ANAPHORIC_SUBJECT = re.compile(r"^(?:this|these|that|those|it|they|such|the (?:plans?|guidance|strategy|steps?|"
                               r"actions?|inventory|effort)|at a minimum|in addition|also)\b", re.I)


def opens_recommendation(sentence: str) -> bool:
    """A recommending sentence that stands on its own: it names who should act, or recommends outright
    (a closing "(Recommendation 3)" numbers the whole paragraph, so it does not count)."""
    sentence = re.sub(r"\(Recommendation \d+\)", "", sentence)
    if is_recommending(sentence, strong_only=True):
        return True
    target = recommendation_target(sentence)
    return bool(target) and not ANAPHORIC_SUBJECT.match(sentence.strip())


def is_recommending(sentence: str, strong_only: bool = False) -> bool:
    cues = load_data("cues.json")
    patterns = cues["recommendation_strong"] + ([] if strong_only else cues["recommendation_weak"])
    return matches_any(patterns, sentence)


def skip_paragraph(paragraph: str) -> bool:
    skips = load_data("cues.json")["finding_paragraph_skip"] + [r"^\*?\[", r"^#"]
    if CJK.search(paragraph):
        return matches_any(skips, paragraph.strip())
    # titles, captions and signatures carry no sentence end
    return matches_any(skips, paragraph.strip()) or len(paragraph.split()) < 8 or \
        not re.search(r"[.!?][\"”’)]*(?:\s|$)", paragraph)


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
            out.findings.append(Finding(id="", text=head, detail=detail, span=(item.start, item.end),
                                        sentence=sentence))
        else:
            out.recommendations.append(Recommendation(
                id="", text=head, detail=detail, span=(item.start, item.end), sentence=sentence,
                target=recommendation_target(head)))


def add_mixed(out: Structure, text: str, s: int, e: int, language: str) -> None:
    """A conclusions-and-recommendations paragraph: a finding up to its first recommending sentence, and a
    recommendation from there (a paragraph that is all recommendation gives only the recommendation)."""
    sents = sentence_spans(text, s, e)
    if not sents:
        return
    first_rec = next((i for i, (a, b) in enumerate(sents) if is_recommending(text[a:b])), None)
    paragraph_end = sents[-1][1]
    if first_rec != 0:
        stop = sents[first_rec][0] if first_rec is not None else paragraph_end
        a, b = sents[0]
        out.findings.append(Finding(id="", text=clean(text[a:b]), detail=clean(text[b:stop]), span=(a, stop),
                                    sentence=clean(text[a:b])))
    if first_rec is not None:
        a, b = sents[first_rec]
        statement = clean(text[a:b])
        out.recommendations.append(Recommendation(
            id="", text=statement, detail=clean(text[b:paragraph_end]), span=(a, paragraph_end),
            sentence=statement, target=recommendation_target(statement)))


MAX_PARAGRAPH_STATEMENTS = 20  # a findings part longer than this is a mis-detected heading, not a summary


def add_paragraph_statements(out: Structure, text: str, region: Region, kind: str) -> None:
    taken = 0
    for ps, pe in paragraph_spans(text, region.start, region.end):
        paragraph = text[ps:pe]
        if skip_paragraph(paragraph):
            continue
        taken += 1
        if taken > MAX_PARAGRAPH_STATEMENTS:
            break
        if kind == "mixed":
            add_mixed(out, text, ps, pe, "en")
            continue
        if kind == "findings":
            (a, b), (c, d) = split_first_sentence(text, ps, pe)
            out.findings.append(Finding(id="", text=clean(text[a:b]), detail=clean(text[c:d]), span=(ps, pe),
                                        sentence=clean(text[a:b])))
            continue
        sents = sentence_spans(text, ps, pe)
        recs = [i for i, (a, b) in enumerate(sents) if is_recommending(text[a:b])]
        # "This should include ..." after a recommendation spells it out; only a sentence that names who
        # should act (or recommends outright) opens another one in the same paragraph
        recs = [i for n, i in enumerate(recs) if n == 0 or opens_recommendation(text[sents[i][0]:sents[i][1]])]
        for n, i in enumerate(recs):
            a, b = sents[i]
            stop = sents[recs[n + 1]][0] if n + 1 < len(recs) else pe
            statement = clean(text[a:b])
            out.recommendations.append(Recommendation(
                id="", text=statement, detail=clean(text[b:stop]), span=(a, stop), sentence=statement,
                target=recommendation_target(statement)))


def add_strong_recommendations(out: Structure, text: str, regions: list[Region], taken: list[Span]) -> None:
    """'We recommend that ...' and '(Recommendation 1)' sentences outside the parts already read, for reports
    that have no recommendations part."""
    for region in regions:
        if region.kind == "method":
            continue
        for a, b in sentence_spans(text, region.start, region.end):
            if any(s <= a < e for s, e in taken):
                continue
            sentence = text[a:b]
            if not is_recommending(sentence, strong_only=True) or len(sentence) > 800:
                continue
            # a sentence that announces a list is a lead-in, not a recommendation
            if re.search(load_data("cues.json")["lead_in"]["pattern"], sentence, re.I):
                continue
            statement = clean(sentence)
            out.recommendations.append(Recommendation(
                id="", text=statement, detail="", span=(a, b), sentence=statement,
                target=recommendation_target(statement)))


RECOMMENDATION_NUMBER = re.compile(r"\(Recommendation (\d+)\)")


def dedupe_recommendations(recs: list[Recommendation]) -> list[Recommendation]:
    """A summary restates the body's recommendations ("GAO recommends that SBA take steps ..."): keep one of
    each, preferring the numbered one. Differently numbered recommendations are never twins, however alike."""
    def number(rec: Recommendation) -> Optional[str]:
        m = RECOMMENDATION_NUMBER.search(rec.text + " " + rec.detail)
        return m.group(1) if m else None

    kept: list[Recommendation] = []
    for rec in recs:
        twin = next((k for k in kept if overlap(k.text, rec.text) >= 0.75
                     and not (number(k) and number(rec) and number(k) != number(rec))), None)
        if twin is None:
            kept.append(rec)
        elif number(rec) and not number(twin):
            kept[kept.index(twin)] = rec
    return sorted(kept, key=lambda r: r.span[0])

