"""Reading English text into figure candidates: amounts with their currency, scale and percent sign, ranges
("between $250,000 and $2 million"), the words around a number that qualify it, make it a change or name what it
counts. Text-level only: no model is needed (:func:`scan_english`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Optional

from .filters import is_figure, non_figure_ranges, overlaps
from .numerals import parse_digits, parse_number_words, to_float
from .units import lexicon, phrase_alternation


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
    partner: Optional["FigureCandidate"] = None  # the other end of "from A to B": a figure when A is


@lru_cache(maxsize=None)
def english_patterns() -> dict[str, re.Pattern]:
    lex = lexicon("en")
    word = phrase_alternation(lex["number_words"])
    scale = phrase_alternation(lex["scales"])
    prefix = phrase_alternation(lex["currency_prefixes"])
    suffix = phrase_alternation(list(lex["currency_suffixes"]) + list(lex["scaled_currency_suffixes"]))
    percent = phrase_alternation(lex["percent_units"])
    abbreviated = phrase_alternation(lex["scale_suffixes"])
    codes = "|".join(lex["currency_codes"])
    units = phrase_alternation(lex["quantity_units"] + lex["duration_units"] + lex["ratio_units"])
    number = (
        rf"(?P<digits>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)(?P<abbr>(?:{abbreviated})\b)?"
        # "and" only after a scale word: "one hundred and five" is one number, "twenty and thirty" two
        rf"|(?P<words>\b(?:{word})\b(?:(?:\s+|-)(?:{word}|hundred|thousand|million|billion|trillion)\b"
        rf"|(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion)|(?<=trillion))\s+and\s+(?:{word})\b)*)"
    )
    amount = (
        rf"(?P<prefix>(?:{prefix})|(?-i:{codes})(?=\s?\d))?\s?(?:{number})"
        rf"(?:(?:\s+|-)(?P<scale>(?:{scale}))\b)?"
        rf"(?:(?:\s?|-)(?P<percent>%|(?:{percent})\b))?"
        rf"(?:\s+(?P<suffix>(?:{suffix})|(?-i:{codes}))\b)?"
    )
    qualifiers = phrase_alternation(lex["qualifiers_before"])
    after = phrase_alternation(lex["qualifiers_after"])
    up = phrase_alternation(lex["change_up"])
    down = phrase_alternation(lex["change_down"])
    nouns_after = phrase_alternation(lex["change_nouns_after"])
    periods = phrase_alternation(lex["relative_periods"])
    yoy = phrase_alternation(lex["year_on_year"])
    frames = phrase_alternation(lex["year_frames"])
    months = phrase_alternation(lex["months"])
    # what a change is measured against: "from 2000", "compared to FY 2026", "since the end of FY 2024"
    reference = (rf"(?P<ref>(?:from|over|compared\s+(?:with|to)|than(?:\s+in)?|since|relative\s+to|versus|vs\.)\s+"
                 rf"(?:(?:{periods})|(?:the\s+)?(?:(?:end|beginning|start)\s+of\s+)?"
                 rf"(?:(?:fiscal|financial)\s+year\s+|FY\s?)?(?:(?:{months})\.?\s+)?(?:1[89]\d\d|20\d\d)\b"
                 rf"(?:\s+(?:enacted\s+)?levels?)?))")
    return {
        # not inside a word or an identifier ("COVID-19"); "10-20 percent" is a range, read by _merge_ranges
        "amount": re.compile(r"(?<![\w.,$£€¥/])(?<![A-Za-z]-)" + amount, re.IGNORECASE),
        "qualifier": re.compile(rf"(?:^|(?<=[\s(\"“]))(?P<q>{qualifiers})\s*$", re.IGNORECASE),
        "qualifier_after": re.compile(rf"^\s*(?P<q>{after})\b", re.IGNORECASE),
        "change_before": re.compile(
            rf"(?:^|(?<=[\s(,]))(?:(?P<up>{up})|(?P<down>{down}))(?:\s+(?P<link>by|to|at|of))?\s*$", re.IGNORECASE),
        "change_after": re.compile(rf"^\s*(?P<noun>{nouns_after})\b(?!\s+(?:than\s+)?(?:\d|half))", re.IGNORECASE),
        "reference": re.compile(rf"\b{reference}|(?P<yoy>{yoy})", re.IGNORECASE),
        "reference_at": re.compile(rf"\s*{reference}", re.IGNORECASE),  # right after a figure
        "unit_after": re.compile(rf"^\s*(?:-\s*)?(?P<unit>{units})\b", re.IGNORECASE),
        "word": re.compile(r"[A-Za-z][A-Za-z'’\-]*|\S"),
        "year": re.compile(r"(?<![\w$£€.,/-])(1[89]\d\d|20\d\d)(?![\w%]|,\d|\.\d)"),
        "frame": re.compile(
            # "fiscal year (FY) 2027": an abbreviation in brackets between frame and year
            rf"(?:^|(?<=[\s(,]))(?P<frame>{frames})\s+(?:\([A-Z]{{2,4}}\)\s+)?(?:the\s+)?"
            rf"(?:(?:{months})\.?\s+(?:\d{{1,2}},?\s+)?)?$",
            re.IGNORECASE),
        "reference_year": re.compile(
            rf"(?:%|percent|per\s+cent|points|{up}|{down})\s*,?\s+(?:from|over|compared\s+(?:with|to)|than(?:\s+in)?|"
            rf"versus|vs\.)\s+(?:the\s+)?(?:(?:end|beginning|start)\s+of\s+)?(?:(?:{months})\.?\s+)?$", re.IGNORECASE),
        "month_before": re.compile(rf"(?:{months})\.?\s+(?:\d{{1,2}},?\s+)?$", re.IGNORECASE),
        "negative": re.compile(r"(?:^|(?<=[\s(\[:=|]))(?:" + "|".join(
            re.escape(sign) + (r"\s+" if sign.isalpha() else "") for sign in lex["negative_signs"]) + r")",
            re.IGNORECASE),
        "translated_scale": re.compile(rf"(?:{phrase_alternation(lex['translated_scales'])})(?![\d,])", re.IGNORECASE),
        "range_link": re.compile(r"^\s*(?:(?P<dash>[-–—])|(?P<to>to|through)|(?P<and>and))\s*$", re.IGNORECASE),
        "range_opener": re.compile(r"\b(?:between|from)\s*$", re.IGNORECASE),
        "from": re.compile(r"\bfrom\s*$", re.IGNORECASE),
        "share_of": re.compile(r"^\s*of\s+(?P<base>(?:the\s+|their\s+|its\s+|all\s+)?[^,;:.()]{1,60}?)"
                               r"(?=[,;:.()]|\s+(?:in|during|for|and|was|were|is|are|had|have|has|which|that|who)\b|$)",
                               re.IGNORECASE),
    }




def scan_english(text: str, masks: Optional[list[tuple[int, int, str]]] = None) -> list[FigureCandidate]:
    """Every statistic in an English ``text``, in text order, normalized; non-figures left out.

    ``masks`` are the non-figure ranges of ``text`` (computed when not given)."""
    pats = english_patterns()
    lex = lexicon("en")
    masks = non_figure_ranges(text) if masks is None else masks
    raw = []
    for m in pats["amount"].finditer(text):
        cand = _read_amount(text, m, lex)
        if cand is not None:
            raw.append(cand)
    merged = _merge_ranges(text, _merge_translated_scales(text, raw, lex), pats)
    read, kept = [], set()
    for cand in merged:
        if overlaps(cand.number_start, cand.number_end, masks):
            continue
        _attach_context(text, cand, pats, lex)
        read.append(cand)
        if is_figure(text, cand, lex):
            kept.add(id(cand))
    # the two ends of "from A to B" share their fate: "dropped from 1,433 to 777"
    for cand in read:
        if cand.partner is not None and id(cand.partner) in kept and not cand.attributive \
                and any(cand.partner is other for other in read):
            kept.add(id(cand))
    return [cand for cand in read if id(cand) in kept]


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
    currency = (lex["currency_prefixes"].get(prefix.upper() if prefix.isalpha() else prefix)
                or (prefix if prefix in lex["currency_codes"] else None)) if prefix else None
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
        elif suffix in lex["currency_codes"]:
            currency = currency or suffix
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
    sign = _negative_sign(text, start)
    if sign is not None:
        value, start = -value, sign
    elif currency and not percent_unit:
        accounting = _accounting_parentheses(text, start, end)
        if accounting is not None:
            value, (start, end) = -value, accounting
    return FigureCandidate(
        start=start, end=end, number_start=number_start, number_end=number_end, value=to_float(value), kind=kind,
        unit=currency or percent_unit, scaled=scaled, spelled=bool(g["words"]),
        grouped=bool(re.search(r"[,.]", g["digits"] or "")), currency=currency, percent_unit=percent_unit)


def _negative_sign(text: str, start: int) -> Optional[int]:
    """Where the minus of a negative number starts ("-4.2%", "−1.8 percent", "minus five percent"), or None. A
    dash between two numbers ("2019-2020", "10 -20") is a range or an identifier, not a sign."""
    m = next((m for m in english_patterns()["negative"].finditer(text, max(0, start - 12), start)
              if m.end() == start), None)
    if m is None:
        return None
    if re.search(r"[\d%]\s*$", text[max(0, m.start() - 3):m.start()]):
        return None
    return m.start()


def _accounting_parentheses(text: str, start: int, end: int) -> Optional[tuple[int, int]]:
    """ "($91,366)": an amount of money in parentheses is negative (accounting) where it is the value itself: a
    table cell or a line of its own, or right after a verb or preposition that leads a value ("a net loss of
    ($91,366)"). After a noun or another amount it is an aside ("47 percent ($1.79 billion)", "£100 ($130)")."""
    left = text[max(0, start - 3):start]
    right = text[end:end + 3]
    if not (left.rstrip().endswith("(") and right.lstrip().startswith(")")):
        return None
    open_at = start - (len(left) - left.rstrip().rindex("("))
    close_at = end + right.index(")") + 1
    line = text[text.rfind("\n", 0, open_at) + 1:open_at]
    cell = line.rstrip(" ")
    word = re.search(r"([A-Za-z]+)$", cell)
    if cell == "" or cell.endswith(("|", "\t", ":", "<br>")) or line.endswith("  ") \
            or (word and word.group(1).lower() in lexicon("en")["accounting_leads"]):
        return open_at, close_at
    return None


def _merge_translated_scales(text: str, cands: list[FigureCandidate], lex: dict) -> list[FigureCandidate]:
    """ "172 10,000 people" (172万人) -> 1,720,000 people; "326.5 100 million yuan" (326.5亿元) -> 32.65 billion
    yuan: a bare number right before a translated scale word multiplies it (``translated_scales``)."""
    scales = english_patterns()["translated_scale"]
    out: list[FigureCandidate] = []
    for cand in cands:
        prev = out[-1] if out else None
        m = scales.match(text, cand.number_start)
        if prev is not None and m and prev.end == prev.number_end and not (prev.currency or prev.percent_unit
                                                                          or prev.scaled or prev.spelled) \
                and cand.start == cand.number_start and not cand.percent_unit \
                and re.fullmatch(r"[ \t]+", text[prev.end:cand.start]) \
                and not re.fullmatch(r"(?:1[89]|20)\d\d", text[prev.number_start:prev.number_end]):
            scale = Decimal(str(lex["translated_scales"][re.sub(r"\s+", " ", m.group(0).lower())]))
            value = Decimal(str(prev.value)) * Decimal(str(cand.value))
            if Decimal(str(cand.value)) == scale:
                cand.value = to_float(value)
                cand.start, cand.number_start = prev.start, prev.number_start
                cand.scaled = cand.grouped = True
                out[-1] = cand
                continue
        out.append(cand)
    return out


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
            if i + 1 < len(cands) and _is_from_to(text, cands[i], cands[i + 1], pats):
                cands[i].partner, cands[i + 1].partner = cands[i + 1], cands[i]
            out.append(cands[i])
            i += 1
    return out


def _is_from_to(text: str, a: FigureCandidate, b: FigureCandidate, pats: dict) -> bool:
    """ "dropped from 1,433 to 777": a level before and after, two figures of one fate."""
    link = pats["range_link"].match(text[a.end:b.start])
    return bool(link and link.group("to") and pats["from"].search(text[max(0, a.start - 12):a.start])
                and (a.kind == b.kind or not (a.percent_unit or b.percent_unit)))


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
            elif unit.group(0).lstrip().startswith("-") and word in lex["duration_units"] \
                    and _next_word(text, cand.end + unit.end()) not in lex["measured_durations"]:
                cand.attributive = True  # "a 5-year plan", "14-day window"; "a 28-month delay" is a statistic
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


def _next_word(text: str, pos: int) -> str:
    m = re.match(r"\s*([A-Za-z]+)", text[pos:pos + 30])
    return m.group(1).lower() if m else ""


def _counted_noun(text: str, pos: int, lex: dict) -> Optional[tuple[int, int]]:
    """The noun a number counts, read from the words after it: "1,800,100 non-public economic organizations"."""
    stop = set(lex["count_noun_stopwords"])
    dates = set(lex["date_nouns"])
    words = []
    for m in english_patterns()["word"].finditer(text, pos, min(len(text), pos + 80)):
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


