"""Report metadata: studied and home regions, report type, visit dates and organizations."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.metadata import describe_report, normalize_place, report_type
from pipeline.records import Report, Section

FIXTURES = Path(__file__).parent / "fixtures" / "structure"
ROOT = Path(__file__).resolve().parents[1]
MODEL_REPORT = ROOT / "corpus" / "zhejiang-two-new-organizations.txt"


def plain_report(text: str, title: str | None = None, language: str = "en", sections=()) -> Report:
    return Report(id="t", source="fixture", title=title or text.splitlines()[0], language=language, text=text,
                  sections=list(sections))


@pytest.mark.parametrize("title, text, expected", [
    ("Investigation Report on Party Building in Zhejiang Province", "", "investigation report"),
    ("Disaster Assistance: SBA Should Take Steps", "Report: GAO-26-107682 | U.S. Government Accountability Office",
     "audit report"),
    ("The space economy: act now or lose out", "HOUSE OF LORDS Select Committee on the UK Engagement with Space",
     "parliamentary inquiry"),
    ("2025年国务院政府工作报告", "各位代表：", "government work report"),
    ("Notes", "Nothing to say.", None),
])
def test_report_type(title, text, expected):
    assert report_type(plain_report(text or title, title=title)) == expected


@pytest.mark.parametrize("name, expected", [
    ("Zhejiang Province", "Zhejiang"), ("the Yiwu City", "Yiwu"), ("Shanghai", "Shanghai"), ("浙江省", "浙江"),
])
def test_normalize_place(name, expected):
    assert normalize_place(name) == expected


@pytest.mark.slow
def test_visit_report_fixture():
    text = (FIXTURES / "lessons_report.txt").read_text(encoding="utf-8")
    heading = "III. Suggestions"
    start = text.index(heading)
    report = plain_report(text, sections=[Section(heading=heading, level=1, kind="recommendations",
                                                  span=(start, len(text)),
                                                  heading_span=(start, start + len(heading)))])
    meta = describe_report(report)
    assert meta["studied_regions"][0] == "Jiangsu"
    assert {"Suzhou", "Wuxi"} <= set(meta["studied_regions"])
    assert meta["target_region"] == "Tianjin"
    assert meta["visit_dates"] == ["from April 2 to 5 this year"]
    assert meta["visited_organizations"][:2] == ["Suzhou Central Clinic", "Wuxi Rural Health Station"]
    assert "Huishan Village Clinic" in meta["visited_organizations"]


@pytest.mark.slow
def test_model_report_metadata():
    text = MODEL_REPORT.read_text(encoding="utf-8")
    heads = [("Second, a few revelations", "findings"), ("III. Suggestions for the next step", "recommendations")]
    sections = []
    for i, (heading, kind) in enumerate(heads):
        start = text.index(heading)
        end = text.index(heads[i + 1][0]) if i + 1 < len(heads) else len(text)
        sections.append(Section(heading=heading, level=1, kind=kind, span=(start, end),
                                heading_span=(start, start + len(heading))))
    meta = describe_report(plain_report(
        text, title="Investigation Report on the Work of Party Building in the Two New Organizations in Zhejiang "
                    "Province", sections=sections))
    assert meta["studied_regions"][0] == "Zhejiang"
    assert {"Yiwu", "Wenzhou", "Shaoxing", "Jinhua"} <= set(meta["studied_regions"])
    assert meta["target_region"] == "Shanghai"
    assert meta["report_type"] == "investigation report"
    assert meta["visit_dates"] == ["from November 10 to 13 last year"]
    assert {"Yiwu Small Commodity City", "Wenzhou Dahu Lighter Factory", "Kangnai Group Company"} <= \
        set(meta["visited_organizations"])


def test_chinese_report_uses_rules_only():
    text = "关于江苏省农村诊所的调研报告\n\n我们于2024年4月2日至5日赴苏州市、无锡市调研。"
    meta = describe_report(plain_report(text, language="zh"))
    assert meta["studied_regions"][:1] == ["江苏"]
    assert meta["report_type"] == "investigation report"
    assert meta["visit_dates"] == ["2024年4月2日至5日"]


@pytest.mark.parametrize("title,text,year", [
    ("Disaster Assistance", "**Report:** GAO-26-107682 | **Published:** 2026-03-03 | Source", 2026),
    ("The Space Economy", "Ordered to be printed 20 October 2025 and published 4 November 2025", 2025),
    ("2025年中华人民共和国国务院政府工作报告", "各位代表：", 2025),
    ("Investigation Report", "By the end of 2001 the province had 9,738 social organizations; by 2020 it aims", None),
])
def test_report_year_only_when_the_report_says_it(title, text, year):
    from pipeline.metadata import report_year

    report = Report(id="y", source="y", title=title, language="en", text=text)
    assert report_year(report, today=2026) == year


@pytest.mark.parametrize("title, opening, number", [
    ("Grants Management", "Report to Congressional Requesters\n\nGAO-26-107551\n\nWhat GAO Found", "GAO-26-107551"),
    ("Space economy", "HOUSE OF LORDS\n\n2nd Report of Session 2024–25\n\nHL Paper 190\n\nPublished 1 May 2025",
     "HL Paper 190"),
    ("关于加强基层党建工作的通知", "国发〔2020〕12号\n\n各省、自治区人民政府：", "国发〔2020〕12号"),
    ("Investigation Report", "In 2001 the county built 12 sites; see GAO report 17 and HC members.", None),
])
def test_report_number(title, opening, number):
    from pipeline.metadata import report_number

    assert report_number(Report(id="x", source="x.txt", title=title, language="en", text=opening)) == number
