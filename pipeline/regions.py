"""Regions: a report's parts with what they hold (situation, practices, findings, recommendations, mixed,
method, other), and the lead-in sentences that classify a list inside a part.

A region is a section body with its sub-sections cut out; its kind is the ingested kind refined by heading cues
in ``data/structure/cues.json`` ("mixed" for "Conclusions and recommendations"). A report without sections is
cut at lines that read as such headings ("What GAO Found"). Lead-ins ("The main practices are as follows:")
cut a region into segments whose kind the lead-in names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

from pipeline.cues import announces_barriers, cue_kind, is_barrier_heading, load_data, matches_any
from pipeline.enumerations import find_markers
from pipeline.sections import long_sentence_heading
from pipeline.records import Report

Span = tuple[int, int]


@dataclass(frozen=True)
class Region:
    """A stretch of text read as one part: a section body without its heading and sub-sections. Frozen: the
    regions of a report are computed once and shared by every stage that reads them."""

    start: int
    end: int
    kind: str  # situation / practices / findings / recommendations / mixed / method / other
    heading: Optional[str] = None
    section: Optional[int] = None  # index into the report's sections sorted by position
    appendix: bool = False  # inside an appendix, annex or enclosure: supporting material, not the report's own say


@dataclass
class Segment:
    """A region cut at lead-in sentences; ``kind`` is what the lead-in (or the region) says follows."""

    start: int
    end: int
    kind: Optional[str]
    lead_in: Optional[str] = None


def heading_kind(heading: str) -> Optional[str]:
    table = load_data("cues.json")["heading_kinds"]
    if long_sentence_heading(heading):
        # "Implementing GAO's Recommendations Can Help DOD ..." is a chapter about recommendations
        return cue_kind(heading, table, ("method", "other", "practices"))
    rec = matches_any(table["recommendations"], heading)
    fin = matches_any(table["findings"], heading)
    if rec and fin:
        return "mixed"
    if rec:
        return "recommendations"
    if is_task_heading(heading):
        return "practices"
    if fin:
        return "findings"
    return cue_kind(heading, table, ("method", "other", "practices"))


def is_task_heading(heading: str) -> bool:
    """A heading naming the tasks of the coming period ("二、2008年主要任务"), not advice to someone else."""
    return matches_any(load_data("cues.json")["task_headings"], heading)


def sorted_sections(report: Report) -> list:
    return sorted(report.sections, key=lambda s: (s.span[0], -s.span[1]))


def is_appendix_heading(heading: str) -> bool:
    return re.match(load_data("cues.json")["appendix_heading"], heading.strip(" #*\t"), re.I) is not None


def appendix_flags(sections: list) -> list[bool]:
    """Which sections sit in an appendix: an appendix heading, or a parent that does."""
    flags: list[bool] = []
    for i, parent in enumerate(parent_indices(sections)):
        flags.append(is_appendix_heading(sections[i].heading) or (parent is not None and flags[parent]))
    return flags


def section_kinds(sections: list) -> list[str]:
    """Each section's effective kind: the ingested kind, refined by heading cues, inherited by sub-sections
    that say nothing of their own. Appendices are 'other' whatever they are about ("Status of GAO
    Recommendations", "Comments from the Agency"): they restate or support, the report's own say is before."""
    kinds: list[str] = []
    parents = parent_indices(sections)
    appendix = appendix_flags(sections)
    for i, sec in enumerate(sections):
        if appendix[i]:
            kinds.append("other")
            continue
        kind = sec.kind
        refined = heading_kind(sec.heading)
        if refined and (kind in ("other", "situation") or refined == "mixed"):
            kind = refined
        elif kind == "recommendations" and refined == "practices" and is_task_heading(sec.heading):
            # ingestion files "主要任务" under recommendations; a work report's tasks are measures it sets itself
            kind = "practices"
        parent = parents[i]
        if is_barrier_heading(sec.heading) and kind in ("other", "situation", "practices"):
            kinds.append("other")  # "Challenges" under "Practices": what hinders the measures, not one of them
            continue
        if parent is not None and kind in ("other", "situation") and kinds[parent] not in ("other", "situation"):
            kind = kinds[parent]
        kinds.append(kind)
    return kinds


_REGIONS: dict[tuple, tuple[Region, ...]] = {}
_REGIONS_KEPT = 8  # reports whose regions are kept: the ones in flight in this process


def regions_of(report: Report) -> list[Region]:
    """Section bodies in document order (children cut out of their parents), text before them as 'other'.
    Computed once per report text and sections: metadata and the structure stage read the same regions."""
    key = (report.id, len(report.text), hash(report.text),
           tuple((s.span, s.heading_span, s.kind, s.heading, s.level) for s in report.sections))
    if key not in _REGIONS:
        if len(_REGIONS) >= _REGIONS_KEPT:
            _REGIONS.pop(next(iter(_REGIONS)))
        _REGIONS[key] = tuple(compute_regions(report))
    return list(_REGIONS[key])


def compute_regions(report: Report) -> list[Region]:
    text = report.text
    sections = sorted_sections(report)
    if not sections:
        return cue_heading_regions(text)
    kinds = section_kinds(sections)
    appendix = appendix_flags(sections)
    children: list[list[Span]] = [[] for _ in sections]
    parents_of = parent_indices(sections)
    for j, parent in enumerate(parents_of):
        if parent is not None:
            children[parent].append(sections[j].span)
    regions: list[Region] = []
    if sections[0].span[0] > 0:
        regions.append(Region(0, sections[0].span[0], "other"))
    covered = sections[0].span[1]
    for i, sec in enumerate(sections):
        if parents_of[i] is None:
            # text between top-level sections (a letter's unheaded opening after the highlights pages) is
            # read like the text before the first one
            if sec.span[0] > covered:
                regions.append(Region(covered, sec.span[0], "other"))
            covered = max(covered, sec.span[1])
        body_start = sec.heading_span[1] if sec.heading_span else sec.span[0]
        pos = body_start
        for cs, ce in sorted(children[i]):
            if cs > pos:
                regions.append(Region(pos, cs, kinds[i], sec.heading, i, appendix[i]))
            pos = max(pos, ce)
        if sec.span[1] > pos:
            regions.append(Region(pos, sec.span[1], kinds[i], sec.heading, i, appendix[i]))
    # a part that says nothing of its kind may hold headings ingestion ran into the text
    return [piece for r in regions if r.end > r.start
            for piece in (cue_heading_regions(text, r.start, r.end, r) if r.kind == "other" and not r.appendix
                          else [r])]


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


def isolated_short_line(text: str, start: int, end: int) -> bool:
    """A line of a few words with blank lines around it, opening with a capital and not ended as a sentence
    ("Conclusions and recommendations" in plain text, where case gives no sign of a heading)."""
    line = text[start:end].strip()
    before = text[max(0, start - 2):start]
    after = text[end:end + 2]
    return (len(line.split()) <= 6 and line[:1].isupper() and not re.search(r"[.;,:!?]$", line)
            and (start == 0 or before.endswith("\n\n") or before == "\n") and (after.startswith("\n\n") or not after.strip()))


def cue_heading_regions(text: str, start: int = 0, end: Optional[int] = None,
                        outer: Optional[Region] = None) -> list[Region]:
    """Regions of a report, or of a part, whose headings ingestion did not see: short lines that read as a
    findings or recommendations heading ("What GAO Found", "SUMMARY OF C ONCLUSIONS AND RECOMMENDATIONS" with
    the split words PDF extraction leaves) open a region that runs to the next such line or to an appendix.
    Inside a part (``outer``) the text before the first such line keeps the part's own kind and heading."""
    end = len(text) if end is None else end
    table = load_data("cues.json")["heading_kinds"]
    squashed = {kind: [re.sub(r"\\b|\\s\??|\s", "", cue) for cue in cues] for kind, cues in table.items()}
    cuts: list[tuple[int, int, str, str]] = []
    for m in HEADING_LINE.finditer(text, start, end):
        line = m.group("h").strip()
        if ZH_HEADING.match(line):
            kind = heading_kind(line) or "other"
            cuts.append((m.start(), m.end(), "findings" if kind == "mixed" else kind, line))
            continue
        if not (looks_like_heading(text, m.start(), m.end()) or isolated_short_line(text, m.start(), m.end())):
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
    head = outer or Region(start, end, "other")
    if not cuts:
        return [replace(head, start=start, end=end)]
    regions = [replace(head, start=start, end=cuts[0][0])] if cuts[0][0] > start else []
    for i, (s, e, kind, line) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else end
        regions.append(Region(e, stop, kind, line, head.section))
    return [r for r in regions if r.end > r.start]


def parent_indices(sections) -> list[Optional[int]]:
    """For sections sorted by (start, -end), the index of each one's innermost enclosing section (None at the
    top). One pass over a stack of open sections, so the cost stays linear in the number of sections."""
    parents: list[Optional[int]] = []
    stack: list[int] = []
    for i, sec in enumerate(sections):
        s, e = sec.span
        while stack and not (sections[stack[-1]].span[0] <= s and e <= sections[stack[-1]].span[1]):
            stack.pop()
        parents.append(stack[-1] if stack else None)
        stack.append(i)
    return parents


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
        named = [kind for kind in order if matches_any(cues.get(kind, []), sentence)]
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


CLAUSE_END = re.compile(r"(?:[;,；，]|\b(?:and|or))\s*$")


def is_clause_list(text: str, marker, following: list) -> bool:
    """A list whose items are clauses of the sentence that opens it ("We recommend that the Government:
    (a) produce ...; (b) take steps ...; and (c) provide ..."): it is one statement, not a list of them."""
    nxt = next((m for m in following if m.family == marker.family), None)
    return nxt is not None and CLAUSE_END.search(text[marker.end:nxt.start]) is not None


def segments_of(text: str, region: Region, language: str) -> list[Segment]:
    markers = find_markers(text, region.start, region.end, language)
    segments = [Segment(region.start, region.end, None)]
    prev = None
    for k, mk in enumerate(markers):
        opens_list = mk.ordinal == 1 or (mk.ordinal is None and (prev is None or prev.family != mk.family))
        prev = mk
        if not opens_list or is_clause_list(text, mk, markers[k + 1:]):
            continue
        kind, sentence = lead_in_kind(text, region.start, mk.start, region.kind)
        if sentence is not None and kind in ("practices", "unknown") and announces_barriers(sentence):
            kind = "non_practices"  # "工作中也面临一些困难：一是……": problems met, not measures taken
        if sentence is None or kind == "unknown":
            counted = counted_non_practices(text, region.start, mk.start)
            if counted is not None:
                kind, sentence = "non_practices", counted
        if sentence is None:
            continue
        segments[-1].end = mk.start
        if kind == "non_practices" and announces_barriers(sentence):
            # the problems' lead-in is no part of the last measure before it
            at = text.rfind(sentence, segments[-1].start, mk.start)
            if at > segments[-1].start:
                segments[-1].end = at
        segments.append(Segment(mk.start, region.end, None if kind == "unknown" else kind, sentence))
    return segments


