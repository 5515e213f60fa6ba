"""Tests for pipeline.headings: chapter, roman, upper-case, title-line, Chinese and run-in headings."""
from __future__ import annotations

from pipeline.ingest import ingest_text

from .conftest import INGEST_FIXTURES, assert_spans_consistent


def test_chapter_roman_and_caps_headings_in_plain_text():
    raw = (
        "Chapter 1: Introduction\n"
        "1. The space age began in 1957 with the launch of the first satellite into orbit.\n"
        "\n"
        "Chapter 8: Conclusions and recommendations\n"
        "2. The Government should publish a space strategy with a funded delivery plan.\n"
        "\n"
        "III. Next steps\n"
        "The committee will review progress in a year and report to the House.\n"
        "\n"
        "SUMMARY OF CONCLUSIONS AND RECOMMENDATIONS\n"
        "3. Space matters to the economy and to national resilience.\n"
    )
    report = ingest_text(raw)
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("Chapter 1: Introduction", 1, "situation"),
        ("Chapter 8: Conclusions and recommendations", 1, "recommendations"),
        ("III. Next steps", 1, "recommendations"),
        ("SUMMARY OF CONCLUSIONS AND RECOMMENDATIONS", 1, "recommendations"),
    ]
    assert_spans_consistent(report)


def test_short_title_lines_between_paragraphs_are_subheadings():
    raw = (
        "Chapter 2: A strategy for space\n"
        "4. The strategy was published in 2021 and set out ten goals for the space sector.\n"
        "The value of space\n"
        "5. There is widespread misunderstanding of the value of space in public debate.\n"
    )
    report = ingest_text(raw)
    assert [(s.heading, s.level) for s in report.sections] == [
        ("Chapter 2: A strategy for space", 1), ("The value of space", 2)]


def test_cover_lines_before_the_first_chapter_are_not_sections():
    raw = (
        "HOUSE OF LORDS\nHL Paper 190\nThe Space Economy:\nAct Now or Lose Out\n"
        "Contact details\nAll correspondence should be addressed to the Committee Office, House of Lords.\n"
        "SUMMARY\nSpace is transforming the world as we know it, and the UK must act now to keep up.\n"
        "Chapter 1: Introduction\n1. The space age began in 1957 with the launch of the first satellite.\n"
    )
    report = ingest_text(raw)
    assert [s.heading for s in report.sections] == ["SUMMARY", "Chapter 1: Introduction"]


def test_chinese_numbered_headings():
    raw = (
        "2025年政府工作报告\n\n"
        "一、2024年工作回顾\n\n过去一年，我国发展历程很不平凡。\n\n"
        "（一）加强宏观调控，促进经济平稳发展。这是第一段的内容，说明了主要做法和成效，篇幅较长。\n\n"
        "二、存在的问题和下一步建议\n\n我们也清醒看到，工作中还存在不少问题。\n"
    )
    report = ingest_text(raw)
    assert report.language == "zh"
    assert report.title == "2025年政府工作报告"
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("一、2024年工作回顾", 1, "practices"),
        ("（一）加强宏观调控，促进经济平稳发展", 2, "other"),
        ("二、存在的问题和下一步建议", 1, "recommendations"),
    ]
    second = report.sections[1]
    assert report.text[second.heading_span[0]:second.heading_span[1]] == "（一）加强宏观调控，促进经济平稳发展。"


def test_run_in_headings_are_put_on_their_own_lines():
    report = ingest_text((INGEST_FIXTURES / "runin_report.txt").read_text(encoding="utf-8"))
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("I. The basic situation of rural library services in the Northern Hills District", 1, "situation"),
        ("The basic situation of town libraries in the Northern Hills District", 2, "situation"),
        ("The basic situation of mobile library services in the Northern Hills District", 2, "situation"),
        ("Second, several lessons", 1, "findings"),
        ("III. Suggestions for the next step", 1, "recommendations"),
    ]
    # each run-in heading sits on its own line, and the body sentence after it starts a new paragraph
    assert "\n\nSecond, several lessons\n\nIn the survey, the team found" in report.text
    # enumerations inside paragraphs are not headings
    assert "First, rely on volunteers. Most rooms" in report.text
    assert "Second, share books between towns. A van" in report.text
    # the title repeated at the head of the body goes on its own line but opens no section
    assert "\n\nSurvey Report on Rural Library Services of the Northern Hills District\n\nIn order to" in report.text
    assert_spans_consistent(report)


def test_heading_line_that_runs_on_into_its_paragraph_is_split():
    # a converted leaflet: each bullet point's first line became a markdown heading
    raw = (
        "# Tech Brief: Tidal Sensors\n\n"
        "Tidal sensors are spreading along the coast, and prices have fallen every year since the first\n"
        "networks were installed by port authorities.\n\n"
        "## Cost savings. Sensor prices have dropped because of\n\n"
        "cheaper batteries and wider demand. Councils could buy\n"
        "more of them for the same budget.\n\n"
        "## How reliable are low-cost tidal sensors during\n\n"
        "severe storms?\n\n"
        "## Agency Comments\n\n"
        "We sent a draft of this brief to the ministry, which had no comments on it.\n"
    )
    report = ingest_text(raw, fmt="markdown")
    headings = [s.heading for s in report.sections]
    assert "Cost savings." in headings
    assert "How reliable are low-cost tidal sensors during severe storms?" in headings
    assert "Agency Comments" in headings
    assert "Sensor prices have dropped because of cheaper batteries and wider demand. Councils could buy " \
           "more of them for the same budget." in report.text
    cost = next(s for s in report.sections if s.heading == "Cost savings.")
    assert report.text[cost.heading_span[1]:cost.span[1]].strip().startswith("Sensor prices have dropped")
    assert_spans_consistent(report)
