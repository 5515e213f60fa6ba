"""Hostile input: random Unicode, absurd numbers, deep nesting, huge sentences, control and RTL characters.
Nothing may crash, hang, or produce values a JSON export cannot hold."""
from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline.characters import normalize_characters
from pipeline.components.figures import scan_english
from pipeline.enumerations import parse_enumeration, walk
from pipeline.extract import analyze_report
from pipeline.figures import extract_figures
from pipeline.ingest import IngestError, ingest_text
from pipeline.records import Analysis, Report
from pipeline.structure import extract_structure

HOSTILE = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE)
def test_cleaning_any_text_never_crashes_and_leaves_no_control_characters(text):
    try:
        report = ingest_text(text)
    except IngestError as exc:
        assert "no text" in exc.reason
        return
    assert "\x00" not in report.text
    assert not any(ord(c) < 32 and c not in "\n\t" for c in report.text)
    for section in report.sections:
        assert 0 <= section.span[0] <= section.span[1] <= len(report.text)


@settings(max_examples=150, deadline=None)
@given(HOSTILE)
def test_figure_scanner_on_any_text_gives_finite_values(text):
    for candidate in scan_english(text):
        assert math.isfinite(candidate.value)


def test_absurd_numbers_stay_finite_and_serialisable():
    text = ("The fund held 1e308 yuan and 999,999,999,999,999,999,999 dollars, or "
            "99999999999999999999999999999999999999 billion yuan, up 1e400% from 2000.")
    report = Report(id="h", source="h", title="t", language="en", text=text)
    figures = extract_figures(report)
    assert all(math.isfinite(f.value) for f in figures)
    Analysis(report=report, figures=figures).model_dump_json()


def test_ten_thousand_nested_enumeration_levels():
    from pipeline.enumerations import MAX_DEPTH

    # every "First," opens a list inside the item before it: 10,000 levels
    text = " ".join("First, build the next level of sites." for _ in range(10_000))
    levels = [level for _, level, _ in walk(parse_enumeration(text))]
    assert len(levels) == 10_000 and max(levels) == MAX_DEPTH
    lines = "".join(f"{'    ' * min(n, 40)}({n}) Build site number {n}.\n" for n in range(1, 10_001))
    parse_enumeration(lines)  # must not raise


def test_one_megabyte_sentence_without_punctuation():
    text = "Report title\n\n" + " ".join(["the county built sites and trained cadres"] * 25_000)
    report = ingest_text(text)
    assert len(report.text) > 1_000_000
    extract_structure(report)
    extract_figures(report)


def test_control_rtl_and_nul_characters():
    text = ("تقرير التحقيق\u200f\n\nThe main practices are as follows: First, build sites\x00 in \u202eevery "
            "county\u202c.\x07 Second, train cadres. The county has 12 sites.\r\n")
    report = ingest_text(text)
    assert "\x00" not in report.text and "\x07" not in report.text
    assert normalize_characters("a\x00b") == "ab"
    analysis = analyze_report(report, with_summary=False)
    assert [p.text for p in analysis.practices][:2] == ["build sites in every county", "train cadres"]
    assert [f.value for f in analysis.figures] == [12]
