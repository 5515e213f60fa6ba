"""Practices: the items of lists a report gives as measures taken, at any nesting, with the place and the
acting body each names; unannounced run-in heading lists near a practice cue."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from pipeline.cues import load_data, matches_any, states_problem
from pipeline.enumerations import BLANK_LINE, EnumItem, walk
from pipeline.headlines import first_sentence_end, split_headline
from pipeline.records import Practice
from pipeline.regions import Region, preceding_sentences
from pipeline.textspans import clean, sentence_of

if TYPE_CHECKING:
    from pipeline.structure import Structure

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


# How far before a run of run-in headings a practice cue may stand: the lead-in paragraph, not a footnote
# a page earlier ("When IRS takes action ..." before a list of risks is no lead-in to practices).
PRACTICE_CUE_WINDOW = 600


def run_in_practices(text: str, region: Region, forest: list[EnumItem]) -> list[EnumItem]:
    """Unannounced run-in heading lists ("Expedited agreement process. According to ...") are practices when
    the text just before a run names practices, measures, steps or actions; runs are items no more than two
    paragraphs apart."""
    runs = _runs(text, forest)
    cue = re.compile(load_data("cues.json")["practice_window"], re.I)
    picked: list[EnumItem] = []
    for run in runs:
        window = text[max(region.start, run[0].start - PRACTICE_CUE_WINDOW):run[0].start]
        if len(run) >= 2 and cue.search(window):
            picked.extend(run)
    return picked


RUN_IN = ("bold_run_in", "run_in")


def _runs(text: str, items: list[EnumItem]) -> list[list[EnumItem]]:
    """Run-in items no more than two paragraphs apart, in runs."""
    runs: list[list[EnumItem]] = []
    for item in (it for it in items if it.marker.family in RUN_IN):
        if runs and len(BLANK_LINE.findall(text, runs[-1][-1].end, item.start)) <= 2:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def names_assessed_topics(text: str, run: list[EnumItem]) -> bool:
    """A run of run-in headings that are the topics of an assessment ("Program demand. CMMC costs may deter
    ...", "Accuracy. ...") rather than measures taken: the sentences before it count challenges or factors
    ("we identified several external factors ... They include the following:"), or most of its
    items open their detail by calling the heading a challenge or concern, or by defining it, or name an
    attribute ("Call quality") in a heading that does not open on a verb ("Improved data quality" is a measure)."""
    cues = load_data("cues.json")
    counted = re.compile(cues["counted_non_practices"], re.I)
    if any(counted.search(s) for s in preceding_sentences(text, 0, run[0].start, count=2)):
        return True
    rules = cues["non_measure_run_in"]
    said, definition = re.compile(rules["said_of_the_heading"], re.I), re.compile(rules["definition"])
    attribute, opener = re.compile(rules["attribute_head"], re.I), re.compile(rules["measure_opener"])
    hits = 0
    for item in run:
        (hs, he), (ds, de) = split_headline(text, item)
        heading, first = clean(text[hs:he]), text[ds:first_sentence_end(text, ds, de)]
        hits += bool(said.search(first) or definition.match(first)
                     or (attribute.search(heading) and not opener.match(heading)))
    return 2 * hits > len(run)


def without_assessed_topics(text: str, items: list[EnumItem]) -> list[EnumItem]:
    """``items`` (and their children) without the run-in runs that name assessed topics."""
    dropped = {id(it) for run in _runs(text, items) if names_assessed_topics(text, run) for it in run}
    kept = [it for it in items if id(it) not in dropped]
    for it in kept:
        it.children = without_assessed_topics(text, it.children)
    return kept


def practice_id(out: Structure, parent_id: Optional[str]) -> str:
    n = 1 + sum(1 for p in out.practices if p.parent == parent_id)
    return f"P{n}" if parent_id is None else f"{parent_id}.{n}"


WORDY = re.compile(r"[^\W\d_]{3,}|[\u3400-\u9fff]{2,}")


def add_practices(out: Structure, text: str, forest: list[EnumItem], language: str, group: Optional[str],
                   under: Optional[str] = None, places: list[str] = ()) -> None:
    """Practices of an enumeration; ``under`` is the practice a heading states when the list sits in its body."""
    forest = without_assessed_topics(text, forest)
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


def states_lessons(headlines: list[str], lead_in: Optional[str]) -> bool:
    """Items a lessons lead-in announces ("过去五年的主要体会是：", "The lessons are as follows:") whose
    headlines mostly say what must be done ("必须坚持解放思想") are lessons learned, not measures taken. Work
    reports also sum up their measures as "主要工作体会" ("坚持正确把握宏观调控的方向和力度"): those stay practices."""
    cues = load_data("cues.json")
    if not headlines or not lead_in or not matches_any(cues["lead_in"]["findings"], lead_in):
        return False
    opener = re.compile(cues["lesson_openers"], re.I)
    return 2 * sum(bool(opener.match(h.strip())) for h in headlines) > len(headlines)


def list_states_lessons(text: str, forest: list[EnumItem], lead_in: Optional[str], language: str) -> bool:
    headlines = []
    for item in forest:
        (hs, he), _ = split_headline(text, item, language)
        headlines.append(text[hs:he])
    return states_lessons(headlines, lead_in)



def list_states_problems(text: str, forest: list[EnumItem], language: str) -> bool:
    """A list most of whose items state problems, risks or barriers ("First, insufficient funding leaves ...",
    "一是资金投入不足"): what hinders the work, not measures taken, whatever its lead-in says."""
    headlines = []
    for item in forest:
        (hs, he), _ = split_headline(text, item, language)
        headlines.append(text[hs:he])
    return bool(headlines) and 2 * sum(states_problem(h) for h in headlines) > len(headlines)
