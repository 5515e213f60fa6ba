"""Number reading: digits ("1,800,100", full-width "１２５６"), number words ("two thousand"), Chinese numerals
("一百二十"), exact scaling without binary noise."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Optional

from .units import lexicon


def to_float(number: Decimal) -> float:
    """A Decimal as a float without binary noise (18.6 billion is 18600000000.0, not ...0004)."""
    return float(number.normalize()) if number == number.to_integral_value() else float(number)


def parse_digits(text: str) -> Optional[Decimal]:
    """ "1,800,100" -> 1800100, "10.5" -> 10.5, full-width digits accepted."""
    cleaned = re.sub(r"[,，\s\u3000]", "", text.translate(_FULLWIDTH))  # "7 4 7 7 2": spaced typesetting
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



def parse_chinese_number(text: str) -> Optional[Decimal]:
    """ "134.9" / "１２５６" -> Decimal; "三" / "一百二十" (Chinese numerals) -> Decimal."""
    digits = parse_digits(text)
    if digits is not None:
        return digits
    lex = lexicon("zh")
    if lex["decimal_point"] in text:  # "九点三" = 9.3: the digits after the point one by one
        whole, _, fraction = text.partition(lex["decimal_point"])
        whole_value = parse_chinese_number(whole) if whole else Decimal(0)
        if whole_value is None or not fraction or any(ch not in lex["numerals"] for ch in fraction):
            return None
        return whole_value + Decimal("0." + "".join(str(lex["numerals"][ch]) for ch in fraction))
    if "亿" in text:  # "一亿三千万" is read as "一亿三千" before the scale 万: see chinese_scaled
        high, _, low = text.partition("亿")
        high_value, low_value = parse_chinese_number(high), parse_chinese_number(low) if low else Decimal(0)
        return None if high_value is None or low_value is None else high_value * 100000000 + low_value
    if "万" in text:  # "九万五千九百三十三" = 9 * 10000 + 5933
        high, _, low = text.partition("万")
        high_value, low_value = parse_chinese_number(high), parse_chinese_number(low) if low else Decimal(0)
        return None if high_value is None or low_value is None else high_value * 10000 + low_value
    total, current = 0, 0
    for ch in text:
        if ch in lex["numerals"]:
            current = lex["numerals"][ch]
        elif ch in lex["numeral_multipliers"]:
            total += (current or 1) * lex["numeral_multipliers"][ch]
            current = 0
        else:
            return None
    return Decimal(total + current)



def chinese_scaled(text: str, scale: Decimal) -> Optional[Decimal]:
    """Chinese numerals before a scale, scaled: the scale counts only the part after a larger unit of the
    numerals ("一亿三千" before 万 is 1亿 + 3000万 = 130,000,000, "三千" before 万 is 30,000,000)."""
    for unit, size in (("亿", Decimal(100000000)), ("万", Decimal(10000))):
        if unit in text and size > scale:
            high, _, low = text.partition(unit)
            high_value = parse_chinese_number(high)
            low_value = chinese_scaled(low, scale) if low else Decimal(0)
            return None if high_value is None or low_value is None else high_value * size + low_value
    number = parse_chinese_number(text)
    return None if number is None else number * scale
