"""Historical stages: periodizations ("has experienced three stages: before X, the stage of A; ...; since Y, B")
and ordinal stage sentences ("The first stage, from 2003 to 2007, ...") with events resolved to years through
``data/structure/events.json``."""
from __future__ import annotations

import re
from typing import Optional

from pipeline.cues import load_data
from pipeline.enumerations import first_sentence_end
from pipeline.records import Stage
from pipeline.textspans import clean, sentence_of

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
