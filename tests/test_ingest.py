"""Tests for pipeline.ingest, the entry point: content ids, a 50 MB file, integration on the model report and
(when ../shared/corpus exists) the shared corpus, and properties: any text ingests without a traceback and
every span points into the cleaned text."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import IngestError, ingest_file, ingest_text, report_id

from .conftest import MODEL_REPORT, SHARED_CORPUS, assert_spans_consistent, top_level


needs_corpus = pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="../shared/corpus is absent")


def test_report_id_is_stable_and_content_based():
    a = ingest_text("The committee found late inspections.\r\n\r\nIt recommends a calendar.", source="a.txt")
    b = ingest_text("The committee found late inspections.\n\n\n\nIt recommends a calendar.  ", source="b.txt")
    c = ingest_text("The committee found early inspections.\n\nIt recommends a calendar.", source="a.txt")
    assert a.id == b.id != c.id
    assert len(a.id) == 16 and int(a.id, 16) >= 0
    assert report_id("café") == report_id("cafe\u0301")  # NFC before hashing


def test_fifty_megabyte_text_file_is_linear(tmp_path):
    paragraph = ("The inspection team visited the harbour in spring and reviewed the records of every pier,\n"
                 "the maintenance contracts and the budget of the authority for the last five years. The propos ed\n"
                 "imple-\nmentation plan was discussed (see page 4). First, the team met the staff.\n\n")
    heading_every = 200
    chunk = "".join(f"Chapter {i % 9 + 1}: Part {i}\n\n" + paragraph * heading_every for i in range(3))
    path = tmp_path / "big.txt"
    with path.open("w", encoding="utf-8") as handle:
        written = 0
        while written < 50_000_000:
            handle.write(chunk)
            written += len(chunk)
    started = time.perf_counter()
    report = ingest_file(path)
    elapsed = time.perf_counter() - started
    assert len(report.text) > 40_000_000
    assert "proposed implementation plan" in report.text[:5000]
    assert elapsed < 120, f"50 MB took {elapsed:.1f}s"


@pytest.mark.skipif(not MODEL_REPORT.exists(), reason="model report missing")
def test_model_report():
    report = ingest_file(MODEL_REPORT)
    assert report.title == ("Investigation Report on the Work of Party Building in the Two New Organizations "
                            "in Zhejiang Province")
    assert report.language == "en"
    assert report.report_type == "investigation report"
    lowered = report.text.lower()
    assert "work report > investigation report" not in lowered
    assert "recommended article" not in lowered and "popular articles" not in lowered
    parts = top_level(report)
    assert [(s.heading, s.kind) for s in parts] == [
        ("I. Strengthening the basic situation of party building work in non-public enterprises and new "
         "organizations in Zhejiang Province", "situation"),
        ("Second, a few revelations", "findings"),
        ("III. Suggestions for the next step", "recommendations"),
    ]
    subs = [(s.heading, s.kind) for s in report.sections if s.level == 2]
    assert subs == [
        ("The basic situation of strengthening party building work in non-public enterprises in Zhejiang "
         "Province", "situation"),
        ("The basic situation of strengthening the party building work of new associations in Zhejiang "
         "Province", "situation"),
    ]
    # the three parts tile the body: each ends where the next begins
    assert parts[0].span[1] < parts[1].span[0] and parts[1].span[1] < parts[2].span[0]
    assert report.text[:parts[2].span[1]].endswith("the party building work of the two new organizations.")
    assert_spans_consistent(report)
    assert ingest_file(MODEL_REPORT).id == report.id


@needs_corpus
def test_gao_report():
    report = ingest_file(SHARED_CORPUS / "gao" / "gao-26-107759.md")
    assert report.title == "Quantum Computing: Updating the National Strategy Could Promote U.S. Leadership"
    assert report.report_type == "audit report"
    kinds = {s.heading: s.kind for s in report.sections}
    assert kinds["What GAO Found"] == "findings"
    assert kinds["What GAO Recommends"] == "recommendations"
    assert kinds["Why GAO Did This Study"] == "method"
    found = next(s for s in report.sections if s.heading == "What GAO Found")
    assert "GAO found that, with respect to quantum computing" in report.text[found.span[0]:found.span[1]]
    assert "Appendix I Objectives, Scope, and Methodology 27" not in report.text  # table of contents
    assert "see original PDF" not in report.text
    assert_spans_consistent(report)


@needs_corpus
def test_gao_report_with_page_footers():
    source = (SHARED_CORPUS / "gao" / "gao-26-107815.md").read_text(encoding="utf-8")
    assert "Page 3 GAO-26-107815 HHS Refugee Assistance for Ukrainians" in source
    report = ingest_file(SHARED_CORPUS / "gao" / "gao-26-107815.md")
    assert "GAO-26-107815 HHS Refugee Assistance for Ukrainians" not in report.text
    assert report.title == "Ukraine Funding: HHS Allocation and Oversight of Refugee Assistance"


@needs_corpus
def test_lords_text_report():
    report = ingest_file(SHARED_CORPUS / "uk-parliament" / "hol_2025_space_economy_HL190.txt")
    assert report.title == "The Space Economy: Act Now or Lose Out"
    assert report.report_type == "parliamentary inquiry"
    chapters = [s.heading for s in report.sections if s.heading.upper().startswith("CHAPTER")]
    assert len(chapters) == 5 and all(report.sections[[x.heading for x in report.sections].index(c)].level == 1
                                      for c in chapters)
    assert chapters[0] == "CHAPTER 1: INTRODUCTION"
    summary = next(s for s in report.sections if s.heading.startswith("SUMMARY OF CONCLUSIONS"))
    assert summary.kind == "recommendations" and summary.level == 1
    assert "THE SPACE ECONOMY: ACT NOW OR LOSE OUT" not in report.text  # running header
    assert "Chapter 2: A strategy for space 20" not in report.text  # contents
    assert "propos ed" not in report.text and "C ONCLUSIONS" not in report.text
    assert_spans_consistent(report)


@needs_corpus
@pytest.mark.slow
def test_lords_pdf_report():
    started = time.perf_counter()
    report = ingest_file(SHARED_CORPUS / "uk-parliament" / "hol_2025_space_economy_HL190.pdf")
    elapsed = time.perf_counter() - started
    assert report.title == "The Space Economy: Act Now or Lose Out"
    chapters = [s for s in report.sections if s.heading.upper().startswith("CHAPTER")]
    assert len(chapters) == 5 and all(s.level == 1 for s in chapters)
    assert "THE SPACE ECONOMY: ACT NOW OR LOSE OUT" not in report.text
    assert elapsed < 60


@needs_corpus
@pytest.mark.parametrize("name", ["gwr_2025_zh.txt", "cpc16_congress_report_2002_zh.txt"])
def test_chinese_report(name):
    report = ingest_file(SHARED_CORPUS / "zh" / name)
    assert report.language == "zh"
    first_line = (SHARED_CORPUS / "zh" / name).read_text(encoding="utf-8").splitlines()[0].strip()
    assert report.title == first_line
    level1 = [s.heading for s in report.sections if s.level == 1]
    assert level1[0].startswith("一、")
    assert any(s.level == 2 and s.heading.startswith("（一）") for s in report.sections)
    assert_spans_consistent(report)


_REPORTISH = st.lists(
    st.one_of(
        st.text(min_size=0, max_size=80),
        st.sampled_from([
            "I. Basic situation of the towns", "Second, a few lessons In the survey, we saw", "III. Suggestions",
            "Chapter 2: A strategy for space 20", "# What GAO Found", "**Conclusions**", "一、基本情况", "（一）主要做法。",
            "12", "Page 4 GAO-24-1 Audit", "imple-", "mentation of the plan.", "propos ed", "Home > Reports",
            "recommended article", "\f", "• item", "| a | b |", "---",
        ]),
    ),
    max_size=40,
).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_REPORTISH, fmt=st.sampled_from(["text", "markdown", "pdf", "html"]))
def test_any_text_ingests_with_consistent_spans(text, fmt):
    try:
        report = ingest_text(text, fmt=fmt)
    except IngestError as error:
        assert error.reason == "no text left after cleaning"
        return
    assert report.text.strip() and report.title
    assert report.id == report_id(report.text)
    for section in report.sections:
        start, end = section.span
        assert 0 <= start < end <= len(report.text)
        assert section.heading_span[0] == start and section.heading_span[1] <= end
        assert section.level >= 1
