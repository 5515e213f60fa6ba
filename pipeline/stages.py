"""Stages of a report's subject: periodizations ("has experienced three stages: before X, the stage of A; ...;
since Y, B", or the stages told in the sentences after "went through three stages."), ordinal and numbered
programme stages ("The first stage, from 2003 to 2007, ...", "Stage 1 grants ... stage 2 grants"), and the
periods Chinese reports review: 过去五年 / 五年来 (resolved against the report's year), five-year plan periods
(“九五”计划, 十一五时期), 本世纪头二十年, and 第一步 / 第二步 sequences. Bounds that name events resolve to years
through ``data/structure/events.json``; the other rules are ``data/structure/stages.json``. Table-of-contents
lines and table rows are never stages."""
from __future__ import annotations

import re
from typing import Optional

from pipeline.cues import load_data
from pipeline.headlines import first_sentence_end
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
        label = re.sub(r"^(?:第[一二三四五六]个?|是|为|进入|了|年|以来|以后|之后)+", "", m.group(1))
        label = re.split(r"[的之]", label)[-1]
        if len(label) >= 2:
            return label
    return None


def stage_bounds(segment: str) -> tuple[Optional[str], Optional[str]]:
    m = re.search(rf"\b(?:from|between) {BOUND} (?:to|until|through|and) (?:the )?(?P<y>{EVENT}|{YEAR})", segment,
                  re.I) or \
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


def extract_stages(text: str, language: str = "en", year: Optional[int] = None) -> list[Stage]:
    """Every stage the report describes, in text order, numbered S1, S2, ...; ``year`` is the report's year,
    against which "the past five years" resolves."""
    rules = load_data("stages.json")
    stages: list[Stage] = []
    for cue, flags in ((rules["periodization"], re.I), (rules["zh_periodization"], 0)):
        for m in re.finditer(cue, text, flags):
            if not on_layout_line(text, m.start()):
                stages.extend(_periodization(text, m.end(), _count(m.group("count"))))
    if not stages:
        stages = _ordinal_stages(text)
    stages += review_periods(text, year) + plan_periods(text) + century_periods(text, year) + step_sequences(text)
    stages.sort(key=lambda s: s.span[0])
    kept, seen = [], set()
    for s in stages:
        key = (s.label.lower(), s.start, s.end)
        if key not in seen:
            seen.add(key)
            kept.append(s.model_copy(update={"id": f"S{len(kept) + 1}", "order": len(kept) + 1}))
    return kept


def on_layout_line(text: str, pos: int) -> bool:
    """A table-of-contents line ("The first stage ....... 12") or a table row ("| Phase 1 | 2015-2017 |")."""
    s = text.rfind("\n", 0, pos) + 1
    e = text.find("\n", pos)
    line = text[s:e if e >= 0 else len(text)]
    return any(re.search(p, line) for p in load_data("stages.json")["layout_line"])


def _stage(text: str, label: str, begin: Optional[str], end: Optional[str], s: int, e: int,
           start_year: Optional[int] = None, end_year: Optional[int] = None) -> Stage:
    while s < e and text[s].isspace():
        s += 1
    return Stage(id="S0", text=clean(text[s:e]), span=(s, e), sentence=clean(sentence_of(text, s)), label=label,
                 order=0, start=begin, end=end, start_year=start_year or resolve_year(begin),
                 end_year=end_year or resolve_year(end))


def zh_number(word: str) -> int:
    """"五" 5, "十一" 11, "二十" 20, "5" 5."""
    if word.isdigit():
        return int(word)
    digits = load_data("stages.json")["zh_numbers"]
    if "十" in word:
        tens, _, ones = word.partition("十")
        return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
    return digits.get(word, 0)


def _count(word: str) -> int:
    words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
    return int(word) if word.isdigit() else words.get(word.lower()) or zh_number(word) or 6


def _periodization(text: str, start: int, count: int) -> list[Stage]:
    """The stages after a cue: as clauses after a colon split at semicolons, else as the sentences that follow,
    where a sentence naming a bound or an ordinal stage opens a stage and the sentences between belong to it."""
    head = re.match(r"[^:;：。.]{0,20}[:：，]", text[start:start + 24])
    if head:
        found = _clause_stages(text, start + head.end(), count)
        if found:
            return found
    tail = re.match(r"[^:;：。.]{0,80}?[.。]", text[start:start + 90])
    if not tail:
        return []
    return _sentence_stages(text, start + tail.end(), count)


def _paragraphs_limit(text: str, start: int, paragraphs: int) -> int:
    end = start
    for _ in range(paragraphs):
        nxt = text.find("\n\n", end + 2)
        end = nxt if nxt > 0 else len(text)
    return min(len(text), start + 2500, end)


def _clause_stages(text: str, start: int, count: int) -> list[Stage]:
    limit = _paragraphs_limit(text, start, 1)
    pieces, pos = [], start
    for m in re.finditer(r"[;；]", text[start:limit]):
        if len(pieces) == count - 1:
            break
        pieces.append((pos, start + m.start()))
        pos = start + m.end()
    pieces.append((pos, first_sentence_end(text, pos, limit)))
    if len(pieces) < min(count, 2):
        return _sentence_stages(text, start, count)
    found = [[stage_label(text[s:e]), *stage_bounds(text[s:e]), s, e] for s, e in pieces]
    return _bounded([f for f in found if f[0]], text)


ORDINAL_STAGE = re.compile(r"\b(?:the )?(?:first|second|third|fourth|fifth|sixth|final|last) (?:stage|phase|period)\b"
                           r"|第[一二三四五六]个?(?:阶段|时期)", re.I)


def _sentence_stages(text: str, start: int, count: int) -> list[Stage]:
    limit = _paragraphs_limit(text, start, 2)
    found: list[list] = []
    pos = start
    while pos < limit:
        end = first_sentence_end(text, pos, limit)
        seg = text[pos:end]
        begin, until = stage_bounds(seg)
        if begin or until or ORDINAL_STAGE.search(seg):
            if len(found) == count:
                break
            found.append([stage_label(seg) or clause_label(seg), begin, until, pos, end])
        elif found and len(found) < count:
            found[-1][4] = end  # a stage told over several sentences
        elif found or pos - start > 400:
            break
        pos = end
    return _bounded([f for f in found if f[0]], text)


def clause_label(segment: str) -> Optional[str]:
    """A name for a stage sentence that does not name its stage: its first clause without the dates."""
    rest = re.sub(rf"(?:\b(?:from|between|since|after|before|until|in) )?(?:the )?{YEAR}(?:\s*(?:[-–—~至到]|to|and)"
                  rf"\s*{YEAR})?年?(?:以来|之后|以后|之前|以前)?", " ", segment, flags=re.I)
    clause = next((c for c in re.split(r"[,;.，；。:：]", rest) if len(c.split()) >= 2 or
                   len(re.findall(r"[\u4e00-\u9fff]", c)) >= 2), "")
    if re.search(r"[\u4e00-\u9fff]", clause):
        return clean(clause)[:12] or None
    words = clause.split()
    while words and words[0].lower() in STOPWORDS_LABEL:
        words.pop(0)
    return " ".join(words[:6]) or None


def _bounded(found: list[list], text: str) -> list[Stage]:
    """Stages that read as a sequence in time: two or more, some bound named; a stage's missing end is the next
    one's start and its missing start the previous one's end."""
    if len(found) < 2 or not any(f[1] or f[2] for f in found):
        return []
    for i, f in enumerate(found):
        if f[2] is None and i + 1 < len(found) and found[i + 1][1]:
            f[2] = found[i + 1][1]
        if f[1] is None and i > 0 and found[i - 1][2]:
            f[1] = found[i - 1][2]
    return [_stage(text, label, _normalize_bound(b), _normalize_bound(e), s, t) for label, b, e, s, t in found]


NUMBER_WORDS = ["one", "two", "three", "four", "five"]
ROMAN = ["i", "ii", "iii", "iv", "v"]


def _ordinal_stages(text: str) -> list[Stage]:
    """'The first stage (1978-1992) ...', 'Stage 1 grants ... stage 2 grants ...': ordinal stages are kept only
    when every one is bounded in time; a program's named "Stage 1", "Stage 2" need no dates ("Phase I awards"
    of a grant program do, so that they are not read as history)."""
    pattern = re.compile(r"\b(?:the (?P<w>first|second|third|fourth|fifth) (?:stage|phase|period)|"
                         r"(?P<k>Stage|Phase) (?P<d>[1-5]|one|two|three|four|five|iv|v|i{1,3})\b)", re.I)
    groups: list[list[tuple[int, re.Match]]] = []
    for m in pattern.finditer(text):
        if on_layout_line(text, m.start()):
            continue
        word = (m.group("w") or m.group("d")).lower()
        n = int(word) if word.isdigit() else next(
            table.index(word) + 1 for table in (["first", "second", "third", "fourth", "fifth"], NUMBER_WORDS, ROMAN)
            if word in table)
        if groups and n == groups[-1][-1][0] + 1 and m.start() - groups[-1][-1][1].start() < 3000:
            groups[-1].append((n, m))
        elif n == 1:
            groups.append([(n, m)])
    stages: list[Stage] = []
    for group in groups:
        if len(group) < 2:
            continue
        named = all(m.group("k") and m.group("k").lower() == "stage" for _, m in group)
        rows = []
        for _, m in group:
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
                label = f"Stage {m.group('d')} {noun}".strip()
            rows.append(_stage(text, label or clean(m.group(0)), begin, end, m.start(), e))
        stages += rows
    return stages


def _first_mentions(pattern: str, text: str, key) -> list[tuple[object, re.Match]]:
    """The first match of each distinct key (a period mentioned ten times is one stage), off layout lines."""
    seen: dict = {}
    for m in re.finditer(pattern, text):
        k = key(m)
        if k and k not in seen and not on_layout_line(text, m.start()):
            seen[k] = m
    return list(seen.items())


def review_periods(text: str, year: Optional[int]) -> list[Stage]:
    """过去五年, 五年来, 近两年: the years before the report's year (a 2003 report's 过去五年 is 1998-2002)."""
    rules = load_data("stages.json")
    out = []
    for n, m in _first_mentions(rules["review_period"], text, lambda m: zh_number(m.group("n") or m.group("m"))):
        if n < 2:
            continue
        word = m.group("n") or m.group("m")
        label = rules["review_label"].format(n=word) if m.group("m") else m.group(0)
        begin, end = (str(year - n), str(year - 1)) if year else (None, None)
        out.append(_stage(text, label, begin, end, *_sentence_around(text, m)))
    return out


def _sentence_around(text: str, m: re.Match) -> tuple[int, int]:
    """The sentence a period is mentioned in: its text is the stage's text."""
    s = m.start()
    while s > 0 and text[s - 1] not in "。！？；\n" and m.start() - s < 300:
        s -= 1
    return s, first_sentence_end(text, m.end(), min(len(text), m.end() + 600))


def plan_periods(text: str) -> list[Stage]:
    """Five-year plan periods: “九五”计划 (1996-2000), 十一五时期, the 11th Five-Year Plan."""
    rules = load_data("stages.json")
    firsts = {int(k): v for k, v in rules["plan_first_years"].items()}
    out = []
    number = lambda m: int(m.group("en")) if m.group("en") else zh_number(m.group("zh") or m.group("zh2"))
    for n, m in _first_mentions(rules["plan_period"], text, number):
        anchor = max(k for k in firsts if k <= n) if n >= min(firsts) else None
        first = firsts[anchor] + rules["plan_length"] * (n - anchor) if anchor else None
        label = re.sub(r"(?:期间|时期| period)$", "", m.group(0)).strip()
        out.append(_stage(text, label, str(first) if first else None, str(first + rules["plan_length"] - 1)
                          if first else None, *_sentence_around(text, m)))
    return out


def century_periods(text: str, year: Optional[int]) -> list[Stage]:
    """本世纪头二十年: the first N years of the century (this century is the report's)."""
    out = []
    for (_, n), m in _first_mentions(load_data("stages.json")["century_period"], text,
                                      lambda m: (m.group("century"), zh_number(m.group("n")))):
        this = m.group("century") == "本世纪"
        first = (year - 1) // 100 * 100 + 1 if this and year else None if this else 2001
        out.append(_stage(text, m.group(0), str(first) if first else None, str(first + n - 1) if first else None,
                          *_sentence_around(text, m)))
    return out


def step_sequences(text: str) -> list[Stage]:
    """第一步 / 第二步 / 第三步: named steps of a strategy, kept when two or more steps occur close together
    (a lone 第一步 is "a first step", not a stage)."""
    rules = load_data("stages.json")
    hits = [m for m in re.finditer(rules["step_sequence"], text) if not on_layout_line(text, m.start())]
    out, seen = [], set()
    for m in hits:
        n = zh_number(m.group("n"))
        near = {zh_number(o.group("n")) for o in hits if abs(o.start() - m.start()) <= rules["step_window"]}
        if n in seen or len(near) < 2:
            continue
        seen.add(n)
        out.append(_stage(text, m.group(0), None, None, *_sentence_around(text, m)))
    return out
