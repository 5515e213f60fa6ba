"""Findings outside lists: one a sentence in a prose summary, the answers of a question-and-answer layout,
and paragraphs a sentence announces as findings."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.cues import is_fragment, load_data, matches_any, skip_sentence
from pipeline.records import Finding
from pipeline.recommendations import is_recommending
from pipeline.regions import Region
from pipeline.textspans import clean, paragraph_spans, sentence_spans

if TYPE_CHECKING:
    from pipeline.structure import Structure


def add_finding_sentences(out: Structure, text: str, ps: int, pe: int) -> None:
    """A findings summary written as prose states a finding in each sentence ("However, OMB has not yet
    addressed 13 of the 20 requirements. For example, the inventory does not ..."): one finding a sentence.
    Fragments, captions and recommending sentences are not findings."""
    cues = load_data("cues.json")
    recommending = cues["recommendation_strong"] + cues["recommendation_reported"]
    for a, b in sentence_spans(text, ps, pe):
        statement = clean(text[a:b])
        if len(statement.split()) < 5 or is_fragment(statement) or skip_sentence(statement):
            continue
        if matches_any(recommending, statement):
            continue  # left to the recommendations read over the whole report
        out.findings.append(Finding(id="", text=statement, detail="", span=(a, b), sentence=statement))


QUESTION_HEADING = re.compile(r"(?:^|\n\n)(?P<q>[A-Z][^\n.!?]{10,200}\?)[ \t]*\n\n")
MAX_ANNOUNCED_PARAGRAPHS = 6  # "we reported the following findings:" introduces a few paragraphs, not a chapter


def add_unheaded_findings(out: Structure, text: str, regions: list[Region]) -> None:
    """Findings of a report that has no findings part: the answers of a question-and-answer layout (the
    paragraph under "What types of services did grantees provide?" opens with its finding), and the prose
    paragraphs a sentence announces as findings ("In summary, we reported the following findings:")."""
    cues = load_data("cues.json")["lead_in"]
    for region in regions:
        if region.kind == "method" or region.appendix:
            continue
        paragraphs = paragraph_spans(text, region.start, region.end)
        if paragraphs and (region.heading or "").rstrip(" *").endswith("?"):
            add_answer_finding(out, text, *paragraphs[0])
            paragraphs = paragraphs[1:]
        announced = 0
        for i, (ps, pe) in enumerate(paragraphs):
            paragraph = text[ps:pe]
            if announced and (is_recommending(paragraph) or paragraph.rstrip().endswith((":", "?"))):
                announced = 0
            if announced:
                add_finding_sentences(out, text, ps, pe)
                announced -= 1
            elif QUESTION_HEADING.fullmatch(f"\n\n{paragraph}\n\n") and i + 1 < len(paragraphs):
                add_answer_finding(out, text, *paragraphs[i + 1])
            else:
                last = sentence_spans(text, ps, pe)[-1:]
                if last and text[last[0][1] - 1] in ":：" and matches_any(cues["findings"], text[slice(*last[0])]):
                    announced = MAX_ANNOUNCED_PARAGRAPHS


BRIEF = 20_000  # characters: a two-page brief or spotlight, whose every paragraph states what it found


def add_brief_findings(out: Structure, text: str, regions: list[Region]) -> None:
    """A short brief with no findings part, nothing announced as findings and no practices ("Science & Tech
    Spotlight": run-in headed paragraphs on opportunities and challenges) states a finding in each sentence of
    its body;
    method, appendix and reference parts ("Selected reference") are left out."""
    if out.findings or out.practices or len(text) > BRIEF:
        return  # a brief that lists measures taken is a practices report; its prose is their setting
    other = load_data("cues.json")["heading_kinds"]
    skip = other["other"] + other["method"] + load_data("cues.json")["reference_headings"]
    for region in regions:
        if region.kind == "method" or region.appendix or matches_any(skip, region.heading or ""):
            continue
        for ps, pe in paragraph_spans(text, region.start, region.end):
            add_finding_sentences(out, text, ps, pe)


def add_answer_finding(out: Structure, text: str, ps: int, pe: int) -> None:
    sentences = sentence_spans(text, ps, pe)
    if not sentences:
        return
    a, b = sentences[0]
    statement = clean(text[a:b]).lstrip("-•* ")
    if text[a:b].rstrip().endswith("?") or len(statement.split()) < 5 or is_fragment(statement) \
            or skip_sentence(statement):
        return
    out.findings.append(Finding(id="", text=statement, detail=clean(text[b:pe]), span=(a, pe), sentence=statement))
