"""Tests for pipeline.markup: markdown and bold headings, figure placeholders."""
from __future__ import annotations

from pipeline.ingest import clean_text, ingest_text

from .conftest import assert_spans_consistent


def test_figure_placeholders_of_pdf_conversions_are_dropped():
    raw = "Intro paragraph.\n\n*[Figure 1: Examples of Quantum Computing Hardware — see original PDF]*\n\nMore text."
    assert clean_text(raw, "markdown") == "Intro paragraph.\n\nMore text."


def test_markdown_headings_and_bold_headings():
    raw = (
        "# Harbour Audit: Inspections Are Late\n\n"
        "## Highlights\n\n### What GAO Found\n\nInspections were late on five of twelve piers last year.\n\n"
        "### What GAO Recommends\n\nThe authority should publish an inspection calendar for every pier.\n\n"
        "---\n\n**Scope of the Audit**\n\nWe reviewed the records of every pier for five years and interviewed staff.\n\n"
        "#### Agency Comments and Our Evaluation\n\nThe authority agreed with our recommendation in full.\n"
    )
    report = ingest_text(raw, fmt="markdown")
    assert report.title == "Harbour Audit: Inspections Are Late"
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("Highlights", 1, "other"),
        ("What GAO Found", 2, "findings"),
        ("What GAO Recommends", 2, "recommendations"),
        ("Scope of the Audit", 1, "method"),
        ("Agency Comments and Our Evaluation", 1, "other"),
    ]
    assert "#" not in report.text and "**" not in report.text and "---" not in report.text
    highlights = report.sections[0]
    assert report.text[highlights.span[0]:highlights.span[1]].endswith("calendar for every pier.")
    assert_spans_consistent(report)
