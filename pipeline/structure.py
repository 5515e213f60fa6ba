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
  ordinal stage sentences ("The first stage, from 2003 to 2007, ...") with events resolved to years through
  ``data/structure/events.json``.
Only the blank sentencizer is used here; no statistical model.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional

from pipeline.enumerations import (BLANK_LINE, EnumItem, find_markers, first_sentence_end, parse_enumeration,
                                   split_headline, walk)
from pipeline.records import Finding, Practice, Recommendation, Report, Stage
from pipeline.ingest import long_sentence_heading

Span = tuple[int, int]


@dataclass
class Structure:
    """What ``extract_structure`` returns; the lead copies these lists onto the ``Analysis``."""

    practices: list[Practice] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)


@dataclass
class Region:
    """A stretch of text read as one part: a section body without its heading and sub-sections."""

    start: int
    end: int
    kind: str  # situation / practices / findings / recommendations / mixed / method / other
    heading: Optional[str] = None
    section: Optional[int] = None  # index into the report's sections sorted by position


@dataclass
class Segment:
    """A region cut at lead-in sentences; ``kind`` is what the lead-in (or the region) says follows."""

    start: int
    end: int
    kind: Optional[str]
    lead_in: Optional[str] = None


# --------------------------------------------------------------------------------------------- data

@lru_cache(maxsize=None)
def load_data(name: str) -> dict:
    with resources.files("pipeline").joinpath(f"data/structure/{name}").open(encoding="utf-8") as fh:
        return json.load(fh)


def _any(patterns: Iterable[str], text: str, flags: int = re.I) -> bool:
    return any(re.search(p, text, flags) for p in patterns)


def cue_kind(text: str, table: dict, order: tuple[str, ...]) -> Optional[str]:
    for kind in order:
        if _any(table.get(kind, []), text):
            return kind
    return None


def is_chinese(report: Report) -> bool:
    return report.language.startswith("zh")


TOKEN = re.compile(r"[a-z0-9]+")
CJK = re.compile(r"[\u3400-\u9fff]+")
STOP = set("""a an the of in on at to for from by with and or but as is are was were be been being this that these
those it its their there they them we our us which who what when where how all any both each more most other some such
no not only same so than too very can will just should also into over under then about between through during before
after do does did have has had one two three first second third""".split())


def content_tokens(text: str) -> set[str]:
    """Content words cut to six letters; Chinese as character bigrams (cheap lexical overlap)."""
    words = {w[:6] for w in TOKEN.findall(text.lower()) if w not in STOP and len(w) > 1}
    for run in CJK.findall(text):
        words.update(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    return words


def overlap(a: str, b: str) -> float:
    ta, tb = content_tokens(a), content_tokens(b)
    return len(ta & tb) / min(len(ta), len(tb)) if ta and tb else 0.0


# ------------------------------------------------------------------------------------------ regions

def heading_kind(heading: str) -> Optional[str]:
    table = load_data("cues.json")["heading_kinds"]
    if long_sentence_heading(heading):
        # "Implementing GAO's Recommendations Can Help DOD ..." is a chapter about recommendations
        return cue_kind(heading, table, ("method", "other", "practices"))
    rec = _any(table["recommendations"], heading)
    fin = _any(table["findings"], heading)
    if rec and fin:
        return "mixed"
    if rec:
        return "recommendations"
    if fin:
        return "findings"
    return cue_kind(heading, table, ("method", "other", "practices"))


def sorted_sections(report: Report) -> list:
    return sorted(report.sections, key=lambda s: (s.span[0], -s.span[1]))


def section_kinds(sections: list) -> list[str]:
    """Each section's effective kind: the ingested kind, refined by heading cues, inherited by sub-sections
    that say nothing of their own."""
    kinds: list[str] = []
    for i, sec in enumerate(sections):
        kind = sec.kind
        refined = heading_kind(sec.heading)
        if refined and (kind in ("other", "situation") or refined == "mixed"):
            kind = refined
        parent = _parent_index(sections, i)
        if parent is not None and kind in ("other", "situation") and kinds[parent] not in ("other", "situation"):
            kind = kinds[parent]
        kinds.append(kind)
    return kinds


def regions_of(report: Report) -> list[Region]:
    """Section bodies in document order (children cut out of their parents), text before them as 'other'."""
    text = report.text
    sections = sorted_sections(report)
    if not sections:
        return cue_heading_regions(text)
    kinds = section_kinds(sections)
    regions: list[Region] = []
    if sections[0].span[0] > 0:
        regions.append(Region(0, sections[0].span[0], "other"))
    for i, sec in enumerate(sections):
        body_start = sec.heading_span[1] if sec.heading_span else sec.span[0]
        children = [s.span for j, s in enumerate(sections) if _parent_index(sections, j) == i]
        pos = body_start
        for cs, ce in sorted(children):
            if cs > pos:
                regions.append(Region(pos, cs, kinds[i], sec.heading, i))
            pos = max(pos, ce)
        if sec.span[1] > pos:
            regions.append(Region(pos, sec.span[1], kinds[i], sec.heading, i))
    return [r for r in regions if r.end > r.start]


ZH_HEADING = re.compile(r"^[一二三四五六七八九十]{1,3}、[^。；]{2,40}$")
HEADING_LINE = re.compile(r"^[ \t]*[#*]*[ \t]*(?P<h>[^\n]{3,90}?)[ \t*]*$", re.M)


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s.lower())


def looks_like_heading(text: str, start: int, end: int) -> bool:
    """A markdown heading, a bold line that is not a caption's continuation, or a short upper- or title-case
    line standing on its own (not a wrapped line of prose, not a contents line ending in a page number)."""
    raw = text[start:end].strip()
    prev_end = text.rfind("\n", 0, max(0, start - 1))
    previous = text[prev_end + 1:max(0, start - 1)].strip()
    if raw.startswith("#"):
        return True
    line = raw.strip("*# \t")
    if len(line.split()) > 10 or re.search(r"[.;,:]$|\d$|^\d+[.)]\s|^[-•]|^(?:figure|table|source|note)\b",
                                           line, re.I):
        return False
    if raw.startswith("**") and raw.endswith("**"):
        return not previous.startswith("**")
    letters = [c for c in line if c.isalpha()]
    upper = sum(c.isupper() for c in letters) >= 0.8 * max(1, len(letters))
    words = [w for w in line.split() if len(w) > 3]
    title = words and sum(w[0].isupper() for w in words) >= 0.8 * len(words)
    stands_alone = not previous or re.search(r"[.!?:]$", previous) is not None or previous.isupper()
    return bool((upper or title) and stands_alone)


def cue_heading_regions(text: str) -> list[Region]:
    """Regions of a report that came without sections: short lines that read as a findings or
    recommendations heading ("What GAO Found", "SUMMARY OF C ONCLUSIONS AND RECOMMENDATIONS" with the
    split words PDF extraction leaves) open a region that runs to the next such line or to an appendix."""
    table = load_data("cues.json")["heading_kinds"]
    squashed = {kind: [re.sub(r"\\b|\\s\??|\s", "", cue) for cue in cues] for kind, cues in table.items()}
    cuts: list[tuple[int, int, str, str]] = []
    for m in HEADING_LINE.finditer(text):
        line = m.group("h").strip()
        if ZH_HEADING.match(line):
            kind = heading_kind(line) or "other"
            cuts.append((m.start(), m.end(), "findings" if kind == "mixed" else kind, line))
            continue
        if not looks_like_heading(text, m.start(), m.end()):
            continue
        flat = re.sub(r"^(?:summaryof|chapter\d+:?|[ivx]+\.|\d+\.?)", "", _squash(line))
        # a short heading may carry its cue anywhere ("Several lessons"), a longer one must open with it
        find = re.search if len(line.split()) <= 5 else re.match
        rec = any(find(c, flat) for c in squashed["recommendations"])
        fin = any(find(c, flat) for c in squashed["findings"])
        # "Conclusions and recommendations": the second cue follows the first
        rec = rec or (fin and any(re.search(c, flat) for c in squashed["recommendations"]))
        kind = "mixed" if rec and fin else "recommendations" if rec else "findings" if fin else None
        if kind is None and any(re.match(c, flat) for c in squashed["other"] + squashed["method"]):
            kind = "other"
        if kind:
            cuts.append((m.start(), m.end(), kind, line))
    if not cuts:
        return [Region(0, len(text), "other")]
    regions = [Region(0, cuts[0][0], "other")] if cuts[0][0] > 0 else []
    for i, (s, e, kind, line) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        regions.append(Region(e, end, kind, line))
    return [r for r in regions if r.end > r.start]


def _parent_index(sections, i: int) -> Optional[int]:
    s, e = sections[i].span
    best = None
    for j, other in enumerate(sections):
        if j != i and other.span[0] <= s and e <= other.span[1] and (other.span != (s, e) or j < i):
            if best is None or other.span[0] >= sections[best].span[0]:
                best = j
    return best


# --------------------------------------------------------------------------------------- lead-ins

def preceding_sentences(text: str, floor: int, pos: int, count: int = 2) -> list[str]:
    """Up to ``count`` sentences that end right before ``pos`` (nearest first)."""
    chunk = text[max(floor, pos - 1500):pos].rstrip()
    # a colon ends a lead-in even when the translator ran the first item on: "as follows: First, ..."
    pieces = re.split(r"(?<=[.!?。！？:：])\s+|(?<=[。！？：])", chunk)
    pieces = [p.strip() for p in pieces if p.strip()]
    return list(reversed(pieces[-count:]))


def lead_in_kind(text: str, floor: int, pos: int, region_kind: str = "other"
                 ) -> tuple[Optional[str], Optional[str]]:
    """(kind, sentence) when the sentence before ``pos`` announces a list ("unknown" if it names no kind).
    A lead-in naming several kinds ("the main practices and experiences are:") takes the part's own kind
    when it is among them, else recommendations before findings before practices."""
    cues = load_data("cues.json")["lead_in"]
    before = preceding_sentences(text, floor, pos)
    if not before or not re.search(cues["pattern"], before[0], re.I):
        return None, None
    order = ("recommendations", "findings", "practices")
    # outside findings and recommendations parts, what a report lists as "practices and experiences" was done
    own = "practices" if region_kind in ("situation", "other") else region_kind
    for sentence in before:
        named = [kind for kind in order if _any(cues.get(kind, []), sentence)]
        if named:
            return (own if own in named else named[0]), before[0]
    return "unknown", before[0]


def counted_non_practices(text: str, floor: int, pos: int) -> Optional[str]:
    """The sentence before ``pos`` when it counts reasons, challenges, risks... ("SBA officials cited two key
    reasons for not seeking this authority."): the list after it is not of measures taken."""
    before = preceding_sentences(text, floor, pos, count=1)
    if before and re.search(load_data("cues.json")["counted_non_practices"], before[0], re.I):
        return before[0]
    return None


def segments_of(text: str, region: Region, language: str) -> list[Segment]:
    markers = find_markers(text, region.start, region.end, language)
    segments = [Segment(region.start, region.end, None)]
    prev = None
    for mk in markers:
        opens_list = mk.ordinal == 1 or (mk.ordinal is None and (prev is None or prev.family != mk.family))
        prev = mk
        if not opens_list:
            continue
        kind, sentence = lead_in_kind(text, region.start, mk.start, region.kind)
        if sentence is None or kind == "unknown":
            counted = counted_non_practices(text, region.start, mk.start)
            if counted is not None:
                kind, sentence = "non_practices", counted
        if sentence is None:
            continue
        segments[-1].end = mk.start
        segments.append(Segment(mk.start, region.end, None if kind == "unknown" else kind, sentence))
    return segments


# ----------------------------------------------------------------------------------------- helpers

def sentence_of(text: str, pos: int, floor: int = 0) -> str:
    s = pos
    while s > floor and not (text[s - 1] in ".!?。！？\n" and (s >= len(text) or text[s] in " \n\t")):
        s -= 1
        if pos - s > 1500:
            break
    e = first_sentence_end(text, pos, min(len(text), pos + 3000))
    return text[s:e].strip()


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def paragraph_spans(text: str, start: int, end: int) -> list[Span]:
    """Paragraphs: blank-line blocks, split again at short lines that end a sentence (hard-wrapped PDF text)."""
    spans: list[Span] = []
    pos = start
    blocks = []
    for m in re.finditer(r"\n[ \t]*\n", text[start:end]):
        blocks.append((pos, start + m.start()))
        pos = start + m.end()
    blocks.append((pos, end))
    for bs, be in blocks:
        lines = []
        off = bs
        for line in text[bs:be].split("\n"):
            lines.append((off, off + len(line)))
            off += len(line) + 1
        width = max((e - s for s, e in lines), default=0)
        ps = bs
        for ls, le in lines:
            line = text[ls:le]
            ends_sentence = re.search(r"[.!?。！？:][\"”’)]*\s*$", line) is not None
            short = (le - ls) < 0.8 * width or line.endswith("  ")
            if width < 200 and ends_sentence and short or width >= 200:
                if le > ps:
                    spans.append((ps, le))
                ps = le + 1
        if be > ps:
            spans.append((ps, be))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_first_sentence(text: str, s: int, e: int) -> tuple[Span, Span]:
    se = first_sentence_end(text, s, e)
    return (s, se), (se, e)


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
            if shared and _any(modality, parts[1]):
                out.append(parts[1])
                continue
        out.append(headlines[i])
    return out


def _stem_overlap(a: str, b: str) -> float:
    """Overlap of five-letter word stems, so that 'To build clinics' and 'Building clinics' match."""
    ta = {t[:5] for t in content_tokens(a) if not t.isdigit()} - {"to"}
    tb = {t[:5] for t in content_tokens(b) if not t.isdigit()} - {"to"}
    return len(ta & tb) / min(len(ta), len(tb)) if ta and tb else 0.0


PLACE = re.compile(r"(?<![A-Za-z] )\b([A-Z][a-z]+) (?:City|Province|County|Prefecture|Municipality)\b")
ACTOR = re.compile(r"\b(?:[Tt]he )?((?:(?!The\b)[A-Z][\w-]+ )+(?:Party Committee|Committee|Department|Ministry|Office|"
                   r"Bureau|Agency|Administration|Council|Government|Service)(?: of (?:the )?[A-Z][\w-]+(?: [A-Z][\w-]+)*)?)")


def region_and_actor(passage: str, places: list[str] = ()) -> tuple[Optional[str], Optional[str]]:
    """The place and the acting body an item names: the first of the report's studied places it mentions
    ("Wenzhou, Yiwu and other cities have established ..."), else a "X City" / "X Province"; the first
    capitalised body ("the Zhejiang Provincial Committee")."""
    mentions = [(m.start(), place) for place in places
                for m in [re.search(rf"\b{re.escape(place)}\b" if place.isascii() else re.escape(place), passage)] if m]
    place = min(mentions)[1] if mentions else None
    if place is None:
        m = PLACE.search(passage)
        place = m.group(1) if m else None
    actor = ACTOR.search(passage)
    return place, (actor.group(1) if actor else None)


def short_group(heading: Optional[str], lead_in: Optional[str]) -> Optional[str]:
    return clean(heading) if heading else (clean(lead_in) if lead_in else None)


# ------------------------------------------------------------------------------------ recommenders

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
    return _any(patterns, sentence)


def skip_paragraph(paragraph: str) -> bool:
    skips = load_data("cues.json")["finding_paragraph_skip"] + [r"^\*?\[", r"^#"]
    if CJK.search(paragraph):
        return _any(skips, paragraph.strip())
    # titles, captions and signatures carry no sentence end
    return _any(skips, paragraph.strip()) or len(paragraph.split()) < 8 or \
        not re.search(r"[.!?][\"”’)]*(?:\s|$)", paragraph)


# ------------------------------------------------------------------------------------------- stage

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
                _add_practices(out, text, forest, language, short_group(region.heading, seg.lead_in), parent_id,
                               report.studied_regions)
            elif kind in ("findings", "recommendations", "mixed"):
                _add_statements(out, text, forest, kind, language)
            else:
                continue
            region_items = True
            taken.append((seg.start, seg.end))
        if not region_items and region.kind in ("findings", "recommendations", "mixed"):
            _add_paragraph_statements(out, text, region, region.kind)
            taken.append((region.start, region.end))
    if not explicit & {"recommendations", "mixed"}:
        _add_strong_recommendations(out, text, regions, taken)
    out.recommendations = _dedupe_recommendations(out.recommendations)
    _renumber(out)
    _link_supports(out)
    out.stages = extract_stages(text, language)
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
        self.kind_of: dict[int, str] = {}
        for i, sec in enumerate(self.sections):
            parent = _parent_index(self.sections, i)
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
            parent = _parent_index(self.sections, index)
            return self.practice_ids.get(parent) if parent is not None else None
        sec = self.sections[index]
        kind = self.kind_of.pop(index)
        headline = clean(ENUMERATED_HEADING.sub("", sec.heading, count=1)).rstrip("。.;；")
        body_start = sec.heading_span[1] if sec.heading_span else sec.span[0]
        paragraphs = paragraph_spans(self.text, body_start, sec.span[1])
        detail = clean(self.text[paragraphs[0][0]:paragraphs[0][1]]) if paragraphs else ""
        span = (sec.span[0], sec.span[1])
        if kind == "practices":
            parent = _parent_index(self.sections, index)
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


# How far before a run of run-in headings a practice cue may stand: the lead-in paragraph, not a footnote
# a page earlier ("When IRS takes action ..." before a list of risks is no lead-in to practices).
PRACTICE_CUE_WINDOW = 600


def run_in_practices(text: str, region: Region, forest: list[EnumItem]) -> list[EnumItem]:
    """Unannounced run-in heading lists ("Expedited agreement process. According to ...") are practices when
    the text just before a run names practices, measures, steps or actions; runs are items no more than two
    paragraphs apart."""
    items = [it for it in forest if it.marker.family in ("bold_run_in", "run_in")]
    runs: list[list[EnumItem]] = []
    for item in items:
        if runs and len(BLANK_LINE.findall(text, runs[-1][-1].end, item.start)) <= 2:
            runs[-1].append(item)
        else:
            runs.append([item])
    cue = re.compile(load_data("cues.json")["practice_window"], re.I)
    picked: list[EnumItem] = []
    for run in runs:
        window = text[max(region.start, run[0].start - PRACTICE_CUE_WINDOW):run[0].start]
        if len(run) >= 2 and cue.search(window):
            picked.extend(run)
    return picked


def practice_id(out: Structure, parent_id: Optional[str]) -> str:
    n = 1 + sum(1 for p in out.practices if p.parent == parent_id)
    return f"P{n}" if parent_id is None else f"{parent_id}.{n}"


WORDY = re.compile(r"[^\W\d_]{3,}|[\u3400-\u9fff]{2,}")


def _add_practices(out: Structure, text: str, forest: list[EnumItem], language: str, group: Optional[str],
                   under: Optional[str] = None, places: list[str] = ()) -> None:
    """Practices of an enumeration; ``under`` is the practice a heading states when the list sits in its body."""
    ids: dict[int, str] = {}
    offset = 0
    if under is not None:
        offset = next(p.level for p in out.practices if p.id == under)
    for item, level, parent in walk(forest):
        parent_id = ids.get(id(parent)) if parent is not None else under
        level += offset
        (hs, he), (ds, de) = split_headline(text, item, language)
        if he <= hs or not WORDY.search(text[hs:he]):
            continue  # no headline, or one without words (a citation fragment such as "-1")
        pid = practice_id(out, parent_id)
        ids[id(item)] = pid
        # a child's detail is its own text; a parent's detail stops where its children begin
        if item.children:
            de = min(de, item.children[0].start)
        sentence = sentence_of(text, hs)
        place, actor = region_and_actor(text[hs:min(item.end, hs + 400)], places)
        out.practices.append(Practice(
            id=pid, text=clean(text[hs:he]), detail=clean(text[ds:de]) if de > ds else "", level=level,
            parent=parent_id, group=group, region=place, actor=actor, span=(item.start, item.end),
            sentence=clean(sentence)))


def _add_statements(out: Structure, text: str, forest: list[EnumItem], kind: str, language: str) -> None:
    """One finding or recommendation per top-level item; children stay in its detail."""
    parts = [(item, *split_headline(text, item, language)) for item in forest]
    heads = strip_shared_lead_in([clean(text[h[0]:h[1]]) for _, h, _ in parts])
    for (item, (hs, he), (ds, de)), head in zip(parts, heads):
        if he <= hs:
            continue
        detail = clean(text[ds:de]) if de > ds else ""
        sentence = clean(sentence_of(text, hs))
        if kind == "mixed":
            _add_mixed(out, text, item.content_start, item.end, language)
        elif kind == "findings":
            out.findings.append(Finding(id="", text=head, detail=detail, span=(item.start, item.end),
                                        sentence=sentence))
        else:
            out.recommendations.append(Recommendation(
                id="", text=head, detail=detail, span=(item.start, item.end), sentence=sentence,
                target=recommendation_target(head)))


def _sentences(text: str, s: int, e: int) -> list[Span]:
    spans = []
    pos = s
    while pos < e:
        end = first_sentence_end(text, pos, e)
        a, b = pos, end
        while a < b and text[a].isspace():
            a += 1
        if b > a:
            # "(Recommendation 1)" or "(Paragraph 53)" after a full stop belongs to the sentence before it
            if spans and re.fullmatch(r"\([^()]{1,40}\)[.]?", text[a:b].strip()):
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
        pos = end if end > pos else e
    return spans


def _add_mixed(out: Structure, text: str, s: int, e: int, language: str) -> None:
    """A conclusions-and-recommendations paragraph: a finding up to its first recommending sentence, and a
    recommendation from there (a paragraph that is all recommendation gives only the recommendation)."""
    sents = _sentences(text, s, e)
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


def _add_paragraph_statements(out: Structure, text: str, region: Region, kind: str) -> None:
    taken = 0
    for ps, pe in paragraph_spans(text, region.start, region.end):
        paragraph = text[ps:pe]
        if skip_paragraph(paragraph):
            continue
        taken += 1
        if taken > MAX_PARAGRAPH_STATEMENTS:
            break
        if kind == "mixed":
            _add_mixed(out, text, ps, pe, "en")
            continue
        if kind == "findings":
            (a, b), (c, d) = split_first_sentence(text, ps, pe)
            out.findings.append(Finding(id="", text=clean(text[a:b]), detail=clean(text[c:d]), span=(ps, pe),
                                        sentence=clean(text[a:b])))
            continue
        sents = _sentences(text, ps, pe)
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


def _add_strong_recommendations(out: Structure, text: str, regions: list[Region], taken: list[Span]) -> None:
    """'We recommend that ...' and '(Recommendation 1)' sentences outside the parts already read, for reports
    that have no recommendations part."""
    for region in regions:
        if region.kind == "method":
            continue
        for a, b in _sentences(text, region.start, region.end):
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


def _dedupe_recommendations(recs: list[Recommendation]) -> list[Recommendation]:
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


# ------------------------------------------------------------------------------------------ stages

YEAR = r"(?:1[6-9]\d\d|20\d\d)"
EVENT = (r"(?:\d{1,2}(?:st|nd|rd|th) (?:National |Party |CPC )?(?:Congress|Plenum)|Third Plenary Session of the "
         r"\d{1,2}(?:st|nd|rd|th) Central Committee|reform and opening[- ]up|十[一二三四五六七八九]?大|二十大|十一届三中全会|改革开放)")
BOUND = rf"(?:the )?(?P<x>{EVENT}|{YEAR})"
STOPWORDS_LABEL = {"the", "a", "an", "to", "for", "as", "of", "in", "is", "was", "be", "and", "this", "that", "its",
                   "their", "which", "called", "named", "so-called", "it", "entered"}


def resolve_year(bound: Optional[str]) -> Optional[int]:
    if not bound:
        return None
    if re.fullmatch(YEAR, bound):
        return int(bound)
    events = load_data("events.json")["events"]
    key = bound.lower().strip()
    if key in events:
        return events[key]
    m = re.match(r"(\d{1,2})(?:st|nd|rd|th) (?:national |party |cpc )?congress", key)
    if m:
        return events.get(f"{int(m.group(1))}th national congress")
    return next((year for name, year in events.items() if name in key), None)


VERBS = {"is", "are", "was", "were", "will", "would", "can", "could", "may", "must", "should", "has", "have", "had"}
ORDINAL_WORDS = {"first", "second", "third", "fourth", "fifth", "sixth", "next", "last", "final", "initial"}


def stage_label(segment: str) -> Optional[str]:
    """The stage's name: "the stage of exploration and construction", "the normative exploration stage";
    ordinals ("the first stage") are not names."""
    m = re.search(r"\b(?:stage|phase|period) of ([\w\s-]+?)(?=[,;.，；。(（]|$)", segment, re.I)
    if m and len(m.group(1).split()) <= 6 and not re.fullmatch(r"[\d\s-]+", m.group(1)):
        return m.group(1).strip()
    for m in re.finditer(r"((?:[\w-]+ ){0,3}[\w-]+) (?:stage|phase|period)\b", segment, re.I):
        words = m.group(1).split()
        while words and (words[0].lower() in STOPWORDS_LABEL or words[0].lower() in ORDINAL_WORDS
                         or re.fullmatch(r"\d+,?", words[0])):
            words.pop(0)
        if words:
            return " ".join(words)
    for m in re.finditer(r"([\u4e00-\u9fff]{2,8}?)(?:阶段|时期)", segment):
        label = re.sub(r"^(?:第[一二三四五六]个?|是|为|进入|了)+", "", m.group(1))
        label = re.split(r"[的之]", label)[-1]
        if len(label) >= 2:
            return label
    return None


def stage_bounds(segment: str) -> tuple[Optional[str], Optional[str]]:
    m = re.search(rf"\bfrom {BOUND} (?:to|until|through) (?:the )?(?P<y>{EVENT}|{YEAR})", segment, re.I) or \
        re.search(rf"(?P<x>{YEAR})年?\s*[-–—~至到]\s*(?P<y>{YEAR})", segment)
    if m:
        return m.group("x"), m.group("y")
    start = end = None
    m = re.search(rf"\b(?:before|until|up to|prior to) {BOUND}", segment, re.I) or \
        re.search(rf"(?P<x>{EVENT}|{YEAR}年?)(?:之前|以前)", segment)
    if m:
        end = m.group("x").rstrip("年")
    m = re.search(rf"\b(?:since|after|from|starting in|beginning in) {BOUND}", segment, re.I) or \
        re.search(rf"(?P<x>{EVENT}|{YEAR}年?)(?:以来|之后|以后)", segment)
    if m:
        start = m.group("x").rstrip("年")
    if start is None and end is None:
        m = re.match(rf"\s*(?:the )?(?P<x>{EVENT})", segment, re.I)
        if m:
            start = m.group("x")
    return start, end


def _normalize_bound(bound: Optional[str]) -> Optional[str]:
    if bound is None:
        return None
    return re.sub(r"^the ", "", bound.strip(), flags=re.I)


def extract_stages(text: str, language: str = "en") -> list[Stage]:
    cues = load_data("cues.json")
    stages: list[Stage] = []
    for m in re.finditer(cues["periodization"] + r"[^:;：。.]{0,20}[:：]", text, re.I):
        stages.extend(_periodization(text, m.end(), len(stages), _count(m.group("count"))))
    for m in re.finditer(cues["zh_periodization"] + r"[^：。]{0,10}[：，]", text):
        stages.extend(_periodization(text, m.end(), len(stages), _count(m.group("count"))))
    if not stages:
        stages = _ordinal_stages(text)
    return stages


def _count(word: str) -> int:
    words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
    return int(word) if word.isdigit() else words.get(word.lower(), 6)


def _periodization(text: str, start: int, numbered_from: int, count: int) -> list[Stage]:
    para_end = text.find("\n\n", start)
    limit = min(len(text), start + 2500, para_end if para_end > 0 else len(text))
    pieces = []
    pos = start
    for m in re.finditer(r"[;；]", text[start:limit]):
        if len(pieces) == count - 1:
            break
        pieces.append((pos, start + m.start()))
        pos = start + m.end()
    last_end = first_sentence_end(text, pos, limit)
    pieces.append((pos, last_end))
    if len(pieces) < min(count, 2):
        # "three stages: The first ... (1978-1992). The second ... ." -- stages as sentences
        pieces = []
        pos = start
        while len(pieces) < count and pos < limit:
            end = first_sentence_end(text, pos, limit)
            pieces.append((pos, end))
            pos = end
    found = []
    for s, e in pieces:
        seg = text[s:e]
        label = stage_label(seg)
        if not label:
            continue
        begin, end = stage_bounds(seg)
        found.append([label, _normalize_bound(begin), _normalize_bound(end), s, e])
    if len(found) < 2 or not any(f[1] or f[2] for f in found):
        return []
    for i, f in enumerate(found):
        if f[2] is None and i + 1 < len(found) and found[i + 1][1]:
            f[2] = found[i + 1][1]
        if f[1] is None and i > 0 and found[i - 1][2]:
            f[1] = found[i - 1][2]
    stages = []
    for i, (label, begin, end, s, e) in enumerate(found, 1):
        a, b = s, e
        while a < b and text[a].isspace():
            a += 1
        stages.append(Stage(id=f"S{numbered_from + i}", text=clean(text[a:b]), span=(a, b),
                            sentence=clean(sentence_of(text, a)), label=label, order=numbered_from + i,
                            start=begin, end=end, start_year=resolve_year(begin), end_year=resolve_year(end)))
    return stages


def _ordinal_stages(text: str) -> list[Stage]:
    """'The first stage (1978-1992) ...', 'Stage 1 grants ... Stage 2 grants ...': ordinal stages are kept only
    when every one is bounded in time; a program's named "Stage 1", "Stage 2" need no dates ("Phase I awards"
    of a grant program do, so that they are not read as history)."""
    pattern = re.compile(r"\b(?:the (?P<w>first|second|third|fourth|fifth) (?:stage|phase|period)|"
                         r"(?:Stage|Phase) (?P<d>[1-5])\b)", re.I)
    hits = list(pattern.finditer(text))
    groups: list[list[re.Match]] = []
    for m in hits:
        n = int(m.group("d")) if m.group("d") else ["first", "second", "third", "fourth", "fifth"].index(
            m.group("w").lower()) + 1
        if groups and n == len(groups[-1]) + 1 and m.start() - groups[-1][-1].start() < 3000:
            groups[-1].append(m)
        elif n == 1:
            groups.append([m])
    stages: list[Stage] = []
    for group in groups:
        if len(group) < 2:
            continue
        named = all(m.group("d") and m.group(0).startswith("Stage") for m in group)
        rows = []
        for i, m in enumerate(group):
            e = first_sentence_end(text, m.start(), len(text))
            seg = text[m.start():e]
            begin, end = stage_bounds(seg)
            if not (begin or end or named):
                rows = []
                break
            label = stage_label(seg[m.end() - m.start():]) if "of" in seg[:40] else None
            if named and not label:
                following = re.match(r"\s+([a-z]+)\b", text[m.end():m.end() + 30])
                noun = following.group(1) if following and following.group(1) not in STOPWORDS_LABEL | VERBS else ""
                label = f"{m.group(0)} {noun}".strip()
            rows.append((label or clean(m.group(0)), begin, end, m.start(), e))
        for label, begin, end, s, e in rows:
            stages.append(Stage(id=f"S{len(stages) + 1}", text=clean(text[s:e]), span=(s, e),
                                sentence=clean(text[s:e]), label=label, order=len(stages) + 1,
                                start=begin, end=end, start_year=resolve_year(begin), end_year=resolve_year(end)))
    return stages
