"""Recommendations: who should act, recommending language (strong, weak, reported), the recommending
sentences read across a whole report, the testimony that reports earlier recommendations, and twins (a
summary restating the body) kept once."""
from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Optional

from pipeline.cues import is_fragment, is_heading_like, is_thin, load_data, matches_any
from pipeline.records import Recommendation
from pipeline.regions import Region
from pipeline.textspans import Span, clean, content_tokens, paragraph_spans, sentence_spans

if TYPE_CHECKING:
    from pipeline.structure import Structure


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


def opens_recommendation(sentence: str, reported: bool = False) -> bool:
    """A recommending sentence that stands on its own: it names who should act, or recommends outright, or
    tells of an earlier recommendation in a report that ``reported``s them (a closing "(Recommendation 3)"
    numbers the whole paragraph, so it does not count)."""
    sentence = re.sub(r"\(Recommendation \d+\)", "", sentence)
    if is_recommending(sentence, strong_only=True, reported=reported):
        return True
    target = recommendation_target(sentence)
    return bool(target) and not ANAPHORIC_SUBJECT.match(sentence.strip())


def is_recommending(sentence: str, strong_only: bool = False, reported: bool = False) -> bool:
    """Recommending language: strong cues ("We recommend that"), weak ones ("should") unless ``strong_only``,
    and earlier recommendations told of ("GAO recommended that") in a report that ``reported``s them."""
    cues = load_data("cues.json")
    patterns = cues["recommendation_strong"] + ([] if strong_only else cues["recommendation_weak"]) + \
        (cues["recommendation_reported"] if reported else [])
    return matches_any(patterns, sentence)


def add_recommendation(out: Structure, rec: Recommendation) -> None:
    """Record a recommendation with the part it came from (twins are looked for across parts only)."""
    if is_thin(rec.text) and is_thin(rec.detail):
        return
    out.recommendations.append(rec)
    out.part_of[id(rec)] = out.part


def add_spelled_out_recommendation(out: Structure, text: str, floor: int, lead_in: Optional[str],
                                   list_end: int) -> Optional[Span]:
    """"We recommend that the Secretary establish a strategy. At a minimum, such a strategy should do the
    following: - Monitor ... - Assess ...": a list whose lead-in refers back to the recommendation before it
    spells that recommendation out; one recommendation, the lead-in and the items its detail. Returns the
    span it covers, or None when the list is not of that kind."""
    if not lead_in or not ANAPHORIC_SUBJECT.match(lead_in.strip()) or is_recommending(lead_in, strong_only=True):
        return None  # "It is recommended that the city focus on the following aspects." announces a list
    lead_start = text.rfind(lead_in, floor, list_end)
    before = sentence_spans(text, max(floor, lead_start - 1500), lead_start) if lead_start > floor else []
    if not before:
        return None
    a, b = before[-1]
    statement = clean(text[a:b])
    if not is_recommending(statement, reported=out.reported) or is_fragment(statement):
        return None
    add_recommendation(out, Recommendation(id="", text=statement, detail=clean(text[b:list_end]),
                                           span=(a, list_end), sentence=statement,
                                           target=recommendation_target(statement)))
    return a, list_end


def coverage(spans: list[Span]):
    """A test of whether a position lies in any of ``spans``, in log time (spans merged, then bisected)."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    starts = [s for s, _ in merged]

    def is_covered(pos: int) -> bool:
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and pos < merged[i][1]
    return is_covered


def add_strong_recommendations(out: Structure, text: str, regions: list[Region], taken: list[Span]) -> None:
    """'We recommend that ...', 'Congress should consider ...' and '(Recommendation 1)' sentences outside the
    parts already read: a letter or a conclusions part recommends in its prose. Appendices restate earlier
    recommendations ("Status of GAO recommendations") and are not read."""
    cues = load_data("cues.json")
    if out.reported:
        # the summary's sentences about the earlier recommendations are status, not recommendations
        out.recommendations = [r for r in out.recommendations if is_own_recommendation(r)]
    cue_lists = ["recommendation_strong"] + (["recommendation_reported"] if out.reported else [])
    is_covered = coverage(taken)
    patterns = [p for name in cue_lists for p in cues[name]]
    for part, region in enumerate(regions):
        if region.kind == "method" or region.appendix:
            continue
        out.part = part
        # sentences end at paragraph ends: "(Recommendation 1)" closes its paragraph, not the next one's start
        for a, b in (span for ps, pe in paragraph_spans(text, region.start, region.end)
                     for span in sentence_spans(text, ps, pe)):
            if is_covered(a):
                continue
            sentence = text[a:b]
            if not matches_any(patterns, sentence) or len(sentence) > 800 or is_heading_like(sentence):
                continue
            # a sentence that announces a list is a lead-in, not a recommendation
            if re.search(load_data("cues.json")["lead_in"]["pattern"], sentence, re.I):
                continue
            statement = clean(sentence)
            if is_fragment(statement):
                continue
            add_recommendation(out, Recommendation(
                id="", text=statement, detail="", span=(a, b), sentence=statement,
                target=recommendation_target(statement)))


def is_own_recommendation(rec: Recommendation) -> bool:
    """Recommends outright or names who should act ("The Director of OMB should ..."), unlike a status
    sentence of a summary ("DOD needs to take additional actions to implement more than 150 of these")."""
    return is_recommending(rec.text, strong_only=True) or rec.target is not None


def reports_earlier(text: str, regions: list[Region]) -> bool:
    """A report that makes no recommendation of its own but says in its summary parts that it reports earlier
    ones (a testimony: "GAO has made nearly 200 recommendations ..."); a report that recommends in its own
    words ("We recommend that", "(Recommendation 1)") tells of earlier ones only as background."""
    cues = load_data("cues.json")
    read = [r for r in regions if r.kind != "method" and not r.appendix]
    if not any(re.search(cues["reports_earlier_recommendations"], text[r.start:r.end], re.I)
               for r in read if r.kind in ("findings", "recommendations", "mixed")):
        return False
    own = re.compile("|".join(cues["recommendation_own"]), re.I)
    return not any(own.search(text, r.start, r.end) for r in read)


TWIN_OVERLAP = 0.6  # share of the shorter statement's content words
TWIN_SHARED = 6  # and at least this many of them: two short statements on one subject are not twins
RECOMMENDATION_NUMBER = re.compile(r"\(Recommendation (\d+)\)")


def dedupe_recommendations(recs: list[Recommendation], part_of: dict[int, int]) -> list[Recommendation]:
    """A summary restates the body's recommendations in other words ("GAO recommends that the Director of OMB
    work with agencies ..." for "The Director of OMB should encourage and assist federal agencies ..."): keep
    one of each, preferring the numbered one, else the fuller one. Twins come from different parts: the items
    of one list are never twins, however alike ("... should ensure that OMB's plans address requirements to
    identify ...", "... to provide ..."), nor are differently numbered recommendations."""
    tokens = [content_tokens(r.text) for r in recs]
    numbers = []
    for rec in recs:
        m = RECOMMENDATION_NUMBER.search(rec.text + " " + rec.detail)
        numbers.append(m.group(1) if m else None)
    # candidates share at least TWIN_SHARED words: an index of words over the kept ones keeps this linear
    by_token: dict[str, list[int]] = {}
    kept: list[int] = []  # indices into recs; a replaced twin's slot takes the new index
    slot_of: dict[int, int] = {}
    for i, rec in enumerate(recs):
        shared: dict[int, int] = {}
        for token in tokens[i]:
            for j in by_token.get(token, ()):
                shared[j] = shared.get(j, 0) + 1
        twin = next((j for j, n in sorted(shared.items()) if n >= TWIN_SHARED and slot_of.get(j) is not None
                     and part_of.get(id(recs[j])) != part_of.get(id(rec))
                     and n / max(1, min(len(tokens[i]), len(tokens[j]))) >= TWIN_OVERLAP
                     and not (numbers[i] and numbers[j] and numbers[i] != numbers[j])), None)
        if twin is None:
            slot_of[i] = len(kept)
            kept.append(i)
        elif (numbers[i] and not numbers[twin]) or \
                (bool(numbers[i]) == bool(numbers[twin]) and len(rec.text) > len(recs[twin].text)):
            slot_of[i] = slot_of.pop(twin)
            kept[slot_of[i]] = i
        else:
            continue
        for token in tokens[i]:
            by_token.setdefault(token, []).append(i)
    return sorted((recs[i] for i in kept), key=lambda r: r.span[0])
