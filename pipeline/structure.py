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
  recommendations part, else one finding a sentence of a prose summary and one recommendation per
  recommending sentence; a numbered conclusions-and-recommendations paragraph has one role; recommending
  sentences ("We recommend that", "(Recommendation 1)", "Congress should consider") read in every part but
  appendices, and a testimony's reported ones ("GAO recommended that"); findings of reports without a findings
  part (question-and-answer answers, announced paragraphs, short briefs); twins kept once; ``supports`` links
  by lexical overlap;
* stages: periodizations ("has experienced three stages: before X, the stage of A; ...; since Y, B"),
  ordinal and numbered programme stages, and the periods Chinese reports review (过去五年, “九五”计划),
  resolved against the report's year (see ``stages``).
Only the blank sentencizer is used here; no statistical model. The parts live in their own modules:
``regions`` (parts and lead-ins), ``practices``, ``statements``, ``findings``, ``recommendations``, ``stages``; this
module runs them over the regions in order and numbers and links what they give.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Optional

from pipeline.enumerations import is_line_initial, parse_enumeration
from pipeline.cues import is_barrier_heading
from pipeline.practices import (add_practices, list_states_lessons, list_states_problems, practice_id, run_in_practices,
                                short_group, states_lessons)
from pipeline.records import Finding, Practice, Recommendation, Report, Stage
from pipeline.regions import (parent_indices, preceding_sentences, regions_of, section_kinds, segments_of,
                              sorted_sections)
from pipeline.findings import add_brief_findings, add_unheaded_findings
from pipeline.recommendations import (add_recommendation, add_spelled_out_recommendation,
                                      add_strong_recommendations, dedupe_recommendations, is_recommending,
                                      recommendation_target, reports_earlier)
from pipeline.stages import extract_stages
from pipeline.statements import add_paragraph_statements, add_statements
from pipeline.textspans import Span, clean, content_tokens, paragraph_spans


@dataclass
class Structure:
    """What ``extract_structure`` returns; the lead copies these lists onto the ``Analysis``."""

    practices: list[Practice] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    # which part (region number) each recommendation came from, and the part being read
    part_of: dict[int, int] = field(default_factory=dict, repr=False)
    part: int = 0
    reported: bool = False  # the report's recommendations are earlier ones it tells of (a testimony)
    orphan_findings: bool = False  # the findings part just read stated nothing (see add_paragraph_statements)


def is_chinese(report: Report) -> bool:
    return report.language.startswith("zh")


def extract_structure(report: Report) -> Structure:
    text = report.text
    language = "zh" if is_chinese(report) else "en"
    out = Structure()
    taken: list[Span] = []  # text already read for recommendations, not scanned again for recommending sentences
    regions = regions_of(report)
    # where the report names its findings or recommendations parts, lists elsewhere are not read as such
    explicit = {r.kind for r in regions} & {"findings", "recommendations", "mixed"}
    out.reported = reports_earlier(text, regions)
    items_by_heading = HeadingItems(report, text)
    for part, region in enumerate(regions):
        if region.kind == "method":
            continue
        out.part = part
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
            # "we recommend that they ... the following elements:" announces recommendations wherever it stands
            announced = seg.kind == "recommendations" and is_recommending(seg.lead_in or "", strong_only=True)
            if seg.kind in ("findings", "recommendations") and explicit & {seg.kind, "mixed"} and \
                    region.kind not in ("findings", "recommendations", "mixed") and not announced:
                continue
            forest = parse_enumeration(text, seg.start, seg.end, language)
            if announced and explicit & {"recommendations", "mixed"} and \
                    region.kind not in ("findings", "recommendations", "mixed") and \
                    not all(is_line_initial(text, item.start) for item in forest):
                continue  # "Congress should consider: (1) ..., (2) ..." lists inside one sentence
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
            if kind == "practices" and list_states_lessons(text, forest, seg.lead_in, language):
                kind = "findings"  # "主要工作体会是：第一，必须坚持解放思想。" lists lessons learned
            if kind == "practices" or (kind in ("situation", "other") and seg.lead_in):
                if is_barrier_heading(region.heading) or list_states_problems(text, forest, language):
                    continue  # problems, risks, challenges: never practices (nor themes)
                add_practices(out, text, forest, language, short_group(region.heading, seg.lead_in), parent_id,
                               report.studied_regions)
            elif kind == "recommendations" and (spelled := add_spelled_out_recommendation(
                    out, text, region.start, seg.lead_in, forest[-1].end)):
                taken.append(spelled)
            elif kind in ("findings", "recommendations", "mixed"):
                add_statements(out, text, forest, kind, language)
            else:
                continue
            region_items = True
            if kind in ("recommendations", "mixed"):
                taken.append((seg.start, seg.end))
        if not region_items and region.kind in ("findings", "recommendations", "mixed"):
            add_paragraph_statements(out, text, region, region.kind)
            if region.kind != "findings":  # a findings summary's recommending sentences are read below
                taken.append((region.start, region.end))
    if not explicit & {"findings", "mixed"}:
        add_unheaded_findings(out, text, regions)
        add_brief_findings(out, text, regions)
    add_strong_recommendations(out, text, regions, taken)
    out.recommendations = dedupe_recommendations(out.recommendations, out.part_of)
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
        self._lessons_to_findings()
        self.statement_sections = {i for i, k in self.kind_of.items() if k != "practices"}
        self.practice_sections = {i for i, k in self.kind_of.items() if k == "practices"}
        self.practice_ids: dict[int, str] = {}

    def _lessons_to_findings(self) -> None:
        """List-item sub-sections of a practices part that its lessons lead-in announces and that state what
        must be done ("（一）必须坚持解放思想") are findings."""
        members: dict[int, list[int]] = {}
        for i, kind in self.kind_of.items():
            if kind == "practices":
                members.setdefault(self.parents[i], []).append(i)
        for parent, items in members.items():
            sec = self.sections[parent]
            body_start = sec.heading_span[1] if sec.heading_span else sec.span[0]
            lead = preceding_sentences(self.text, body_start, self.sections[min(items)].span[0], count=1)
            headlines = [ENUMERATED_HEADING.sub("", self.sections[i].heading, count=1) for i in items]
            if states_lessons(headlines, lead[0] if lead else None):
                self.kind_of.update({i: "findings" for i in items})

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
            add_recommendation(out, Recommendation(id="", text=headline, detail=detail, span=span,
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
    by_token: dict[str, list[int]] = {}  # word -> pool items holding it, so the cost follows shared words
    for n, (_, t) in enumerate(pool):
        for token in content_tokens(t):
            by_token.setdefault(token, []).append(n)
    for rec in out.recommendations:
        mine = content_tokens(rec.text)
        if not mine:
            continue
        shared: dict[int, int] = {}
        for token in mine:
            for n in by_token.get(token, ()):
                shared[n] = shared.get(n, 0) + 1
        scored = sorted(((count / len(mine), pool[n][0]) for n, count in shared.items()), reverse=True)
        rec.supports = [pid for score, pid in scored[:3] if score >= 0.4]


