"""The year a figure refers to when the sentence names it relative to the report's own year."""
from __future__ import annotations

import pytest

from pipeline.figures import extract_figures
from pipeline.figures.years import relative_year
from pipeline.records import Report


def report_of(text: str, language: str = "en", year=None) -> Report:
    return Report(id="test", source="test", title="test", language=language, text=text, year=year)


@pytest.mark.parametrize("before, language, expected", [
    ("This year the port handled ", "en", 2026),
    ("Last year, the fund paid ", "en", 2025),
    ("Revenue grew from last year by ", "en", None),  # the base of a change, not the figure's year
    ("今年经济增长预期目标为", "zh", 2026),
    ("去年粮食产量达到", "zh", 2025),
    ("比去年增长", "zh", None),
])
def test_relative_year_words_resolve_against_the_reports_year(before, language, expected):
    assert relative_year(before, 2026, language)[0] == expected


def test_without_a_report_year_a_relative_word_gives_no_year():
    assert relative_year("This year the port handled ", None, "en") == (None, None)


def test_chinese_target_for_this_year_takes_the_reports_year():
    figures = extract_figures(report_of("今年经济增长预期目标为7%左右。", "zh", 2003))
    assert [(f.value, f.year) for f in figures] == [(7.0, 2003)]


@pytest.mark.slow
def test_english_figure_this_year_takes_the_reports_year():
    figures = extract_figures(report_of("This year the port handled 12,000 ships.", "en", 2024))
    assert [(f.value, f.year) for f in figures] == [(12000.0, 2024)]


@pytest.mark.slow
def test_framed_year_in_the_figures_clause_beats_one_far_before_it():
    # a flattened "at a glance" panel runs into the prose with no sentence end between them
    panel = ("Highlights of the Board's Calendar Year 2023 Results inspections\n412 sites visited\n1,950 "
             "permits issued\n3,400 complaints closed\n88%\n")
    text = panel + "The board is requesting $42 million in grants for fiscal year (FY) 2025."
    money = next(f for f in extract_figures(report_of(text, "en", 2024)) if f.value == 42e6)
    assert money.year == 2025, money.date
    # in an ordinary sentence the year before the figure still holds
    near = next(f for f in extract_figures(report_of("In 2023, the board spent $42 million on grants for FY 2025.",
                                                      "en", 2024)) if f.value == 42e6)
    assert near.year == 2023
