"""Report metadata: the regions studied, the home region the lessons are for, the report type, visit dates
and the organizations visited.

``describe_report(report) -> dict`` reads the title and text of a Report and returns
``{"studied_regions", "target_region", "report_type", "visit_dates", "visited_organizations", "year", "number"}``; the caller applies
it onto the Report. Cue lexicons live in ``data/structure/metadata.json``. The statistical model (GPE/ORG/DATE
entities) runs only on the handful of sentences that need it: the title, visit sentences in the opening and
sentences that compare places; rules (place-name suffixes, capitalised phrases after "visited" / "such as")
complement it, and the whole text is only scanned with regexes.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Optional

from pipeline.nlp import sentence_spans
from pipeline.records import Report
from pipeline.cues import load_data
from pipeline.regions import regions_of

log = logging.getLogger(__name__)

OPENING_CHARS = 4000
MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
         r"Jan\.|Feb\.|Mar\.|Apr\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)")
DATE_RANGE = re.compile(rf"\b(?:from )?{MONTH} \d{{1,2}}(?:,? \d{{4}})?(?: (?:to|until|through|-|–) "
                        rf"(?:{MONTH} )?\d{{1,2}}(?:,? \d{{4}})?)?(?: (?:last|this|next) year)?"
                        rf"|\b\d{{1,2}} (?:to|-) \d{{1,2}} {MONTH}(?: \d{{4}})?|\bOn \d{{1,2}} {MONTH} \d{{4}}")
ZH_DATE = re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:至|到|-)(?:\d{1,2}月)?\d{1,2}日|(?:\d{4}年)?\d{1,2}月\d{1,2}日")
CAPITALISED = re.compile(r"[A-Z][\w’'&.-]*(?: (?:of|and|for|the|de)?\s?[A-Z][\w’'&.-]*)*")
ZH_FUNCTION_CHARS = "关于在赴到对的和与及、，"
ZH_PLACE = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:省|市|自治区)")


def _table() -> dict:
    return load_data("metadata.json")


def _entities(texts: list[str], language: str = "en") -> list[tuple[str, str]]:
    """(label, text) of the statistical model's entities over a few short texts (English only: the model is)."""
    if not texts or not language.startswith("en"):
        return []
    from pipeline.nlp import entities

    try:
        return entities(texts)
    except RuntimeError as exc:  # no model package: the rules still give regions, dates and organizations
        log.warning("metadata: %s; using rules only", exc)
        return []


def normalize_place(name: str) -> str:
    """'the Zhejiang Province' -> 'Zhejiang'; 'Yiwu City' -> 'Yiwu'."""
    name = re.sub(r"^(?:the|The)\s+", "", name.strip())
    suffixes = "|".join(re.escape(s) for s in _table()["place_suffixes"])
    name = re.sub(rf"\s+(?:{suffixes})$", "", name)
    zh = ZH_PLACE.fullmatch(name)
    if zh:
        return zh.group(1).lstrip(ZH_FUNCTION_CHARS)
    return name.strip(" ,.")


def report_type(report: Report) -> Optional[str]:
    types = _table()["report_types"]
    for where in (report.title, report.text[:OPENING_CHARS]):
        for entry in types:
            if any(re.search(p, where, re.I) for p in entry["patterns"]):
                return entry["type"]
    return None


def _opening_sentences(report: Report) -> list[str]:
    text = report.text
    end = min(len(text), OPENING_CHARS)
    # the opening stops where the report turns to what it found or recommends
    lessons = [r.start for r in regions_of(report) if r.kind in ("findings", "recommendations", "mixed", "practices")]
    end = min([end] + [start for start in lessons if start > 200])
    language = "zh" if report.language.startswith("zh") else "en"
    return [text[s:e] for s, e in sentence_spans(text, 0, end, language)]


def _visit_sentences(report: Report) -> list[str]:
    cues = _table()["visit_cues"]
    sentences = _opening_sentences(report)
    picked = []
    for i, sentence in enumerate(sentences):
        if any(re.search(c, sentence, re.I) for c in cues):
            picked.append(sentence)
            # "visited A and B. The situation of ... such as C and D." names more places on the next line
            if re.search(r"\bvisit", sentence, re.I) and i + 1 < len(sentences):
                picked.append(sentences[i + 1])
    return list(dict.fromkeys(picked))


def _places_by_rule(text: str) -> list[str]:
    suffixes = "|".join(re.escape(s) for s in _table()["place_suffixes"])
    # "Yiwu City" is a place, "Yiwu Small Commodity City" is not: the name must not continue a capitalised phrase
    found = [m.group(1) for m in re.finditer(rf"(?<![A-Z][\w-]\s)(?<![A-Z][\w-]{{2}}\s)\b([A-Z][a-z]+) (?:{suffixes})\b", text)
             if not re.search(r"[A-Z][\w’'-]*\s$", text[max(0, m.start() - 30):m.start()])]
    found += [m.group(1).lstrip(ZH_FUNCTION_CHARS) for m in ZH_PLACE.finditer(text)]
    return found


HOME_BODY = re.compile(r"\s+(?:(?:Municipal|Provincial|City|County|State)\s+)?(?:Party\s+)?(?:Health\s+)?"
                       r"(?:Committee|Commission|Department|Government|Bureau|Office|delegation|Council)")


def _named_as_place(place: str, text: str) -> bool:
    """'Tianjin' in 'the Tianjin Municipal Health Commission visited ...' names the visitors, not a place
    studied: a place counts when one of its mentions is not the name of a body."""
    for m in re.finditer(re.escape(place) + r"(?:\s+(?:Province|City|County))?", text):
        if not HOME_BODY.match(text, m.end()):
            return True
    return False


def studied_regions(report: Report, visit: list[str], entities: list[tuple[str, str]]) -> list[str]:
    title_places = [normalize_place(t) for label, t in _entities([report.title], report.language) if label == "GPE"]
    title_places += [normalize_place(p) for p in _places_by_rule(report.title)]
    visit_text = " ".join(visit)
    places = [normalize_place(t) for label, t in entities if label == "GPE" and t in visit_text]
    places += [normalize_place(p) for p in _places_by_rule(visit_text)]
    places = [p for p in places if p and len(p) > 1 and _named_as_place(p, visit_text)]
    counts = Counter({p: len(re.findall(rf"\b{re.escape(p)}\b" if p.isascii() else re.escape(p), report.text))
                      for p in set(places)})
    ordered = list(dict.fromkeys(p for p in title_places if p))
    ordered += [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], places.index(kv[0])))
                if p not in ordered]
    return ordered


def target_region(report: Report, studied: list[str]) -> Optional[str]:
    """The home place the lessons are meant for: a place outside the study named where the report compares
    ('the situation ... in Shanghai has many differences', 'the characteristics of Shanghai') or addresses
    its recommendations."""
    text = report.text
    language = "zh" if report.language.startswith("zh") else "en"
    compare = re.compile(_table()["compare_cue"], re.I)
    sentences = []
    regions = [r for r in regions_of(report) if r.kind in ("findings", "recommendations", "mixed")]
    for region in regions:
        for s, e in sentence_spans(text, region.start, region.end, language):
            # recommendations address the home place by name; findings name it where they compare
            if region.kind == "recommendations" or compare.search(text[s:e]):
                sentences.append(text[s:e])
    if not regions:
        sentences = [text[s:e] for s, e in sentence_spans(text, 0, len(text), language) if compare.search(text[s:e])]
    sentences = [x for x in sentences if len(x) < 1500]
    if not sentences:
        return None
    candidates: set[str] = set()
    for label, name in _entities(sentences[:60], report.language):
        place = normalize_place(name)
        # the main place studied is never home; a secondary one may be (the visitors' city named in passing)
        if label == "GPE" and place and not any(place.lower() in s.lower() or s.lower() in place.lower()
                                                 for s in studied[:1]):
            candidates.add(place)
    if not candidates:
        return None
    scored = Counter()
    for place in sorted(candidates):
        for cue in _table()["home_cues"]:
            pattern = cue.replace("{place}", re.escape(place))
            hits = sum(len(re.findall(pattern, s, re.I)) for s in sentences)
            scored[place] += hits * (1 if cue.startswith("\\bin {place}") else 3)
    place, score = scored.most_common(1)[0]
    return place if score >= 3 else None


def visit_dates(visit: list[str], entities: list[tuple[str, str]]) -> list[str]:
    dates = []
    for sentence in visit:
        dates += [m.group(0) for m in DATE_RANGE.finditer(sentence)]
        dates += [m.group(0) for m in ZH_DATE.finditer(sentence)]
    if not dates:
        dates = [t for label, t in entities if label == "DATE" and re.search(rf"\d|{MONTH}", t)]
    return list(dict.fromkeys(d.strip() for d in dates))


def visited_organizations(visit: list[str], entities: list[tuple[str, str]], places: list[str] = ()) -> list[str]:
    """Names after 'visited' / 'such as' in the visit sentences, places excluded ('visited Suzhou City')."""
    orgs = []
    for sentence in visit:
        for m in re.finditer(r"\b(?:visited|such as|including)\s+(.+?)(?:[.;。]\s|[.;。]$|$)", sentence):
            for piece in re.split(r",\s*|\s+and\s+", m.group(1)):
                name = CAPITALISED.match(piece.strip())
                if name and len(name.group(0).split()) >= 2 and not name.group(0).startswith(("The ", "the ")):
                    orgs.append(name.group(0).strip(" .,"))
    if not orgs:
        nouns = "|".join(_table()["organization_nouns"])
        orgs = [t for label, t in entities if label in ("ORG", "FAC") and re.search(nouns, t)]
    return list(dict.fromkeys(o for o in orgs if normalize_place(o) not in places))


def describe_report(report: Report) -> dict:
    visit = _visit_sentences(report)
    entities = _entities(visit, report.language)
    studied = studied_regions(report, visit, entities)
    # a home place exists only for a study of somewhere else (a study tour, an inspection visit)
    target = target_region(report, studied) if studied else None
    if target:
        studied = [s for s in studied if s.lower() != target.lower()]
    return {
        "studied_regions": studied,
        "target_region": target,
        "report_type": report_type(report),
        "visit_dates": visit_dates(visit, entities),
        "visited_organizations": visited_organizations(visit, entities, studied + ([target] if target else [])),
        "year": report_year(report),
        "number": report_number(report),
    }


def report_number(report: Report) -> Optional[str]:
    """The report's own number (GAO-26-107551, HL Paper 190, 国发〔2020〕1号): the first form of
    ``report_numbers`` in the title or the opening of the text; None when the report shows none."""
    opening = report.title + "\n" + report.text[:OPENING_CHARS]
    found = [m for pattern in _table()["report_numbers"] for m in [re.search(pattern, opening)] if m]
    return min(found, key=lambda m: m.start()).group(0) if found else None


_PUBLISHED = re.compile(r"\bpublished\b[:*\s]*(?:on\s+)?(?:\d{1,2}\s+[A-Z][a-z]+\s+|[A-Z][a-z]+\.?\s+\d{1,2},\s+)?"
                        r"((?:19|20)\d\d)\b", re.IGNORECASE)
_TITLE_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
def report_year(report: Report, today: Optional[int] = None) -> Optional[int]:
    """The year the report came out, when it says so: a 'Published' date near the top, else a year in a
    Chinese title ('2025年…报告'). None otherwise: the years a text mentions include targets and citations,
    so the latest of them is no estimate of when it was written."""
    today = today or __import__("datetime").date.today().year
    for match in _PUBLISHED.finditer(report.text[:5000]):
        if int(match.group(1)) <= today:
            return int(match.group(1))
    match = _TITLE_YEAR.search(report.title)
    if match and int(match.group(1)) <= today:
        return int(match.group(1))
    return None
