"""End to end on a report written for these tests in the model report's style (other place, topic and
words), so the whole analysis is checked on text the rules were not tuned on."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract import analyze_file

REPORT = Path(__file__).parent / "fixtures" / "reports" / "rural_revitalization_investigation.txt"


@pytest.fixture(scope="module")
def analysis():
    return analyze_file(REPORT)


def test_report_metadata_and_parts(analysis):
    report = analysis.report
    assert report.title == "Report on the Investigation of Rural Revitalization Experience in Jiangsu Province"
    assert report.report_type == "investigation report"
    assert report.studied_regions[0] == "Jiangsu"
    assert "recommended article" not in report.text and "Home >" not in report.text
    top = [(s.kind, s.heading) for s in report.sections if s.level == 1]
    assert [kind for kind, _ in top] == ["situation", "findings", "recommendations"]
    assert top[2][1] == "III. Suggestions for our city"


def test_practice_tree(analysis):
    tops = [p for p in analysis.practices if p.level == 1]
    assert [p.text for p in tops] == ["strengthen planning guidance", "develop the collective economy",
                                      "improve the rural living environment", "train new farmers"]
    children = [p.text for p in analysis.practices if p.parent == tops[1].id]
    assert children == ["set up village-level cooperatives",
                        "support villages in leasing standard factory buildings",
                        "establish a guarantee fund of 500 million yuan for village collectives"]


def test_stages(analysis):
    stages = [(s.label, s.start, s.end) for s in analysis.stages]
    assert stages == [("township enterprise development", None, "2005"),
                      ("new countryside construction", "2005", "2012"),
                      ("comprehensive revitalization", "2012", None)]


def test_findings_and_recommendations(analysis):
    assert len(analysis.findings) == 3
    assert analysis.findings[0].text.startswith("Rural revitalization must be guided by planning")
    assert [r.text for r in analysis.recommendations] == [
        "formulate the city's rural revitalization plan as soon as possible",
        "set up a special fund to support the development of the collective economy",
        "carry out a three-year campaign to improve the rural living environment",
        "establish a training system for new farmers and encourage college graduates to work in rural areas",
    ]


def test_figures(analysis):
    by_value = {f.value: f for f in analysis.figures}
    income = by_value[20845]
    assert (income.kind, income.unit, income.year) == ("money", "CNY", 2018)
    assert "income" in income.measures
    assert by_value[8.8].kind == "percent"
    assert by_value[2.5e9].qualifier == ">"
    assert by_value[95].qualifier == "~"
    assert by_value[200000].unit == "farmers"
    for f in analysis.figures:
        assert analysis.report.text[f.span[0]:f.span[1]] == f.text


def test_summary_is_extractive(analysis):
    summary = analysis.summary
    assert 3 <= len(summary.abstract) <= 5
    for sentence in summary.abstract:
        assert analysis.report.text[sentence.span[0]:sentence.span[1]] == sentence.text
    assert [n.text for n in summary.practice_tree][:2] == ["strengthen planning guidance",
                                                           "develop the collective economy"]
