"""The abstract: sentences from the report's summary parts, findings and recommendations; never a citation,
a footnote, a caption or method text (fixtures in tests/fixtures/summaries, written for these tests)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.abstract import (abstract, abstract_length, candidate_sentences, is_citation, is_list_lead_in,
                               is_method_sentence, select_mmr)
from pipeline.records import Analysis, Report, Section

FIXTURES = Path(__file__).parent / "fixtures" / "summaries"
AUDIT = FIXTURES / "audit_with_footnotes.md"
INQUIRY = FIXTURES / "inquiry_with_numbered_conclusions.txt"
FOOTNOTE_OR_CITATION = re.compile(r"^\s*(?:\d{1,3}\s*[\])]|\[\d+\]|\d{1,3}\s+[A-Z]|See\b)|GAO-\d\d-\d+|Pub\. L\.")
METHOD_WORDS = re.compile(r"\bwe (?:reviewed|interviewed|surveyed|selected)\b|auditing standards|call for evidence|"
                          r"written evidence", re.I)


@pytest.fixture(scope="module")
def audit() -> Analysis:
    from pipeline.extract import analyze_file

    return analyze_file(AUDIT)


@pytest.fixture(scope="module")
def inquiry() -> Analysis:
    from pipeline.extract import analyze_file

    return analyze_file(INQUIRY)


def sections_holding(analysis: Analysis, span) -> list[Section]:
    return [s for s in analysis.report.sections if s.span[0] <= span[0] < s.span[1]]


def is_item(analysis: Analysis, kind: str, sentence) -> bool:
    """The sentence is (part of) an extracted finding or recommendation of ``kind``."""
    return any(i.span[0] <= sentence.span[0] < i.span[1] for i in getattr(analysis, kind))


@pytest.mark.parametrize("k", [None, 5, 7])
def test_audit_abstract_states_findings_and_a_recommendation(audit, k):
    sentences = abstract(audit, k=k)
    assert 3 <= len(sentences) <= 7 and (k is None or len(sentences) == k)
    text = audit.report.text
    for s in sentences:
        assert text[s.span[0]:s.span[1]] == s.text
        assert not FOOTNOTE_OR_CITATION.search(s.text), s.text
        assert not METHOD_WORDS.search(s.text), s.text
        kinds = {sec.kind for sec in sections_holding(audit, s.span)}
        assert not kinds & {"method", "situation"}, s.text
        assert not any(sec.heading.startswith(("Appendix", "Agency Comments", "Related GAO")) for sec in
                       sections_holding(audit, s.span)), s.text
    # the conclusions' findings and one recommendation ("what is recommended")
    assert sum(is_item(audit, "findings", s) for s in sentences) >= 2
    assert sum(is_item(audit, "recommendations", s) for s in sentences) == 1
    assert [s.span for s in sentences] == sorted(s.span for s in sentences)


def test_audit_footnotes_citations_and_markers_are_not_candidates(audit):
    text = audit.report.text
    candidates = [text[s:e] for s, e in candidate_sentences(audit)]
    assert not any(FOOTNOTE_OR_CITATION.search(c) for c in candidates)
    assert not any("Written evidence" in c or "Stat. 429" in c for c in candidates)
    # a footnote marker after the full stop stays out of the sentence's span
    assert any(c.startswith("The Office of Water Grants awarded") and c.endswith("small utilities.")
               for c in candidates)
    # the footnote under a chapter ("3 Some states count ...") is not a sentence of the abstract's pool
    assert not any(c.startswith("Some states count pipe breaks") for c in candidates)


def test_inquiry_abstract_takes_the_summary_and_numbered_conclusions(inquiry):
    sentences = abstract(inquiry, k=5)
    assert len(sentences) == 5
    text = inquiry.report.text
    summary_parts = [s for s in inquiry.report.sections if s.heading.upper().startswith("SUMMARY")]
    for s in sentences:
        assert not METHOD_WORDS.search(s.text), s.text
        assert any(p.span[0] <= s.span[0] < p.span[1] for p in summary_parts), s.text
        assert not re.match(r"\d+\.", text[s.span[0]:s.span[1]])
    assert any(is_item(inquiry, "findings", s) for s in sentences)
    assert 1 <= sum(is_item(inquiry, "recommendations", s) for s in sentences) <= 2


def test_the_abstract_leaves_out_method_parts_and_method_sentences():
    """A report whose first part is its method: the findings part supplies the abstract."""
    method = " ".join(f"We interviewed officials from agency {i} and reviewed its guidance on staffing." for i in range(8))
    found = " ".join(f"Agency {i} lost {10 + i} percent of its inspectors between 2020 and 2024, which delayed "
                     f"inspections of bridges in region {i}." for i in range(8))
    text = f"Scope and Methodology\n\n{method}\n\nFindings\n\n{found}\n"
    first, second = text.index("Scope"), text.index("Findings")
    report = Report(id="m", source="m", title="t", language="en", text=text, sections=[
        Section(heading="Scope and Methodology", kind="method", span=(first, second - 2),
                heading_span=(first, first + 21)),
        Section(heading="Findings", kind="findings", span=(second, len(text) - 1), heading_span=(second, second + 8))])
    sentences = abstract(Analysis(report=report), k=3)
    assert len(sentences) == 3
    assert all(s.text.startswith("Agency") and s.span[0] > second for s in sentences)


@pytest.mark.parametrize("sentence", [
    "7] At the same time, staffing fell by 10 percent over the period.",
    "See GAO, Water Infrastructure: Aging Pipes, GAO-22-104000 (Washington, D.C.: May 3, 2022).",
    "12 The office is part of the Department of Public Works and reports to it.",
    "The act is codified at 20 U.S.C. § 9103(a) and was amended twice.",
    "Data were downloaded from https://example.org/data on 3 March 2025.",
])
def test_citations_and_footnote_fragments_are_recognised(sentence):
    assert is_citation(sentence)


@pytest.mark.parametrize("sentence", [
    "Costs rose by 12 percent, to $4.6 billion, from 2020 through 2024.",
    "The Government should set out a ten-year funding settlement for coastal flood defences.",
    "Seven of the eight sponsors said that the 5-year period was too short.",
])
def test_statements_with_figures_are_not_citations(sentence):
    assert not is_citation(sentence)


def test_abstract_length_grows_with_the_report_within_three_to_seven():
    lengths = [abstract_length(n) for n in (5, 39, 40, 800, 5000)]
    assert lengths == sorted(lengths) and lengths[0] == 3 and lengths[-1] == 7


def test_mmr_skips_a_near_duplicate_and_caps_the_capped():
    import numpy as np

    score = np.array([1.0, 0.99, 0.5, 0.4, 0.3])
    similarity = np.eye(5)
    similarity[0, 1] = similarity[1, 0] = 0.95
    assert 1 not in select_mmr(score, similarity, 3)
    chosen = select_mmr(score, np.eye(5), 3, capped={0, 1, 2}, cap=1)
    assert sum(i in {0, 1, 2} for i in chosen) == 1 and len(chosen) == 3


@pytest.mark.parametrize("sentence, method", [
    ("To address these objectives, we reviewed grant agreements and program guidance.", True),
    ("To assess the potential of new vehicle technologies to cut fuel use, we examined studies by DOE.", True),
    ("In addition, we interviewed officials from 12 selected states.", True),
    ("- interviewed officials and stakeholders from 15 organizations;", True),
    ("We conducted this performance audit in accordance with generally accepted government auditing standards.", True),
    ("We found that 9 of the 12 selected states could not say how many breaks were prevented.", False),
    ("We estimate that 62 percent of small utilities lacked the staff to manage contracts.", False),
])
def test_method_sentences_are_told_from_findings_in_the_first_person(sentence, method):
    assert is_method_sentence(sentence) is method


def test_a_list_items_bullet_is_left_out_of_its_span():
    text = ("Findings\n\n- Ethanol made from corn costs more to produce than gasoline because the feedstock is "
            "expensive.\n- Fuel cell vehicles cost far more to build than conventional vehicles do today.\n")
    analysis = Analysis(report=Report(id="b", source="b", title="t", language="en", text=text))
    assert [text[s:e][:8] for s, e in candidate_sentences(analysis)] == ["Ethanol ", "Fuel cel"]


def test_the_early_and_points_weights_can_be_passed_in(audit):
    """``early`` adds its weight times the share of the report still to come; ``points`` adds up to its
    weight for closeness to the findings' centroid; 0 leaves either out (the bench's cross-validation)."""
    text = audit.report.text
    plain = {s.span: s.score for s in abstract(audit, k=7, early=0.0, points=0.0)}
    early = {s.span: s.score for s in abstract(audit, k=7, early=1.0, points=0.0)}
    both = {s.span: s.score for s in abstract(audit, k=7, early=1.0, points=1.0)}
    shared = set(plain) & set(early)
    assert shared
    for span in shared:
        assert early[span] - plain[span] == pytest.approx(1 - span[0] / len(text), abs=1e-5)
    added = [both[span] - early[span] for span in set(both) & set(early)]
    assert added and all(-1e-5 <= d <= 1 + 1e-5 for d in added) and max(added) > 0
    # a weight that outweighs the rest puts the abstract at the front (or, negative, at the back) of the report,
    # but for the recommending sentence that takes the last place
    front = {s.span[0] for s in abstract(audit, k=3, early=100.0)}
    back = {s.span[0] for s in abstract(audit, k=3, early=-100.0)}
    assert front - back and back - front and max(front - back) < min(back - front)


WORK_REPORT = FIXTURES / "work_report_review_and_tasks_zh.txt"
NEXT_STEPS = FIXTURES / "review_with_next_steps.md"


def forward_part(analysis: Analysis) -> tuple[int, int]:
    """The span of the report's one top-level plan/tasks/next-steps part (what the fixture was written with)."""
    parts = [s.span for s in analysis.report.sections if s.level == 1 and s.kind == "recommendations"]
    assert len(parts) == 1, analysis.report.sections
    return parts[0]


@pytest.mark.parametrize("path", [WORK_REPORT, NEXT_STEPS])
def test_without_recommendations_the_forward_part_says_what_is_planned(path):
    """A work report (a review of the year, then the year's tasks) or a review with a "Next Steps" part and no
    extracted recommendation: the abstract states what was found from the review part AND what is planned
    from the forward part."""
    from pipeline.extract import analyze_file

    analysis = analyze_file(path)
    assert not analysis.recommendations  # the case this rule is for
    start, end = forward_part(analysis)
    sentences = abstract(analysis)
    assert 3 <= len(sentences) <= 7
    text = analysis.report.text
    assert all(text[s.span[0]:s.span[1]] == s.text for s in sentences)
    ahead = [s for s in sentences if start <= s.span[0] < end]
    assert 1 <= len(ahead) <= 2, [s.text for s in sentences]
    assert any(s.span[0] < start for s in sentences)  # the review still supplies the findings


def findings_then(found: str, heading: str, kind: str, body: str) -> tuple[Report, int]:
    """A report of a Findings part holding ``found`` and a second part ``heading`` (of section ``kind``)
    holding ``body``; and where the second part starts."""
    text = f"Findings\n\n{found}\n\n{heading}\n\n{body}\n"
    first, second = text.index("Findings"), text.index(heading)
    report = Report(id="r", source="r", title="t", language="en", text=text, sections=[
        Section(heading="Findings", kind="findings", span=(first, second - 2), heading_span=(first, first + 8)),
        Section(heading=heading, kind=kind, span=(second, len(text) - 1),
                heading_span=(second, second + len(heading)))])
    return report, second


def test_a_looking_ahead_heading_is_a_forward_part_when_no_kind_marks_it():
    """The forward cue list (data/summary/abstract.json) finds a plan part the section kinds do not name."""
    found = " ".join(f"Depot {i} lost {10 + i} percent of its drivers between 2020 and 2024, which cut bus "
                     f"services on route {i} by a third." for i in range(6))
    ahead = ("The authority will hire forty drivers for the eastern depots before the winter timetable starts. "
             "It intends to publish monthly figures on cancelled services from next spring onwards.")
    report, second = findings_then(found, "Looking Ahead", "other", ahead)
    sentences = abstract(Analysis(report=report), k=3)
    assert len(sentences) == 3
    assert sum(s.span[0] > second for s in sentences) == 1
    assert sum(s.text.startswith("Depot") for s in sentences) == 2


@pytest.mark.parametrize("sentence, lead_in", [
    ("The inspectorate makes the following recommendations.", True),
    ("The board is making the following four recommendations to the ministry:", True),
    ("Our conclusions are as follows:", True),
    ("根据上述情况，调研组对下一步工作提出以下建议。", True),
    ("今年要重点抓好以下几个方面的工作：", True),
    ("他们的主要做法如下。", True),
    ("Enrolment rose by 12 percent in 2023, following the recommendations of the review.", False),
    ("The ministry should publish the following year's budget by March.", False),
    ("建议加大财政投入，完善以奖代补政策。", False),
])
def test_a_sentence_that_only_announces_a_list_is_told_from_one_that_states(sentence, lead_in):
    assert is_list_lead_in(sentence) is lead_in


def test_a_list_lead_in_is_never_an_abstract_sentence():
    """A plan part that opens by announcing its list: the abstract takes a planned step, not the announcement."""
    points = " ".join(f"Clinic {i} waited {20 + i} days on average for a replacement nurse in 2024, twice the "
                      f"target." for i in range(6))
    plan = ("The board will therefore take the following steps. It will open a regional pool of twelve relief "
            "nurses by June. It will pay a rural allowance to nurses who stay two years.")
    report, second = findings_then(points, "Next Steps", "recommendations", plan)
    sentences = abstract(Analysis(report=report), k=3)
    assert len(sentences) == 3 and any(s.span[0] > second for s in sentences)
    assert not any("following steps" in s.text for s in sentences), [s.text for s in sentences]
