"""Tests for pipeline.webpages: saved web pages become markdown-style text without their chrome."""
from __future__ import annotations

from pipeline.ingest import ingest_text

from .conftest import INGEST_FIXTURES, assert_spans_consistent


def test_html_chrome_is_stripped_and_structure_kept():
    html = (INGEST_FIXTURES / "saved_page.html").read_text(encoding="utf-8")
    report = ingest_text(html, source="saved_page.html", fmt="html")
    text = report.text
    assert report.title == "Audit of Harbour Maintenance"
    for chrome in ("tracking", "color: red", "Share on", "Related articles", "Audit of city parks", "Copyright",
                   "Popular", "Reports >", "City Audit Office"):
        assert chrome not in text, chrome
    assert "The harbour authority maintains twelve piers and two breakwaters. It spent" in text
    assert "- Inspections were late on five piers.\n- Two contracts had no tender." in text
    assert "Unclosed paragraph at the end with a span" in text  # broken HTML still gives its text
    kinds = {s.heading: s.kind for s in report.sections}
    assert kinds == {"Background": "situation", "Findings": "findings", "Recommendations": "recommendations"}
    assert_spans_consistent(report)


def test_broken_html_still_gives_text():
    report = ingest_text("<html><body><div><p>Unclosed <b>bold <i>text</div> and more <p>Second", fmt="html")
    assert "Unclosed bold text" in report.text
    assert "Second" in report.text
