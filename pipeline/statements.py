"""Findings and recommendations: one per item of a findings / recommendations list, else one per paragraph
(findings) or per recommending sentence (recommendations); conclusions-and-recommendations paragraphs split
into both; strong recommending sentences anywhere in a report that has no recommendations part."""
from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Optional

from pipeline.cues import load_data, matches_any
from pipeline.enumerations import EnumItem, split_headline
from pipeline.records import Finding, Recommendation
from pipeline.regions import Region
from pipeline.textspans import (CJK, Span, clean, content_tokens, paragraph_spans, sentence_of,
                                sentence_spans)

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


def is_recommending(sentence: str, strong_only: bool = False, reported: bool = False) -> bool:
    """Recommending language: strong cues ("We recommend that"), weak ones ("should") unless ``strong_only``,
    and earlier recommendations told of ("GAO recommended that") in a report that ``reported``s them."""
    cues = load_data("cues.json")
    patterns = cues["recommendation_strong"] + ([] if strong_only else cues["recommendation_weak"]) + \
        (cues["recommendation_reported"] if reported else [])
    return matches_any(patterns, sentence)


def skip_paragraph(paragraph: str) -> bool:
    skips = load_data("cues.json")["finding_paragraph_skip"] + [r"^\*?\[", r"^#"]
    if CJK.search(paragraph):
        return matches_any(skips, paragraph.strip())
    # titles, captions and signatures carry no sentence end
    return matches_any(skips, paragraph.strip()) or len(paragraph.split()) < 8 or \
        not re.search(r"[.!?][\"”’)]*(?:\s|$)", paragraph)


def skip_sentence(sentence: str) -> bool:
    """Captions, citations, signatures and boilerplate; an English sentence also ends as one does."""
    skips = load_data("cues.json")["finding_paragraph_skip"] + [r"^\*?\[", r"^#"]
    if CJK.search(sentence):
        return matches_any(skips, sentence)
    # a closing "(Recommendation 1)" or "(Paragraph 20)" follows the full stop
    core = re.sub(r"\s*\([^()]{1,40}\)\s*$", "", sentence)
    return matches_any(skips, sentence) or not re.search(r"[.!?][\"”’)]*$", core)


def is_heading_like(sentence: str) -> bool:
    """A heading ("What We Recommend") or a caption: short and not ended as a sentence is (a longer sentence
    without an end is more likely cut by a footnote than a heading)."""
    return matches_any(load_data("cues.json")["finding_paragraph_skip"], sentence.strip()) or \
        (len(sentence.split()) < 8 and skip_sentence(sentence.strip()))


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


def add_recommendation(out: Structure, rec: Recommendation) -> None:
    """Record a recommendation with the part it came from (twins are looked for across parts only)."""
    out.recommendations.append(rec)
    out.part_of[id(rec)] = out.part


def is_fragment(statement: str) -> bool:
    """A piece of a sentence cut by a page break or a misread layout ("understanding of the risks ... should
    challenges be found."): English statements open with a capital, a digit or a quote."""
    first = statement.lstrip("*_\"“‘'([ ")[:1]
    return first.isascii() and first.isalpha() and first.islower()


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
        recs = [i for i, (a, b) in enumerate(sents) if is_recommending(text[a:b], reported=out.reported)]
        if orphans and not recs:
            add_finding_sentences(out, text, ps, pe)
        # "This should include ..." after a recommendation spells it out; only a sentence that names who
        # should act (or recommends outright) opens another one in the same paragraph
        recs = [i for n, i in enumerate(recs) if n == 0 or opens_recommendation(text[sents[i][0]:sents[i][1]])]
        for n, i in enumerate(recs):
            a, b = sents[i]
            stop = sents[recs[n + 1]][0] if n + 1 < len(recs) else pe
            statement = clean(text[a:b])
            if is_fragment(statement):
                continue
            add_recommendation(out, Recommendation(
                id="", text=statement, detail=clean(text[b:stop]), span=(a, stop), sentence=statement,
                target=recommendation_target(statement)))
    if kind == "findings" and len(out.findings) == found_before and region.end - region.start < BANNER_ONLY:
        out.orphan_findings = True


def add_finding_sentences(out: Structure, text: str, ps: int, pe: int) -> None:
    """A findings summary written as prose states a finding in each sentence ("However, OMB has not yet
    addressed 13 of the 20 requirements. For example, the inventory does not ..."): one finding a sentence,
    the paragraph's first sentence as its group's lead. Fragments and captions are not findings."""
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

