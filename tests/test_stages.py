"""Stages: periodizations in clauses and over several sentences, ordinal and numbered programme stages,
Chinese review periods, plan periods, century periods and step sequences; never table-of-contents lines or
table rows."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.stages import extract_stages, on_layout_line, zh_number

FIXTURES = Path(__file__).parent / "fixtures" / "stages"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def bounds(stages) -> list[tuple]:
    return [(s.label, s.start, s.end) for s in stages]


def test_periodization_with_events_resolves_years():
    text = ("Party building has experienced three stages: before the 15th National Congress, the stage of "
            "trial and error, work was scattered; from the 15th National Congress to 2004, the stage of "
            "standard setting; since 2004, the deepening stage, rules were applied everywhere. Later text.")
    stages = extract_stages(text)
    assert [(s.label, s.start, s.end) for s in stages] == [
        ("trial and error", None, "15th National Congress"),
        ("standard setting", "15th National Congress", "2004"),
        ("deepening", "2004", None),
    ]
    assert stages[0].end_year == 1997 and stages[1].start_year == 1997 and stages[2].start_year == 2004
    assert [s.order for s in stages] == [1, 2, 3]


def test_ordinal_stage_sentences_with_years():
    text = ("The first stage of reform ran from 1978 to 1992, when prices were freed. The second stage, from "
            "1992 to 2001, built the market. The third stage began after 2001.")
    stages = extract_stages(text)
    assert [(s.start, s.end) for s in stages] == [("1978", "1992"), ("1992", "2001"), ("2001", None)]


def test_named_program_stages_need_no_dates():
    text = ("The program awards grants in two stages. Stage 1 grants fund planning for up to 12 months. "
            "Stage 2 grants fund construction of the approved projects.")
    assert [(s.label, s.order) for s in extract_stages(text)] == [("Stage 1 grants", 1), ("Stage 2 grants", 2)]


@pytest.mark.parametrize("text", [
    "The incentive program was implemented in three stages to allow states to learn. It worked.",
    "The review consists of three phases, including: (1) selection, (2) review, and (3) reporting.",
    "Phase I awards fund feasibility. Phase II awards fund development.",
])
def test_no_stages_without_time_bounds(text):
    assert extract_stages(text) == []


@pytest.mark.parametrize("text, expected", [
    ("Reform has gone through three stages: the first stage (1978-1992) was the exploration stage. The second "
     "stage, from 1992 to 2002, was the stage of building the market. The third stage, since 2002, is the "
     "deepening stage. Other text.",
     [("exploration", "1978", "1992"), ("building the market", "1992", "2002"), ("deepening", "2002", None)]),
    ("改革经历了三个阶段：第一阶段是1978年至1992年的探索阶段；第二阶段是1992年至2002年的建设阶段；第三阶段是2002年以来的深化阶段。",
     [("探索", "1978", "1992"), ("建设", "1992", "2002"), ("深化", "2002", None)]),
])
def test_stages_as_sentences_and_in_chinese(text, expected):
    assert [(s.label, s.start, s.end) for s in extract_stages(text)] == expected


def test_periods_told_over_several_sentences():
    stages = extract_stages(fixture("cooperative_history.txt"))
    assert [(s.start, s.end) for s in stages] == [("2009", "2014"), ("2015", "2018"), ("2019", None)]
    assert stages[0].label == "trial farming"
    assert stages[1].label.startswith("membership grew")
    # the sentences between two dated ones belong to the earlier stage
    assert "Credit came from relatives." in stages[0].text
    assert "survey team" not in stages[-1].text and [s.id for s in stages] == ["S1", "S2", "S3"]


def test_chinese_stages_told_as_sentences():
    assert bounds(extract_stages(fixture("phases_zh.txt"), "zh")) == [
        ("起步", "2008", "2012"), ("推广", "2013", "2017"), ("提升", "2018", None)]


def test_numbered_programme_stages_in_any_case_and_not_from_contents_or_table():
    stages = extract_stages(fixture("grant_programme.txt"))
    assert [s.label for s in stages] == ["Stage 1 grants", "Stage 2 grants"]
    assert stages[0].text.startswith("Stage 1 grants pay for feasibility")
    assert stages[1].text.startswith("stage 2 grants pay for building")


def test_contents_lines_and_table_rows_are_not_stages():
    assert extract_stages(fixture("contents_and_table.txt")) == []


@pytest.mark.parametrize("line, layout", [
    ("The first stage (1990-1999) .............. 3", True),
    ("| Phase 1 | 2001-2004 | inner harbour |", True),
    ("Stage 1\t2019-2020\t48 awards", True),
    ("The first stage, from 1990 to 1999, built the quays.", False),
])
def test_layout_lines(line, layout):
    assert on_layout_line(line, 0) is layout


def test_chinese_review_periods_resolve_against_the_report_year():
    stages = extract_stages(fixture("work_report_zh.txt"), "zh", 2021)
    by_label = {s.label: s for s in stages}
    five = by_label["过去五年"]
    assert (five.start, five.end, five.start_year, five.end_year) == ("2016", "2020", 2016, 2020)
    # 五年来 is the same period, 前五年 (the five years before it) is a comparison, not a stage
    assert sum(1 for s in stages if "五年" in s.label) == 1
    assert (by_label["近两年"].start, by_label["近两年"].end) == ("2019", "2020")
    assert [s.order for s in stages] == list(range(1, len(stages) + 1))


def test_review_period_without_a_report_year_has_no_bounds():
    stages = extract_stages("五年来，全县经济稳步增长。", "zh")
    assert bounds(stages) == [("过去五年", None, None)]


def test_plan_century_and_step_periods():
    stages = extract_stages(fixture("work_report_zh.txt"), "zh", 2021)
    got = {s.label: (s.start, s.end) for s in stages}
    assert got["“十三五”规划"] == ("2016", "2020")
    assert got["“十四五”"] == ("2021", "2025")
    assert got["本世纪头二十年"] == ("2001", "2020")
    assert "第一步目标" in got and "第二步目标" in got
    assert len([s for s in stages if "十四五" in s.label]) == 1  # mentioned twice, one stage


@pytest.mark.parametrize("text, expected", [
    ("“九五”计划胜利完成。", [("“九五”计划", "1996", "2000")]),
    ("“十一五”时期，结构调整加快。", [("“十一五”", "2006", "2010")]),
    ("The 11th Five-Year Plan period closed the old mills.", [("11th Five-Year Plan", "2006", "2010")]),
])
def test_plan_periods(text, expected):
    assert bounds(extract_stages(text)) == expected


@pytest.mark.parametrize("text", [
    "党的十五大以来，改革不断深化。",          # the 15th Congress, not the 10th plan
    "我们迈出了改革的第一步。",                # a lone first step is not a sequence
    "过去一年，经济平稳运行。",                # one year is not a period of development
    "全县财政收入比前五年增长一倍。",
    "Over the past five years the agency hired 300 staff.",
])
def test_not_stages(text):
    assert extract_stages(text, "zh", 2021) == []


@pytest.mark.parametrize("word, number", [("五", 5), ("十", 10), ("十一", 11), ("二十", 20), ("两", 2), ("12", 12)])
def test_zh_number(word, number):
    assert zh_number(word) == number
