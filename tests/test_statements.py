"""Findings and recommendations on fixtures written in four house styles: an audit with a highlights page,
a testimony that reports earlier recommendations, a budget request that makes none, and the numbered
summary of an inquiry report."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import ingest_file
from pipeline.records import Recommendation
from pipeline.cues import is_fragment, is_thin
from pipeline.recommendations import dedupe_recommendations
from pipeline.structure import extract_structure

FIXTURES = Path(__file__).parent / "fixtures" / "statements"


def structure_of(name: str):
    return extract_structure(ingest_file(FIXTURES / name))


def test_audit_numbered_recommendations_are_kept_and_the_summary_restatement_is_not():
    recs = structure_of("audit_with_highlights.md").recommendations
    assert [r.text.split(" (Recommendation")[0] for r in recs] == [
        "The Director of the Coast Office should ensure that every port records the results of each container "
        "inspection in the tracking system.",
        "The Director of the Coast Office should ensure that every port records the results of each scanner "
        "repair in the tracking system.",
        "The Director of the Coast Office should develop a plan, with costs and time frames, to replace the "
        "aging scanners at all ports."]
    assert all(r.target == "The Director of the Coast Office" for r in recs)


def test_audit_prior_recommendations_in_the_letter_and_the_appendix_are_background():
    texts = " ".join(r.text for r in structure_of("audit_with_highlights.md").recommendations)
    assert "inspection targets" not in texts and "train its staff" not in texts


def test_prose_findings_summary_gives_one_finding_per_sentence_without_captions():
    findings = [f.text for f in structure_of("audit_with_highlights.md").findings]
    assert "However, it did not record the results of 12 percent of those inspections in its tracking system." \
        in findings
    assert "For example, two of the five ports we visited kept inspection results only on paper." in findings
    assert not any(f.startswith("Figure 1") for f in findings)
    assert not any("recommend" in f.lower() for f in findings)


def test_testimony_reports_the_earlier_recommendations_it_summarizes():
    got = structure_of("testimony.md")
    assert [r.text for r in got.recommendations] == [
        "We recommended that the department equip inspectors with vehicles suited to winter conditions.",
        "We also recommended that the department collect defect data from every operator each quarter.",
        "We made four recommendations, with which the department agreed, including that the department replace "
        "signals older than 40 years.",
        "In 2023, we suggested that Congress consider requiring operators to report near misses.",
        "We made one recommendation to the Rail Board, which took over track funding in 2024, to publish its "
        "inspection backlog."]


def test_report_without_a_recommendations_part_does_not_take_a_past_recommendation_for_its_own():
    assert structure_of("budget_request.md").recommendations == []


def test_numbered_conclusions_and_recommendations_paragraphs_have_one_role_each():
    got = structure_of("inquiry_summary.txt")
    assert [f.text for f in got.findings] == [
        "Inland waterways carry a small but growing share of freight.",
        "Funding for lock repairs has fallen for five years running, and several locks have closed without "
        "warning. (Paragraph 31)"]
    first, second = got.recommendations
    assert first.text.startswith("The Government should set a target")
    assert first.detail.startswith("We welcome the Government's new freight strategy.")
    assert second.text.startswith("The Canal Authority must publish a ten-year maintenance plan")


def test_items_of_one_list_are_never_twins_however_alike():
    a = Recommendation(id="", text="The Director should ensure that plans address requirements to identify "
                       "all program types.", span=(0, 10))
    b = Recommendation(id="", text="The Director should ensure that plans address requirements to identify "
                       "all program activities.", span=(11, 20))
    assert len(dedupe_recommendations([a, b], {id(a): 3, id(b): 3})) == 2
    assert len(dedupe_recommendations([a, b], {id(a): 1, id(b): 3})) == 1


@pytest.mark.parametrize("statement, fragment", [
    ("understanding of the risks facing the program and position it to act should challenges be found.", True),
    ("and the office agreed.", True),
    ("The office should publish its plan.", False),
    ("“The office should publish its plan,” the committee said.", False),
    ("2. The office should publish its plan.", False),
    ("建议加快建设。", False),
])
def test_a_sentence_cut_by_a_page_break_is_a_fragment(statement, fragment):
    assert is_fragment(statement) is fragment


def test_question_and_answer_report_takes_each_answers_lead_sentence_as_a_finding():
    got = structure_of("question_and_answer.md")
    assert [f.text for f in got.findings] == [
        "About 61,000 schools received emergency meal funds from fiscal years 2021 through 2023.",
        "Officials in nine of the 10 states we contacted said the funds helped keep meal programs open during "
        "closures."]
    assert got.findings[0].detail == "Most of them were elementary schools in rural districts."


def test_paragraphs_announced_as_findings_are_findings_and_the_recommending_one_is_not():
    got = structure_of("briefing_letter.txt")
    assert [f.text for f in got.findings] == [
        "Loan balances grew by a third from 2019 to 2023, but repayments lagged behind schedule in most states.",
        "Eleven states did not track the condition of projects after the loans were repaid."]
    assert [r.text for r in got.recommendations] == [
        "In order to improve oversight, we are recommending that the Administrator require states to report "
        "project condition each year."]


def test_findings_a_column_layout_moved_into_the_recommendations_part_are_findings():
    got = structure_of("columns_out_of_order.md")
    assert [f.text for f in got.findings] == [
        "The Forest Office awarded 1.2 billion dollars in wildfire grants from 2022 through 2026.",
        "It did not collect data on whether the funded projects reduced fire risk.",
        "Most grantees we interviewed said that the reporting forms were unclear.",
        "Grant rules need to be simpler for small towns, officials told us."]
    # among orphaned findings only an outright recommendation recommends
    assert [r.text for r in got.recommendations] == [
        "We recommend that the Forest Office collect outcome data from every grantee."]


def test_a_list_a_recommending_sentence_announces_is_recommendations_wherever_it_stands():
    texts = [r.text for r in structure_of("recommendation_list.txt").recommendations]
    assert texts[1:4] == ["Criteria for selecting which existing rules to review first",
                          "Minimum standards for documenting and publishing the results of each completed review",
                          "Ways to gather public input before a review begins"]
    assert "What We Recommend" not in texts  # a heading, not a sentence


def test_short_statements_on_one_subject_are_not_twins():
    summary = Recommendation(id="", text="We recommend that agencies strengthen how they review existing rules.",
                             span=(0, 10))
    item = Recommendation(id="", text="Criteria for selecting which existing rules to review first", span=(50, 60))
    assert len(dedupe_recommendations([summary, item], {id(summary): 0, id(item): 2})) == 2


def test_recommendations_end_where_the_answer_to_the_agency_comments_begins():
    assert [r.text for r in structure_of("merged_headings.md").recommendations] == [
        "The Administrator of the Transit Office should clarify its guidance on which bridge repairs the fund "
        "may pay for. (Recommendation 1)"]


def test_a_summary_heading_run_into_plain_text_still_opens_its_part():
    got = structure_of("inquiry_numbered.txt")
    assert len(got.recommendations) == 4
    assert got.recommendations[0].detail == "The flood defence budget has not kept pace with the number of homes at risk."


def test_a_recommendation_whose_clauses_are_lettered_stays_one_recommendation():
    second = structure_of("inquiry_numbered.txt").recommendations[1]
    assert second.text.startswith("We recommend that the Government: (a) produce a national map")
    assert "(c) provide councils with a single fund for maintenance work." in second.text


def test_labelled_recommendation_blocks_each_give_one_recommendation():
    recs = structure_of("labelled_recommendations.txt").recommendations
    assert [r.text for r in recs] == ["Warnings for tenants", "Sustainable drainage", "Insurance for small firms"]
    assert "The Environment Agency should send warnings to tenants" in recs[0].detail


def test_a_committee_encouraging_in_its_own_voice_recommends_and_welcoming_alone_concludes():
    got = structure_of("inquiry_numbered.txt")
    assert got.recommendations[-1].text.startswith("We encourage the water companies")
    assert got.findings[-1].text.startswith("We welcome the new flood warning service")


@pytest.mark.parametrize("statement, thin", [
    (")", True), ("(A)", True), (", 134 Stat", True), ("12(e)", True),
    ("The Ministry should publish the plan.", False), ("Publish the plan yearly", False),
    ("建议", True), ("加快建设现代化产业体系", False),
])
def test_a_marker_or_citation_left_alone_is_no_statement(statement, thin):
    assert is_thin(statement) is thin


def test_a_list_that_spells_out_the_recommendation_before_it_is_that_recommendations_detail():
    recs = structure_of("spelled_out.txt").recommendations
    assert [r.text for r in recs] == [
        "Therefore, we recommend that the Director of the Water Office lead the agencies in establishing a "
        "national drought strategy."]
    assert "Assess which crops could be moved" in recs[0].detail


def test_a_short_brief_without_a_findings_part_states_a_finding_in_each_body_sentence():
    findings = [f.text for f in structure_of("spotlight_brief.md").findings]
    assert "Households on time-of-use tariffs paid about a fifth less for heating, according to two utility " \
        "trials." in findings
    assert "No national standard covers the installation of heat batteries in flats." in findings
    assert not any("Energy Journal" in f for f in findings)  # the references are no findings
