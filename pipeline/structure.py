"""The structure stage: a report's practices tree, historical stages, findings and recommendations.

``extract_structure(report) -> Structure`` reads ``Report.text`` and ``Report.sections`` (from ingestion) and
returns records whose spans point into ``Report.text``. It owns:

* regions: the section bodies with an effective kind (the ingested kind, refined by heading cues in
  ``data/structure/cues.json``; "mixed" for "Conclusions and recommendations"); a report without sections is
  cut at lines that read as such headings ("What GAO Found"), else it is one region; lead-in sentences
  ("The main practices are as follows:", "The main points are as follows:", "it is recommended ... the
  following aspects.") classify what follows them;
* practices: enumeration items (``pipeline.enumerations``) of practice lead-ins and practice sections, at any
  nesting; run-in heading lists near a practice cue; sub-sections headed as list items ("（一）加强宏观调控")
  inside a practices part, with the lists of their bodies as children;
* findings / recommendations: one per enumeration item (or list-item sub-section) of a findings /
  recommendations part, else one per paragraph (findings) or per recommending sentence (recommendations);
  in a "mixed" part a numbered paragraph gives a finding up to its first recommending sentence and a
  recommendation from there; strong recommending sentences ("We recommend that", "(Recommendation 1)")
  anywhere in a report that has no recommendations part; ``supports`` links by lexical overlap;
* stages: periodizations ("has experienced three stages: before X, the stage of A; ...; since Y, B"),
  ordinal and numbered programme stages, and the periods Chinese reports review (过去五年, “九五”计划),
  resolved against the report's year (see ``stages``).
Only the blank sentencizer is used here; no statistical model. The parts live in their own modules:
``regions`` (parts and lead-ins), ``practices``, ``statements`` (findings, recommendations), ``stages``; this
module runs them over the regions in order and numbers and links what they give.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Optional

from pipeline.enumerations import parse_enumeration
from pipeline.practices import add_practices, practice_id, run_in_practices, short_group
from pipeline.records import Finding, Practice, Recommendation, Report, Stage
from pipeline.regions import parent_indices, regions_of, section_kinds, segments_of, sorted_sections
from pipeline.stages import extract_stages
from pipeline.statements import (add_paragraph_statements, add_statements, add_strong_recommendations,
                                 dedupe_recommendations, recommendation_target)
from pipeline.textspans import Span, clean, content_tokens, paragraph_spans


@dataclass
class Structure:
    """What ``extract_structure`` returns; the lead copies these lists onto the ``Analysis``."""

    practices: list[Practice] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)


def is_chinese(report: Report) -> bool:
    return report.language.startswith("zh")


def extract_structure(report: Report) -> Structure:
    text = report.text
    language = "zh" if is_chinese(report) else "en"
    out = Structure()
    taken: list[Span] = []  # text already read as items, not scanned again for recommending sentences
    regions = regions_of(report)
    # where the report names its findings or recommendations parts, lists elsewhere are not read as such
    explicit = {r.kind for r in regions} & {"findings", "recommendations", "mixed"}
    items_by_heading = HeadingItems(report, text)
    for region in regions:
        if region.kind == "method":
            continue
        parent_id = items_by_heading.emit(region.section, out)
        if region.section in items_by_heading.statement_sections:
            continue  # its body is the detail of the finding or recommendation its heading states
        if region.section in items_by_heading.practice_sections:
            region = replace(region, kind="practices")
        segments = segments_of(text, region, language)
        region_items = False
        for seg in segments:
            kind = seg.kind or region.kind
            if seg.kind == "non_practices":
                # reasons or challenges: findings in a findings part, and nothing to extract elsewhere
                if region.kind not in ("findings", "recommendations", "mixed"):
                    continue
                kind = region.kind
            if seg.kind in ("findings", "recommendations") and explicit & {seg.kind, "mixed"} and \
                    region.kind not in ("findings", "recommendations", "mixed"):
                continue
            forest = parse_enumeration(text, seg.start, seg.end, language)
            if seg.lead_in is None and kind in ("findings", "recommendations", "mixed"):
                # unannounced run-ins and bullets in a conclusions part are layout (addressee lists, notes);
                # its statements are numbered or stand as paragraphs
                forest = [it for it in forest if it.marker.ordinal is not None]
            if not forest:
                continue
            if seg.kind is None and region.kind in ("situation", "other"):
                forest = run_in_practices(text, region, forest)
                if not forest:
                    continue
                kind = "practices"
            if kind == "practices" or (kind in ("situation", "other") and seg.lead_in):
                add_practices(out, text, forest, language, short_group(region.heading, seg.lead_in), parent_id,
                               report.studied_regions)
            elif kind in ("findings", "recommendations", "mixed"):
                add_statements(out, text, forest, kind, language)
            else:
                continue
            region_items = True
            taken.append((seg.start, seg.end))
        if not region_items and region.kind in ("findings", "recommendations", "mixed"):
            add_paragraph_statements(out, text, region, region.kind)
            taken.append((region.start, region.end))
    if not explicit & {"recommendations", "mixed"}:
        add_strong_recommendations(out, text, regions, taken)
    out.recommendations = dedupe_recommendations(out.recommendations)
    _renumber(out)
    _link_supports(out)
    out.stages = extract_stages(text, language, report.year)
    return out


ENUMERATED_HEADING = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}[、是]|"
                                r"第[一二三四五六七八九十]{1,3}[，,、]|\d{1,2}[.、．)]|[IVX]{1,4}[.)])\s*")


class HeadingItems:
    """Sections whose headings are items of a list ("（一）加强宏观调控", "2. Strengthen ...") inside a practices,
    findings or recommendations part: the heading states the item and the body gives its detail."""

    def __init__(self, report: Report, text: str):
        self.text = text
        self.sections = sorted_sections(report)
        kinds = section_kinds(self.sections) if self.sections else []
        self.parents = parent_indices(self.sections)
        self.kind_of: dict[int, str] = {}
        for i, sec in enumerate(self.sections):
            parent = self.parents[i]
            if parent is None or not ENUMERATED_HEADING.match(sec.heading):
                continue
            if kinds[parent] in ("practices", "findings", "recommendations", "mixed"):
                self.kind_of[i] = kinds[parent]
        self.statement_sections = {i for i, k in self.kind_of.items() if k != "practices"}
        self.practice_sections = {i for i, k in self.kind_of.items() if k == "practices"}
        self.practice_ids: dict[int, str] = {}

    def emit(self, index: Optional[int], out: Structure) -> Optional[str]:
        """Record the item of section ``index`` once; return the practice id its body's lists hang under."""
        if index is None:
            return None
        if index in self.practice_ids:
            return self.practice_ids[index]
        if index not in self.kind_of:
            parent = self.parents[index]
            return self.practice_ids.get(parent) if parent is not None else None
        sec = self.sections[index]
        kind = self.kind_of.pop(index)
        headline = clean(ENUMERATED_HEADING.sub("", sec.heading, count=1)).rstrip("。.;；")
        body_start = sec.heading_span[1] if sec.heading_span else sec.span[0]
        paragraphs = paragraph_spans(self.text, body_start, sec.span[1])
        detail = clean(self.text[paragraphs[0][0]:paragraphs[0][1]]) if paragraphs else ""
        span = (sec.span[0], sec.span[1])
        if kind == "practices":
            parent = self.parents[index]
            parent_id = self.practice_ids.get(parent) if parent is not None else None
            level = 1 + (next(p.level for p in out.practices if p.id == parent_id) if parent_id else 0)
            pid = practice_id(out, parent_id)
            group = clean(self.sections[parent].heading) if parent is not None else None
            out.practices.append(Practice(id=pid, text=headline, detail=detail, level=level, parent=parent_id,
                                          group=group, span=span, sentence=clean(sec.heading)))
            self.practice_ids[index] = pid
            return pid
        if kind == "findings":
            out.findings.append(Finding(id="", text=headline, detail=detail, span=span, sentence=clean(sec.heading)))
        else:
            out.recommendations.append(Recommendation(id="", text=headline, detail=detail, span=span,
                                                      sentence=clean(sec.heading),
                                                      target=recommendation_target(headline)))
        return None



def _renumber(out: Structure) -> None:
    out.findings.sort(key=lambda f: f.span[0])
    for i, f in enumerate(out.findings, 1):
        f.id = f"F{i}"
    for i, r in enumerate(out.recommendations, 1):
        r.id = f"R{i}"


def _link_supports(out: Structure) -> None:
    """Each recommendation lists the findings and top-level practices it shares most content words with."""
    pool = [(f.id, f"{f.text} {f.detail}") for f in out.findings] + \
           [(p.id, p.text) for p in out.practices if p.level == 1]
    pool_tokens = [(pid, content_tokens(t)) for pid, t in pool]
    for rec in out.recommendations:
        mine = content_tokens(rec.text)
        if not mine:
            continue
        scored = sorted(((len(mine & toks) / len(mine), pid) for pid, toks in pool_tokens if toks), reverse=True)
        rec.supports = [pid for score, pid in scored[:3] if score >= 0.4]


