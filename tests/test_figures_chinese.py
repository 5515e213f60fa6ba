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


# --------------------------------------------------------------------------- what a figure borrows from its sentence


def _zh(text: str, year=None):
    from pipeline.figures import extract_figures
    from pipeline.records import Report
    return extract_figures(Report(id="t", source="t", title="t", language="zh", text=text, year=year))


@pytest.mark.parametrize("text,value,measures", [
    # a rate clause with no subject of its own takes the sentence's subject
    ("2019年，全市工业增加值达到3200亿元，年均增长6.5%。", 6.5, "全市工业增加值年均增长"),
    # an amount followed by 的 measures that thing; a physical quantity keeps its unit
    ("全年新建了长达420多公里的城市快速路。", 420, "城市快速路（公里）"),
    # the object of an outlay verb after the amount
    ("省财政安排85亿元专项扶贫资金，支持山区发展。", 8.5e9, "专项扶贫资金安排"),
    # a sentence that announces targets
    ("今年发展的主要目标是：城镇新增就业120万人以上，居民收入增长6%。", 6, "居民收入增长主要目标"),
])
def test_chinese_measures_from_the_sentence(text, value, measures):
    figure = next(f for f in _zh(text) if f.value == value)
    assert figure.measures == measures


def test_a_review_section_reports_the_year_before_the_report():
    text = ("一、过去一年工作回顾\n\n全省粮食产量达到610亿斤。外贸进出口总额从800亿美元增加到950亿美元。\n\n"
            "二、今年工作安排\n\n粮食产量稳定在600亿斤以上。")
    from pipeline.figures import extract_figures
    from pipeline.records import Report, Section
    first, second = text.index("一、"), text.index("二、")
    report = Report(id="t", source="t", title="t", language="zh", text=text, year=2021, sections=[
        Section(heading="一、过去一年工作回顾", span=(first, second)),
        Section(heading="二、今年工作安排", span=(second, len(text)))])
    years = {f.value: f.year for f in extract_figures(report)}
    assert years[61e9] == 2020 and years[95e9] == 2020
    assert years[80e9] is None  # the starting level of a change is not the year reviewed
    assert years[60e9] is None  # not a review section
