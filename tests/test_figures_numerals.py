"""Number reading (pipeline/figures/numerals.py): digits, spaced digits, number words, Chinese numerals."""
from __future__ import annotations

import pytest

from decimal import Decimal

from pipeline.figures.numerals import chinese_scaled, parse_chinese_number, parse_digits, parse_number_words


@pytest.mark.parametrize("text,expected", [
    ("1,800,100", 1800100), ("10.5", 10.5), ("１２５６", 1256), ("7 4 7 7 2", 74772), ("8 ．8", 8.8),
    ("39.8", 39.8), ("1,2x", None),
])
def test_parse_digits(text, expected):
    value = parse_digits(text)
    assert (value is None and expected is None) or float(value) == expected


@pytest.mark.parametrize("text,expected", [
    ("twenty", 20), ("one hundred", 100), ("forty-five", 45), ("eighteen hundred", 1800),
    ("five hundred thousand", 500000), ("one hundred and five", 105), ("per", None),
])
def test_parse_number_words(text, expected):
    value = parse_number_words(text)
    assert (value is None and expected is None) or float(value) == expected


@pytest.mark.parametrize("text,expected", [
    ("九点三", 9.3), ("十二点八", 12.8), ("二点五", 2.5), ("十五", 15), ("九十五", 95), ("一千二百", 1200),
    ("两千三百", 2300), ("九万五千九百三十三", 95933), ("一亿三千", 100003000), ("点", None), ("九点", None),
])
def test_parse_chinese_number(text, expected):
    value = parse_chinese_number(text)
    assert (value is None and expected is None) or float(value) == expected


@pytest.mark.parametrize("text,scale,expected", [
    ("一亿三千", 10000, 130000000),   # 一亿三千万: the scale counts only the part after 亿
    ("三千", 10000, 30000000), ("十三", 100000000, 1300000000), ("两万", 100000000, 2000000000000),
])
def test_chinese_numerals_before_a_scale(text, scale, expected):
    assert chinese_scaled(text, Decimal(scale)) == expected
