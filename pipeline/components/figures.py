"""The ``reportlens_figures`` spaCy component: every statistic in an English Doc as a span with its reading.

It owns the English rules of the figures stage: what counts as a number (digits, "1,800,100", "two
thousand", "£6.6bn"), how it is scaled and normalized (value, kind, unit), the words around it that qualify
it ("more than", "about", "up to"), make it a change ("up 10.5% from 2000") or a range ("between $250,000
and $2 million"), and the numbers that are not statistics at all (legal citations, ZIP codes, addresses, form
and report numbers, footnote markers, enumerations, dates). Those rules are data: the lexicon and the
non-figure patterns live in ``pipeline/data/figures/``.

Text-level scanning (:func:`scan_english`) needs no model and is usable on its own. The component adds what
only the statistical model knows when the Doc has it: the counted noun from the dependency parse, the
``measures`` phrase and the ``base`` of a share, and the ``region`` (a GPE entity). On a blank pipeline those
stay empty.

Results go to ``doc.spans["figures"]``; each span carries ``span._.figure_*`` attributes (see
:data:`SPAN_ATTRIBUTES`). ``pipeline.figures`` turns them into ``Figure`` records.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "figures"
SPANS_KEY = "figures"

#: Span extension attributes set by the component, with their meaning.
SPAN_ATTRIBUTES = {
    "figure_chars": "(start, end) character offsets of the figure's exact words in the Doc (spans are token-aligned)",
    "figure_value": "the number, fully scaled (670 billion yuan -> 670000000000.0); the low end of a range",
    "figure_kind": "money, percent, count, quantity, duration, ratio, rank or date",
    "figure_unit": "ISO currency, '%', the counted noun, or a unit of measure",
    "figure_qualifier": "one of = > >= < <= ~",
    "figure_low": "low end of a range",
    "figure_high": "high end of a range",
    "figure_change": "'up' or 'down' when the number is a change",
    "figure_reference": "what a change is measured from ('from 2000')",
    "figure_measures": "a short phrase saying what the number measures (needs the parser)",
    "figure_measures_generic": "the owner phrase when it is a generic word ('total value') a previous sentence explains",
    "figure_base": "what a share is a share of ('of the province's GDP')",
    "figure_year": "the year the sentence ties the number to",
    "figure_date": "the phrase giving that year ('By the end of 2001')",
    "figure_region": "the place the sentence names (GPE entity), if any",
}


# --------------------------------------------------------------------------- data


@lru_cache(maxsize=None)
def lexicon(language: str = "en") -> dict:
    """The lexicon of one language (``pipeline/data/figures/lexicon_<language>.json``)."""
    with open(DATA_DIR / f"lexicon_{language}.json", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def non_figure_patterns(language: str = "en") -> tuple[tuple[str, re.Pattern], ...]:
    """``(label, compiled pattern)`` of the numbers that are not statistics, from ``non_figures_<language>.jsonl``."""
    path = DATA_DIR / f"non_figures_{language}.jsonl"
    if not path.exists():
        return ()
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                flags = re.IGNORECASE if "i" in row.get("flags", "") else 0
                rows.append((row["label"], re.compile(row["pattern"], flags)))
    return tuple(rows)


def non_figure_ranges(text: str, language: str = "en") -> list[tuple[int, int, str]]:
    """Character ranges of ``text`` holding numbers that are not figures, with the reason (label)."""
    ranges = []
    for label, pattern in non_figure_patterns(language):
        for m in pattern.finditer(text):
            if m.end() > m.start():
                ranges.append((m.start(), m.end(), label))
    ranges.sort()
    return ranges


def _phrase_alternation(phrases: Iterable[str]) -> str:
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))


# --------------------------------------------------------------------------- numbers


def to_float(number: Decimal) -> float:
    """A Decimal as a float without binary noise (18.6 billion is 18600000000.0, not ...0004)."""
    return float(number.normalize()) if number == number.to_integral_value() else float(number)


def parse_digits(text: str) -> Optional[Decimal]:
    """ "1,800,100" -> 1800100, "10.5" -> 10.5, full-width digits accepted."""
    cleaned = text.translate(_FULLWIDTH).replace(",", "").replace("，", "").strip()
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


def parse_number_words(text: str, language: str = "en") -> Optional[Decimal]:
    """ "two thousand" -> 2000, "twenty-five" -> 25, "one hundred and five" -> 105; None if not a number."""
    lex = lexicon(language)
    words, scales = lex["number_words"], lex["scales"]
    total, current, seen = Decimal(0), Decimal(0), False
    for word in re.split(r"[\s\-]+", text.lower().strip()):
        if not word or word == "and":
            continue
        if word in words:
            current += Decimal(words[word])
            seen = True
        elif word == "hundred":
            current = (current or Decimal(1)) * 100
        elif word in scales and seen:
            total += (current or Decimal(1)) * Decimal(str(scales[word]))
            current = Decimal(0)
        else:
            return None
    return total + current if seen else None


# --------------------------------------------------------------------------- text-level scanning


@dataclass
class FigureCandidate:
    """One statistic found in a text, with character offsets into that text."""

    start: int
    end: int
    number_start: int
    number_end: int
    value: float
    kind: str
    unit: Optional[str] = None
    qualifier: str = "="
    low: Optional[float] = None
    high: Optional[float] = None
    change: Optional[str] = None
    reference: Optional[str] = None
    base: Optional[str] = None
    counted_noun: Optional[tuple[int, int]] = None
    scaled: bool = False
    spelled: bool = False
    grouped: bool = False
    currency: Optional[str] = None
    percent_unit: Optional[str] = None
    measure_unit: Optional[str] = None
    qualified_before: bool = False
    attributive: bool = False  # "a 5-year plan": a property of something, not a statistic


@lru_cache(maxsize=None)
def _english_patterns() -> dict[str, re.Pattern]:
    lex = lexicon("en")
    word = _phrase_alternation(lex["number_words"])
    scale = _phrase_alternation(lex["scales"])
    prefix = _phrase_alternation(lex["currency_prefixes"])
    suffix = _phrase_alternation(list(lex["currency_suffixes"]) + list(lex["scaled_currency_suffixes"]))
    percent = _phrase_alternation(lex["percent_units"])
    abbreviated = _phrase_alternation(lex["scale_suffixes"])
    units = _phrase_alternation(lex["quantity_units"] + lex["duration_units"] + lex["ratio_units"])
    number = (
        rf"(?P<digits>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)(?P<abbr>(?:{abbreviated})\b)?"
        rf"|(?P<words>\b(?:{word})\b(?:(?:\s+|-)(?:and\s+)?(?:{word}|hundred|thousand|million|billion|trillion)\b)*)"
    )
    amount = (
        rf"(?P<prefix>(?:{prefix}))?\s?(?:{number})"
        rf"(?:(?:\s+|-)(?P<scale>(?:{scale}))\b)?"
        rf"(?:(?:\s?|-)(?P<percent>%|(?:{percent})\b))?"
        rf"(?:\s+(?P<suffix>(?:{suffix}))\b)?"
    )
    qualifiers = _phrase_alternation(lex["qualifiers_before"])
    after = _phrase_alternation(lex["qualifiers_after"])
    up = _phrase_alternation(lex["change_up"])
    down = _phrase_alternation(lex["change_down"])
    nouns_after = _phrase_alternation(lex["change_nouns_after"])
    periods = _phrase_alternation(lex["relative_periods"])
    yoy = _phrase_alternation(lex["year_on_year"])
    frames = _phrase_alternation(lex["year_frames"])
    months = _phrase_alternation(lex["months"])
    return {
        # not inside a word or an identifier ("COVID-19"); "10-20 percent" is a range, read by _merge_ranges
        "amount": re.compile(r"(?<![\w.,$£€¥/])(?<![A-Za-z]-)" + amount, re.IGNORECASE),
        "qualifier": re.compile(rf"(?:^|(?<=[\s(\"“]))(?P<q>{qualifiers})\s*$", re.IGNORECASE),
        "qualifier_after": re.compile(rf"^\s*(?P<q>{after})\b", re.IGNORECASE),
        "change_before": re.compile(
            rf"(?:^|(?<=[\s(,]))(?:(?P<up>{up})|(?P<down>{down}))(?:\s+(?P<link>by|to|at|of))?\s*$", re.IGNORECASE),
        "change_after": re.compile(rf"^\s*(?P<noun>{nouns_after})\b(?!\s+(?:than\s+)?(?:\d|half))", re.IGNORECASE),
        "reference": re.compile(
            rf"\b(?P<ref>(?:from|over|compared\s+(?:with|to)|than(?:\s+in)?|since|relative\s+to|versus|vs\.)\s+"
            rf"(?:(?:{periods})|(?:the\s+)?(?:(?:end|beginning|start)\s+of\s+)?(?:(?:fiscal|financial)\s+year\s+)?"
            rf"(?:(?:{months})\.?\s+)?(?:1[89]\d\d|20\d\d)\b(?:\s+levels?)?))"
            rf"|(?P<yoy>{yoy})", re.IGNORECASE),
        "unit_after": re.compile(rf"^\s*(?:-\s*)?(?P<unit>{units})\b", re.IGNORECASE),
        "word": re.compile(r"[A-Za-z][A-Za-z'’\-]*|\S"),
        "year": re.compile(r"(?<![\w$£€.,/-])(1[89]\d\d|20\d\d)(?![\w%]|,\d|\.\d)"),
        "frame": re.compile(
            rf"(?:^|(?<=[\s(,]))(?P<frame>{frames})\s+(?:the\s+)?(?:(?:{months})\.?\s+(?:\d{{1,2}},?\s+)?)?$",
            re.IGNORECASE),
        "reference_year": re.compile(
            rf"(?:%|percent|per\s+cent|points|{up}|{down})\s*,?\s+(?:from|over|compared\s+(?:with|to)|than(?:\s+in)?|"
            rf"versus|vs\.)\s+(?:the\s+)?(?:(?:end|beginning|start)\s+of\s+)?(?:(?:{months})\.?\s+)?$", re.IGNORECASE),
        "month_before": re.compile(rf"(?:{months})\.?\s+(?:\d{{1,2}},?\s+)?$", re.IGNORECASE),
        "range_link": re.compile(r"^\s*(?:(?P<dash>[-–—])|(?P<to>to|through)|(?P<and>and))\s*$", re.IGNORECASE),
        "range_opener": re.compile(r"\b(?:between|from)\s*$", re.IGNORECASE),
        "from": re.compile(r"\bfrom\s*$", re.IGNORECASE),
        "share_of": re.compile(r"^\s*of\s+(?P<base>(?:the\s+|their\s+|its\s+|all\s+)?[^,;:.()]{1,60}?)"
                               r"(?=[,;:.()]|\s+(?:in|during|for|and|was|were|is|are|had|have|has|which|that|who)\b|$)",
                               re.IGNORECASE),
    }


def _overlaps(start: int, end: int, ranges: list[tuple[int, int, str]]) -> Optional[str]:
    for s, e, label in ranges:
        if s < end and start < e:
            return label
        if s >= end:
            break
    return None


def _sentence_initial(text: str, pos: int) -> bool:
    """True when only whitespace, quotes or a bullet stand between the last sentence end and ``pos``."""
    before = text[:pos].rstrip(" \t\"“‘'(•*-")
    return not before or before.endswith(("\n", ".", "!", "?"))


def scan_english(text: str, masks: Optional[list[tuple[int, int, str]]] = None) -> list[FigureCandidate]:
    """Every statistic in an English ``text``, in text order, normalized; non-figures left out.

    ``masks`` are the non-figure ranges of ``text`` (computed when not given)."""
    pats = _english_patterns()
    lex = lexicon("en")
    masks = non_figure_ranges(text) if masks is None else masks
    raw = []
    for m in pats["amount"].finditer(text):
        cand = _read_amount(text, m, lex)
        if cand is not None:
            raw.append(cand)
    merged = _merge_ranges(text, raw, pats)
    out = []
    for cand in merged:
        if _overlaps(cand.number_start, cand.number_end, masks):
            continue
        _attach_context(text, cand, pats, lex)
        if _is_figure(text, cand, lex):
            out.append(cand)
    return out


def _read_amount(text: str, m: re.Match, lex: dict) -> Optional[FigureCandidate]:
    g = m.groupdict()
    if g["digits"]:
        number = parse_digits(g["digits"])
        number_start, number_end = m.start("digits"), m.end("digits")
    else:
        number = parse_number_words(g["words"])
        number_start, number_end = m.start("words"), m.end("words")
    if number is None:
        return None
    prefix = (g["prefix"] or "").strip()
    currency = lex["currency_prefixes"].get(prefix.upper() if prefix.isalpha() else prefix) if prefix else None
    scale = Decimal(1)
    scaled = False
    if g["abbr"]:
        if not currency:  # "5m" alone is a distance or an identifier, not "5 million"
            return None
        scale *= Decimal(str(lex["scale_suffixes"][g["abbr"].lower()]))
        scaled = True
    if g["scale"]:
        scale *= Decimal(str(lex["scales"][g["scale"].lower()]))
        scaled = True
    if g["words"] and any(w in g["words"].lower() for w in ("thousand", "million", "billion", "trillion")):
        scaled = True
    end = m.end()
    suffix = g["suffix"]
    if suffix:
        key = re.sub(r"\s+", " ", suffix.lower())
        if key in lex["currency_suffixes"]:
            currency = currency or lex["currency_suffixes"][key]
        elif scaled and key in lex["scaled_currency_suffixes"]:
            currency = currency or lex["scaled_currency_suffixes"][key]
        else:  # "5 pounds" without a scale: a weight, read as a unit later
            end = m.start("suffix")
            end = len(text[:end].rstrip())
    if prefix and not currency:
        return None
    start = m.start() if prefix else number_start
    percent_unit = None
    if g["percent"]:
        percent_unit = lex["percent_units"].get(re.sub(r"\s+", " ", g["percent"].lower()), "%")
    value = number * scale
    kind = "percent" if percent_unit else "money" if currency else "count"
    return FigureCandidate(
        start=start, end=end, number_start=number_start, number_end=number_end, value=to_float(value), kind=kind,
        unit=currency or percent_unit, scaled=scaled, spelled=bool(g["words"]),
        grouped=bool(re.search(r"[,.]", g["digits"] or "")), currency=currency, percent_unit=percent_unit)


def _merge_ranges(text: str, cands: list[FigureCandidate], pats: dict) -> list[FigureCandidate]:
    """ "between $250,000 and $2 million", "10-20 percent", "from 10 to 20 percent" -> one figure with low/high;
    "from £370 million to £640 million" stays two figures (a before and an after)."""
    out: list[FigureCandidate] = []
    i = 0
    while i < len(cands):
        if i + 1 < len(cands) and _is_range(text, cands[i], cands[i + 1], pats):
            out.append(_range_of(text, cands[i], cands[i + 1], pats))
            i += 2
        else:
            out.append(cands[i])
            i += 1
    return out


def _has_unit(cand: FigureCandidate) -> bool:
    return bool(cand.currency or cand.percent_unit or cand.scaled)


def _is_range(text: str, a: FigureCandidate, b: FigureCandidate, pats: dict) -> bool:
    link = pats["range_link"].match(text[a.end:b.start])
    if not link or (a.percent_unit and not _has_unit(b)):
        return False
    before = text[max(0, a.start - 12):a.start]
    opened_with_from = bool(pats["from"].search(before))
    if link.group("and"):
        return bool(pats["range_opener"].search(before)) and not opened_with_from
    if link.group("dash"):
        return b.value >= a.value
    # "to": a range unless it is "from <amount> to <amount>", a change from one level to another
    return b.value >= a.value and not (opened_with_from and _has_unit(a) and _has_unit(b))


def _range_of(text: str, a: FigureCandidate, b: FigureCandidate, pats: dict) -> FigureCandidate:
    low = a.value
    if not _has_unit(a) and b.scaled:  # "between 2 and 3 million": the low end shares the scale
        b_number = text[b.number_start:b.number_end]
        b_base = parse_digits(b_number) or parse_number_words(b_number) or Decimal(1)
        scale = Decimal(str(b.value)) / b_base
        if scale > 1 and a.value * float(scale) <= b.value:
            low = to_float(Decimal(str(a.value)) * scale)
    opener = pats["range_opener"].search(text[max(0, a.start - 12):a.start])
    return FigureCandidate(
        start=a.start - (len(opener.group(0)) if opener else 0), end=b.end, number_start=a.number_start,
        number_end=b.number_end, value=low, kind=b.kind, unit=b.unit, low=low, high=b.value,
        scaled=a.scaled or b.scaled, spelled=a.spelled and b.spelled, grouped=a.grouped or b.grouped,
        currency=b.currency or a.currency, percent_unit=b.percent_unit or a.percent_unit)


def _attach_context(text: str, cand: FigureCandidate, pats: dict, lex: dict) -> None:
    """Qualifier, change, reference, unit or counted noun, and the base of a share, from the words around."""
    left = text[max(0, cand.start - 40):cand.start]
    q = pats["qualifier"].search(left)
    # "rose up to 20%" names a level reached, not a ceiling
    if q and not (q.group("q").lower() == "up to" and re.search(r"(?:rose|increased|grew|went)\s+up\s+to\s*$", left, re.I)):
        cand.qualifier = lex["qualifiers_before"][re.sub(r"\s+", " ", q.group("q").lower())]
        cand.qualified_before = True
        cand.start -= len(left) - q.start("q")
        left = text[max(0, cand.start - 40):cand.start]
    ch = pats["change_before"].search(left)
    if ch and (ch.group("link") or "").lower() not in lex["change_level_words"]:
        cand.change = "up" if ch.group("up") else "down"
        cand.start -= len(left) - ch.start()
    right = text[cand.end:cand.end + 80]
    qa = pats["qualifier_after"].match(right)
    if qa and cand.qualifier == "=":
        cand.qualifier = lex["qualifiers_after"][re.sub(r"\s+", " ", qa.group("q").lower())]
        cand.end += qa.end()
        right = text[cand.end:cand.end + 80]
    if cand.kind == "count":
        unit = pats["unit_after"].match(right)
        if unit:
            word = re.sub(r"\s+", " ", unit.group("unit").lower())
            if word in lex["ratio_units"]:
                follower = text[cand.end + unit.end():cand.end + unit.end() + 12].strip().split(" ")[0].lower()
                if follower in lex["ratio_followers"]:
                    cand.kind, cand.unit = "ratio", "times"
                    cand.end += unit.end()
            elif unit.group(0).lstrip().startswith("-") and word in lex["duration_units"]:
                cand.attributive = True  # "a 5-year plan", "14-day window"
            else:
                cand.kind = "duration" if word in lex["duration_units"] else "quantity"
                cand.unit = word
                cand.measure_unit = word
                cand.end += unit.end()
        else:
            noun = _counted_noun(text, cand.end, lex)
            if noun:
                cand.counted_noun = noun
                cand.unit = text[noun[0]:noun[1]]
                cand.end = noun[1]
    right = text[cand.end:cand.end + 80]
    if not cand.change:
        after = pats["change_after"].match(right)
        if after and cand.kind in ("percent", "money", "count", "quantity"):
            cand.change = lex["change_nouns_after"][after.group("noun").lower()]
            cand.end += after.end()
    if cand.change:
        clause = re.split(r"[;:.]\s|,\s(?:and|but|while|which)\b|\(", text[cand.end:cand.end + 120])[0]
        ref = pats["reference"].search(clause)
        if ref:
            if ref.group("yoy"):
                cand.reference = "previous year"
            else:
                cand.reference = re.sub(r"\s+", " ", ref.group("ref"))
                if ref.start() <= 2:
                    cand.end += ref.end()
    if cand.kind == "percent":
        share = pats["share_of"].match(text[cand.end:cand.end + 90])
        if share:
            cand.base = "of " + re.sub(r"\s+", " ", share.group("base")).strip()


def _counted_noun(text: str, pos: int, lex: dict) -> Optional[tuple[int, int]]:
    """The noun a number counts, read from the words after it: "1,800,100 non-public economic organizations"."""
    stop = set(lex["count_noun_stopwords"])
    dates = set(lex["date_nouns"])
    words = []
    for m in _english_patterns()["word"].finditer(text, pos, min(len(text), pos + 80)):
        w = m.group(0)
        if not w[0].isalpha() or w.lower() in stop or len(words) >= 4:
            break
        words.append(m)
    if not words or words[0].group(0).lower() in dates:
        return None
    for m in words:
        w = m.group(0)
        if w.islower() and re.search(r"[^su]s$|ies$|men$|people$|children$|staff$|personnel$|data$", w):
            return m.span()
    first = words[0].group(0)
    if len(words) == 1 and first.islower() and not re.search(r"(?:ing|ed|ly)$", first):
        return words[0].span()
    return None


def _is_figure(text: str, cand: FigureCandidate, lex: dict) -> bool:
    """Drop what is a number but no statistic: bare years, markers, small spelled-out words, unanchored digits."""
    if cand.attributive:
        return False
    anchored = cand.kind in ("percent", "money", "ratio") or cand.scaled
    digits = text[cand.number_start:cand.number_end]
    if cand.spelled and cand.value < lex["min_word_number"] and not anchored:
        return False
    if anchored:
        return True
    plain_integer = re.fullmatch(r"\d+", digits) is not None
    if plain_integer and 1800 <= cand.value <= 2100 and len(digits) == 4 \
            and not (cand.qualified_before and (cand.counted_noun or cand.measure_unit)):
        return False  # a year ("over 2004" too): kept only as the year of other figures
    if plain_integer and _sentence_initial(text, cand.start) and cand.qualifier == "=" and cand.low is None:
        return False  # footnote or enumeration marker at the start of a sentence or line
    if plain_integer and cand.qualifier == "=" and _names_before(text, cand.number_start, lex):
        return False  # "Apollo 11 mission", "Publication 1075", "SBA 504 loans": part of a name
    if cand.kind in ("quantity", "duration") or cand.counted_noun:
        return True
    return cand.qualifier != "=" or (cand.grouped and "," in digits)


def _names_before(text: str, pos: int, lex: dict) -> bool:
    """True when the word right before ``pos`` is a capitalized name word inside a sentence ("Apollo 11"), not a
    function word and not a word capitalized only because it opens the sentence ("Another 300 firms")."""
    offset = max(0, pos - 40)
    m = re.search(r"([A-Za-z][\w.’'-]*)\s+$", text[offset:pos])
    if not m or not m.group(1)[0].isupper() or _sentence_initial(text, offset + m.start(1)):
        return False
    word = m.group(1).lower().rstrip(".")
    return word not in lex["count_noun_stopwords"] and word not in lex["months"] \
        and word not in lex["qualifiers_before"]


# --------------------------------------------------------------------------- years


@dataclass
class YearMention:
    year: int
    start: int
    end: int
    phrase: str
    framed: bool
    reference: bool = False  # "up 10.5% from 2000": what a change is measured from, not the figure's year


def year_mentions(text: str, masks: Optional[list[tuple[int, int, str]]] = None) -> list[YearMention]:
    """Years a sentence mentions ("By the end of 2001", "As of June 2024", "fiscal year 2024"), in order.

    Years inside citations, report numbers and identifiers are not mentions."""
    pats = _english_patterns()
    masks = [r for r in (non_figure_ranges(text) if masks is None else masks)
             if r[2] in ("citation", "report_number", "identifier", "url", "footnote")]
    out = []
    for m in pats["year"].finditer(text):
        if _overlaps(m.start(), m.end(), masks):
            continue
        left = text[max(0, m.start() - 40):m.start()]
        frame = pats["frame"].search(left)
        start = m.start() - (len(left) - frame.start()) if frame else m.start()
        if not frame:
            month = pats["month_before"].search(left)
            if month:
                start = m.start() - (len(left) - month.start())
        out.append(YearMention(int(m.group(1)), start, m.end(), re.sub(r"\s+", " ", text[start:m.end()]),
                               framed=bool(frame), reference=bool(pats["reference_year"].search(left))))
    return out


def year_for(span_start: int, span_end: int, mentions: list[YearMention],
             reference: Optional[str] = None) -> Optional[YearMention]:
    """The year a figure at ``[span_start, span_end)`` refers to: the nearest mention before it, else after it;
    never the year a change is measured from, nor a year inside the figure."""
    usable = [y for y in mentions if not y.reference and not (span_start <= y.start < span_end)
              and not (reference and str(y.year) in reference)]
    before = [y for y in usable if y.end <= span_start]
    if before:
        framed = [y for y in before if y.framed]
        return (framed or before)[-1]
    after = [y for y in usable if y.start >= span_end]
    return after[0] if after else None


# --------------------------------------------------------------------------- syntax


_PRUNED_DEPS = {"punct", "cc", "conj", "appos", "relcl", "advcl", "parataxis", "det", "predet", "mark", "dep",
                "preconj", "meta", "ccomp"}


def _noun_phrase(token: Token, ctx: "FigureTokens", own_phrase: bool = False, limit: int = 14) -> str:
    """The words of ``token``'s phrase, without determiners and clauses. Left out: the figure's own number,
    other figures' numbers where they count this head, and any modifier holding another statistic
    ("organizations in the province[, with 7,776,200 employees]"); a threshold ("with more than 50 employees")
    stays, it defines the thing counted."""
    blockers = ctx.blockers if own_phrase else ctx.blockers | ctx.own
    keep: list[Token] = []

    def walk(tok: Token, top: bool) -> None:
        if not top:
            if tok.i in ctx.number or tok.dep_ in _PRUNED_DEPS:
                return
            if tok.i in ctx.other_numbers and tok.head.i == token.i:
                return
            if any(t.i in blockers for t in tok.subtree):
                return
        for child in tok.lefts:
            walk(child, False)
        keep.append(tok)
        for child in tok.rights:
            walk(child, False)

    walk(token, True)
    keep.sort(key=lambda t: t.i)
    if len(keep) > limit:
        head_pos = next((k for k, t in enumerate(keep) if t.i == token.i), 0)
        lo = max(0, min(head_pos - 4, len(keep) - limit))
        keep = keep[lo:lo + limit]
    return _join(keep)


def _join(tokens: list[Token]) -> str:
    """Tokens as text; a hyphen between two kept words stays ("full-time"), gaps become spaces."""
    out = []
    for k, tok in enumerate(tokens):
        out.append(tok.text)
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if nxt is None:
            break
        gap = tok.doc[tok.i + 1:nxt.i]
        if len(gap) == 1 and gap[0].text in "-–/" and not tok.whitespace_ and not gap[0].whitespace_:
            out.append(gap[0].text)
        elif tok.whitespace_ or nxt.i != tok.i + 1:
            out.append(" ")
    return re.sub(r"\s+", " ", "".join(out)).strip(" ,;:-")


@dataclass
class FigureTokens:
    """Token indices around one figure: its own, its number part, and what the other figures occupy."""

    own: set[int]
    number: set[int]
    others: set[int]
    other_numbers: set[int]
    blockers: set[int]

    @property
    def skip(self) -> set[int]:
        return self.own | self.others


def number_part(span: Span) -> set[int]:
    """The qualifier, currency, number and scale tokens of a figure span (not its counted noun)."""
    last = max((t.i for t in span if t.like_num or t.text in ("%", "$", "£", "€")), default=span.start)
    return {t.i for t in span if t.i <= last} | {t.i for t in span if t.lower_ in ("percent", "%")}


def _subject(verb: Token) -> Optional[Token]:
    """The subject of ``verb``, climbing through xcomp/conj/acl/aux chains ("decided to raise" -> decided's)."""
    seen = 0
    tok = verb
    while tok is not None and seen < 5:
        for child in tok.children:
            if child.dep_ in ("nsubj", "nsubjpass", "expl") and child.dep_ != "expl":
                return child
        if tok.dep_ in ("xcomp", "conj", "advcl", "ccomp", "pcomp") and tok.head is not tok:
            tok = tok.head
            seen += 1
            continue
        break
    return None


def _governing_verb(token: Token) -> Optional[Token]:
    tok = token
    for _ in range(4):
        if tok.head is tok:
            return tok if tok.pos_ in ("VERB", "AUX") else None
        tok = tok.head
        if tok.pos_ in ("VERB", "AUX"):
            return tok
    return None


def _antecedent(pronoun: Token, skip: set[int]) -> Optional[Token]:
    """The noun a pronoun stands for: the nearest earlier subject noun, else the nearest top-level noun."""
    plural = pronoun.lower_ in ("they", "them", "these", "those", "their")
    nouns = [t for t in pronoun.doc[:pronoun.i] if t.pos_ in ("NOUN", "PROPN") and t.i not in skip
             and t.dep_ in ("nsubj", "nsubjpass", "pobj", "dobj", "attr")
             and (t.tag_ in ("NNS", "NNPS")) == plural]
    top = [t for t in nouns if not any(a in nouns for a in t.ancestors)]
    subjects = [t for t in top if t.dep_ in ("nsubj", "nsubjpass")]
    pick = (subjects or top)
    return pick[-1] if pick else None


def _resolve(token: Optional[Token], skip: set[int]) -> Optional[Token]:
    if token is not None and token.pos_ == "PRON" and token.lower_ in lexicon("en")["pronouns"]:
        return _antecedent(token, skip)
    return token


def _predicate(verb: Token, ctx: FigureTokens) -> str:
    """ "have party members", "were obtained from ... to the municipal demonstration sites": a verb with its
    objects and prepositional phrases, without the figure itself."""
    words = [verb] + [c for c in verb.lefts if c.dep_ in ("aux", "auxpass", "neg") and c.i not in ctx.skip]
    for child in verb.rights:
        if child.dep_ in ("dobj", "attr", "prep", "acomp", "xcomp", "prt", "agent", "oprd"):
            words.extend(t for t in child.subtree if t.i not in ctx.skip and t.dep_ not in ("punct", "det"))
    words = sorted(set(words), key=lambda t: t.i)
    return _join(words[:16])


def _verb_modifiers(verb: Token, ctx: FigureTokens) -> str:
    """The prepositional phrases after a verb ("in the 67 years before the pandemic"), other statistics left out."""
    words = []
    for child in verb.rights:
        if child.dep_ == "prep" and not any(t.i in ctx.blockers | ctx.own for t in child.subtree):
            words.extend(t for t in child.subtree if t.dep_ not in ("punct", "det"))
    return _join(sorted(words, key=lambda t: t.i)[:10])


def fallback_measure(span: Span, ctx: FigureTokens, lead: Optional[str] = None) -> tuple[Optional[str], Optional[str]]:
    """Without a verb to hang on ("Interest rate 3.75 percent for businesses"): the noun phrase just before the
    figure and the phrase attached after it. A list's later items ("; 2.75 percent for nonprofits") have no
    phrase before them and take ``lead``, the one the previous figure used. Returns ``(measures, lead)``."""
    before = None
    for chunk in span.doc.noun_chunks:
        if span.start - 3 <= chunk.end <= span.start and not any(t.i in ctx.others for t in chunk) \
                and not any(a.i in ctx.others for a in chunk.root.ancestors):
            before = chunk
    after = [c for c in span.root.rights if c.dep_ == "prep" and c.i >= span.end
             and not any(t.i in ctx.blockers for t in c.subtree)]
    tail = [t for prep in after[:1] for t in prep.subtree if t.dep_ not in ("punct", "det")]
    if before is not None:
        lead = _join([t for t in before if t.dep_ != "det"])
    elif not tail:
        return None, None
    if not lead:
        return None, None
    return " ".join(part for part in (lead, _join(tail)) if part), lead


def describe_figure(span: Span, ctx: FigureTokens) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """``(measures, base, generic owner)`` of a figure span from the dependency parse."""
    lex = lexicon("en")
    kind = span._.figure_kind
    root = span.root
    skip = ctx.skip
    base = span._.figure_base
    generic = None

    # the counted noun and its modifiers: "non-public economic organizations in the province"
    if kind in ("count", "quantity", "duration") and root.pos_ in ("NOUN", "PROPN") and root.i not in ctx.number:
        noun = root
        phrase = _noun_phrase(noun, ctx, own_phrase=True)
        with_prep = noun.head if noun.dep_ == "pobj" and noun.head.lower_ == "with" else None
        if with_prep is not None:
            host = with_prep.head
            if host.pos_ in ("VERB", "AUX"):  # "there were N organizations ..., with M employees"
                host = _subject(host) or next((c for c in host.children if c.dep_ in ("attr", "dobj")), None)
            host = _resolve(host, ctx.own)
            if host is not None and host.pos_ in ("NOUN", "PROPN"):
                return f"{phrase} of {_noun_phrase(host, ctx)}", base, None
        holder = noun.head.head if noun.dep_ == "pobj" and noun.head.lower_ in ("on", "about", "from") else None
        if holder is not None and holder.pos_ == "NOUN" and holder.i not in ctx.others and len(phrase.split()) <= 3:
            # "data on almost 3.7 million approved loans": the loans of that data set
            return f"{phrase} in {_noun_phrase(holder, ctx)}", base, None
        if noun.dep_ in ("nsubj", "nsubjpass") and len(phrase.split()) <= 2:
            return f"{phrase} {_predicate(noun.head, ctx)}".strip(), base, None
        if noun.dep_ == "dobj" and len(phrase.split()) <= 2 and noun.head.lemma_ not in lex["light_verbs"]:
            verb = noun.head
            subj = _resolve(_subject(verb), ctx.own)
            parts = [phrase, verb.text, _verb_modifiers(verb, ctx)]
            if subj is not None:
                parts.append(f"by {_noun_phrase(subj, ctx)}")
            return " ".join(p for p in parts if p), base, None
        return phrase or None, base, None

    # a share: "X accounts for 47% of the province's GDP", "95.6% of them have party members"
    of_pobj = None
    for child in root.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            of_pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if of_pobj is not None:
                words = []
                for t in of_pobj.subtree:  # stop at a parenthesis or another statistic
                    if t.text in "([" or t.i in ctx.blockers:
                        break
                    words.append(t)
                base = "of " + _join(words) if words else base
    base_np = None
    if of_pobj is not None:
        target = _resolve(of_pobj, ctx.own)
        base_np = _noun_phrase(target, ctx) if target is not None else None
        if target is not None and target is not of_pobj:
            base = f"of {base_np}"
    climb = root
    while climb.dep_ in ("pobj", "prep", "quantmod", "nummod", "compound", "npadvmod", "advmod") \
            and climb.head is not climb and climb.head.pos_ not in ("VERB", "AUX"):
        if climb.head.i in ctx.others:
            break
        climb = climb.head
    if climb.head.i in ctx.others and span._.figure_change:
        return None, base, None  # "up 10.5% from 2000" measures the growth of the figure it hangs on
    if root.dep_ in ("nsubj", "nsubjpass") and kind == "percent":
        measure = f"share of {base_np}" if base_np else "share"
        return f"{measure} that {_predicate(root.head, ctx)}".strip(), base, None
    verb = _governing_verb(root)
    if verb is None:
        return (f"share of {base_np}" if base_np else None), base, None
    if verb.dep_ == "acl" and verb.head.pos_ in ("NOUN", "PROPN"):
        return f"{verb.lemma_} of {_noun_phrase(verb.head, ctx)}", base, None
    subject = _subject(verb)
    resolved = _resolve(subject, ctx.own)
    owner = _noun_phrase(resolved, ctx) if resolved is not None and resolved.i not in ctx.own else None
    if owner and resolved.lemma_.lower() in lex["generic_subjects"] and len(owner.split()) <= 3:
        generic = owner
    if kind == "percent" and (base_np or verb.lemma_ in lex["share_verbs"]):
        measure = f"{owner} share" if owner else "share"
        if base_np:
            measure += f" of {base_np}"
        return measure, base, generic
    if verb.lemma_ in lex["light_verbs"] or root.dep_ in ("nsubj", "nsubjpass"):
        if span._.figure_change and owner:
            direction = "growth" if span._.figure_change == "up" else "decline"
            return f"{owner} {direction}", base, generic
        return owner, base, generic
    dative = next((c for c in verb.children if c.dep_ in ("dative", "iobj")), None)
    of_what = next((c for c in root.children if c.dep_ == "prep" and c.lower_ in ("in", "of", "for")), None)
    of_what = next((c for c in of_what.children if c.dep_ == "pobj"), None) if of_what is not None else None
    if of_what is not None:  # "approved over $377 billion in COVID-19 EIDL funding"
        parts = [_noun_phrase(of_what, ctx), verb.text]
        if dative is not None:
            parts.append(f"to {_noun_phrase(dative, ctx)}")
        if owner:
            parts.append(f"by {owner}")
        return " ".join(parts), base, None
    parts = [verb.lemma_]
    if dative is not None:
        parts.append(f"to {_noun_phrase(dative, ctx)}")
    if owner:
        parts.append(f"by {owner}")
    return " ".join(parts), base, None


def _is_threshold(span: Span) -> bool:
    """ "enterprises with more than 50 employees": a bound that defines a class of things, not a statistic
    (a bound after a comma, "organizations, with more than 40,000 workers", is a statistic)."""
    if span._.figure_qualifier in ("=", "~"):
        return False
    root = span.root
    prep = root.head if root.dep_ == "pobj" else None
    if prep is None or prep.dep_ != "prep" or prep.head.pos_ not in ("NOUN", "PROPN"):
        return False
    return prep.i == 0 or not prep.doc[prep.i - 1].is_punct


def _host_figure(span: Span, spans: list[Span]) -> Optional[Span]:
    """The other figure a span hangs on in the parse ("670 billion yuan, up 10.5%": the yuan figure)."""
    for ancestor in span.root.ancestors:
        for other in spans:
            if other is not span and other.start <= ancestor.i < other.end:
                return other
    return None


def nearest_region(doc: Doc, start: int, end: int) -> Optional[Span]:
    """The place entity nearest a token range: the closest before it, else the closest after it."""
    places = [e for e in doc.ents if e.label_ == "GPE"]
    before = [e for e in places if e.end <= start]
    if before:
        return before[-1]
    after = [e for e in places if e.start >= end]
    return after[0] if after else None


def main_object_phrase(doc: Doc) -> Optional[str]:
    """The object of a sentence's main verb ("domestic production"): what a generic "the total value" refers to."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    obj = next((c for c in root.children if c.dep_ in ("dobj", "attr")), None)
    return _noun_phrase(obj, FigureTokens(set(), set(), set(), set(), set())) if obj is not None else None


# --------------------------------------------------------------------------- the component


def _register_extensions() -> None:
    for name in SPAN_ATTRIBUTES:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


_register_extensions()


class FigureRecognizer:
    """Sets ``doc.spans["figures"]``: one span per statistic, read by the text rules and, when the Doc has a
    parse and entities, described with the syntax (measures, base, region)."""

    def __init__(self, nlp: Language, name: str = "reportlens_figures", spans_key: str = SPANS_KEY):
        self.name = name
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        masks = non_figure_ranges(text)
        mentions = year_mentions(text, masks)
        spans = []
        for cand in scan_english(text, masks):
            span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            self._annotate(span, cand, mentions)
            spans.append(span)
        doc.spans[self.spans_key] = spans
        if spans and doc.has_annotation("DEP"):
            self._describe(doc, spans)
        return doc

    @staticmethod
    def _annotate(span: Span, cand: FigureCandidate, mentions: list[YearMention]) -> None:
        span._.figure_chars = (cand.start, cand.end)
        span._.figure_value = cand.value
        span._.figure_kind = cand.kind
        span._.figure_unit = cand.unit
        span._.figure_qualifier = cand.qualifier
        span._.figure_low = cand.low
        span._.figure_high = cand.high
        span._.figure_change = cand.change
        span._.figure_reference = cand.reference
        span._.figure_base = cand.base
        year = year_for(span.start_char, span.end_char, mentions, cand.reference)
        if year is not None:
            span._.figure_year = year.year
            span._.figure_date = year.phrase

    @staticmethod
    def _extend_to_counted_noun(doc: Doc, span: Span) -> Span:
        """With a parse, the counted noun is the head of the number ("40,000 full-time and part-time workers")."""
        if span._.figure_kind != "count":
            return span
        number = max((t for t in span if t.like_num), key=lambda t: t.i, default=None)
        if number is None or number.dep_ not in ("nummod", "quantmod", "compound", "amod", "nmod"):
            return span
        head = number.head
        while head.dep_ == "compound" and head.head.i > head.i and head.head.pos_ == "NOUN":
            head = head.head
        lex = lexicon("en")
        if head.i <= number.i or head.pos_ != "NOUN" or head.i - number.i > 8 \
                or head.lower_ in lex["date_nouns"] or head.lower_ in lex["count_noun_stopwords"] \
                or any((t.is_punct and t.text in ",;:()%") or t.like_num or t.lower_ in ("percent", "$", "£", "€")
                       for t in doc[number.i + 1:head.i]):
            return span
        if head.i < span.end:
            span._.figure_unit = head.text
            return span
        extended = doc[span.start:head.i + 1]
        for name in SPAN_ATTRIBUTES:
            setattr(extended._, name, getattr(span._, name))
        extended._.figure_unit = head.text
        extended._.figure_chars = (span._.figure_chars[0], head.idx + len(head.text))
        return extended

    @staticmethod
    def _drop_verb_as_noun(doc: Doc, span: Span) -> Optional[Span]:
        """The parser knows "606 contributes" ends in a verb: no counted noun, and a bare integer is no figure."""
        last = span[-1]
        if span._.figure_kind != "count" or last.like_num or last.pos_ not in ("VERB", "AUX"):
            return span
        number = max((t for t in span if t.like_num), key=lambda t: t.i, default=None)
        if number is None or (span._.figure_qualifier == "=" and "," not in number.text):
            return None
        trimmed = doc[span.start:number.i + 1]
        for name in SPAN_ATTRIBUTES:
            setattr(trimmed._, name, getattr(span._, name))
        trimmed._.figure_unit = None
        trimmed._.figure_chars = (span._.figure_chars[0], number.idx + len(number.text))
        return trimmed

    def _describe(self, doc: Doc, spans: list[Span]) -> None:
        spans[:] = [s for s in (self._drop_verb_as_noun(doc, span) for span in spans) if s is not None]
        spans[:] = [self._extend_to_counted_noun(doc, span) for span in spans]
        doc.spans[self.spans_key] = spans
        numbers = [number_part(s) for s in spans]
        lead = None  # the phrase a list of figures shares ("Interest rate 3.75 percent ...; 2.75 percent ...")
        for k, span in enumerate(spans):
            others = [s for s in spans if s is not span]
            ctx = FigureTokens(
                own={t.i for t in span},
                number=numbers[k],
                others={t.i for s in others for t in s},
                other_numbers={i for j, n in enumerate(numbers) if j != k for i in n},
                blockers={i for j, s in enumerate(spans) if j != k and not _is_threshold(s)
                          and s._.figure_kind != "duration" for i in numbers[j]},
            )
            measures, base, generic = describe_figure(span, ctx)
            if measures is None and not span._.figure_change:
                measures, lead = fallback_measure(span, ctx, lead)
            region = nearest_region(doc, span.start, span.end)
            if region is not None:
                span._.figure_region = region.text
                if measures and region.start < span.start and region.text.lower() not in measures.lower():
                    measures = f"{measures} in {region.text}"
            span._.figure_measures = measures
            span._.figure_measures_generic = generic
            span._.figure_base = base
        for span in spans:
            host = _host_figure(span, spans) if not span._.figure_measures else None
            if host is not None and not span._.figure_change:  # "73 percent of X (about $261 billion)"
                span._.figure_measures = (host._.figure_base or "")[3:] or host._.figure_measures
            if span._.figure_change and not span._.figure_measures:  # a change measures its host's growth
                if host is not None and host._.figure_measures:
                    direction = "growth" if span._.figure_change == "up" else "decline"
                    reference = f" {span._.figure_reference}" if span._.figure_reference else ""
                    span._.figure_measures = f"{host._.figure_measures} {direction}{reference}"
                    span._.figure_measures_generic = host._.figure_measures_generic


@Language.factory(
    "reportlens_figures",
    assigns=[f"doc.spans", *(f"span._.{name}" for name in SPAN_ATTRIBUTES)],
    # used when present (measures, base, counted noun, region); on a blank pipeline the text rules still run
    requires=["token.dep", "token.pos", "token.lemma", "doc.ents"],
    retokenizes=False,
    default_config={"spans_key": SPANS_KEY},
)
def make_figure_recognizer(nlp: Language, name: str, spans_key: str) -> FigureRecognizer:
    """The figures component; works on a blank pipeline, and describes figures further with a parser and NER."""
    return FigureRecognizer(nlp, name, spans_key)
