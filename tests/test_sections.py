"""Tests for pipeline.sections: section kinds and report types."""
from __future__ import annotations

import pytest

from pipeline.ingest import ingest_text
from pipeline.sections import section_kind


def test_report_type_guess():
    assert ingest_text("# Harbour Audit\n\n## What GAO Found\n\nLate inspections at the piers.",
                       fmt="markdown").report_type == "audit report"
    assert ingest_text("Investigation Report on Rural Libraries\n\nThe team visited eleven towns.").report_type \
        == "investigation report"
    assert ingest_text("A short note about the weather today.").report_type is None


@pytest.mark.parametrize("heading,kind", [
    ("Implementing GAO's Recommendations Can Help DOD Address Persistent Readiness Challenges", None),
    ("Recommendations for Executive Action", "recommendations"),
    ("Chapter 8: Conclusions and recommendations", "recommendations"),
    ("What GAO Found", "findings"),
    ("III. Suggestions for the next step", "recommendations"),
    ("Agencies Have Acted on Most Findings but Still Lack a Plan for the Remaining Ones in 2026", None),
])
def test_long_sentence_headings_do_not_name_findings_or_recommendations_parts(heading, kind):
    assert section_kind(heading) == kind
