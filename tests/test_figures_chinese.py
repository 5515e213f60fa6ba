"""Chinese figures (pipeline/figures/chinese.py) in older typesetting and other forms: spaced digits, percents
in words, ranges whose low end has no unit, negatives, currencies with their ISO codes."""
from __future__ import annotations

import pytest

from pipeline.figures import extract_figures
from pipeline.records import Report


def figures_of(text: str):
    return extract_figures(Report(id="t", source="t", title="t", language="zh", text=text))


@pytest.mark.parametrize("text,value,kind,unit", [
    ("全年财政收入达到7 4 7 7 2 亿元。", 7.4772e12, "money", "CNY"),
    ("城镇登记失业率为4 ．3 ％。", 4.3, "percent", "%"),
    ("国内生产总值达到39.8 万亿元。", 39.8e12, "money", "CNY"),
    ("新增就业1 0 5 0 万人。", 1050e4, "count", "人"),
    ("经济增长百分之九点三。", 9.3, "percent", "%"),
    ("覆盖人口超过百分之九十五。", 95, "percent", "%"),
    ("全年投入一千二百亿元。", 1200e8, "money", "CNY"),
    ("参保人数达到一亿三千万人。", 1.3e8, "count", "人"),
])
def test_spaced_digits_and_numerals(text, value, kind, unit):
    (f,) = figures_of(text)
    assert (f.value, f.kind, f.unit) == (value, kind, unit)


def test_percent_in_words_keeps_its_qualifier_and_measure():
    (f,) = figures_of("覆盖人口超过百分之九十五。")
    assert f.qualifier == ">" and f.measures == "覆盖人口"


@pytest.mark.parametrize("text,low,high", [
    ("最低工资标准提高5到7元。", 5, 7),
    ("每亩补贴100至150元。", 100, 150),
    ("每人每月补助200-300元。", 200, 300),
    ("投资规模在10亿至20亿元之间。", 10e8, 20e8),
    ("每户补助3到5万元。", 3e4, 5e4),  # the low end shares the scale
])
def test_range_with_a_bare_low_end(text, low, high):
    (f,) = figures_of(text)
    assert (f.value, f.low, f.high) == (low, low, high)


@pytest.mark.parametrize("text", ["2000年至2005年，工作稳步推进。", "1至2月份进展顺利。", "第1至3条规定了程序。"])
def test_date_and_article_ranges_are_no_figures(text):
    assert figures_of(text) == []


@pytest.mark.parametrize("text,value", [("出口增长-2.1%。", -2.1), ("工业利润增速为－3.5％。", -3.5),
                                        ("财政收入负增长2.5%。", -2.5), ("居民消费价格同比下降0.3%。", 0.3)])
def test_negative_values(text, value):
    (f,) = figures_of(text)
    assert f.value == value


@pytest.mark.parametrize("text,currency", [
    ("贸易额达到100亿卢布。", "RUB"), ("援助资金2亿韩元。", "KRW"), ("合同金额5000万瑞士法郎。", "CHF"),
    ("投资10亿加元。", "CAD"), ("投资3亿澳元。", "AUD"), ("新台币50亿元的项目。", "TWD"), ("吸收外资50亿美元。", "USD"),
])
def test_currency_codes(text, currency):
    (f,) = figures_of(text)
    assert (f.kind, f.unit) == ("money", currency)
