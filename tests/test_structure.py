"""The structure stage: practices tree, stages, findings and recommendations, on fixtures and real reports."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.records import Report, Section
from pipeline.statements import strip_shared_lead_in
from pipeline.structure import extract_structure

from .conftest import MODEL_REPORT, SHARED, load_scorer

FIXTURES = Path(__file__).parent / "fixtures" / "structure"


def report_from(text: str, headings: list[tuple[str, str, int]] = (), language: str = "en") -> Report:
    """A Report whose sections start at the given headings (heading, kind, level) and end at the next heading
    of the same or a higher level."""
    found = [(text.index(h), h, kind, level) for h, kind, level in headings]
    sections = []
    for i, (start, heading, kind, level) in enumerate(found):
        end = next((s for s, _, _, lv in found[i + 1:] if lv <= level), len(text))
        sections.append(Section(heading=heading, level=level, kind=kind, span=(start, end),
                                heading_span=(start, start + len(heading))))
    return Report(id="t", source="fixture", title=text.splitlines()[0], language=language, text=text,
                  sections=sections)


LESSONS_HEADINGS = [("I. The basic situation", "situation", 1), ("II. Several lessons", "findings", 1),
                    ("III. Suggestions", "recommendations", 1)]


@pytest.fixture
def lessons_text() -> str:
    return (FIXTURES / "lessons_report.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("with_sections", [True, False], ids=["sections", "lead-ins only"])
def test_practices_findings_recommendations_are_split(lessons_text, with_sections):
    report = report_from(lessons_text, LESSONS_HEADINGS if with_sections else [])
    got = extract_structure(report)
    assert [p.text for p in got.practices] == ["train village doctors every year",
                                                "link every clinic to a county hospital"]
    assert [f.text for f in got.findings] == [
        "the county hospitals should lead the village clinics",
        "the training of village doctors must be continuous",
        "Rural clinics need stable funding",
    ]
    assert got.findings[0].detail == "Suzhou sends a county doctor to each clinic every week."
    assert [r.text for r in got.recommendations] == [
        "set up a county-to-village doctor rotation",
        "create a yearly training fund for village doctors",
        "publish clinic waiting times every quarter",
    ]
    assert got.recommendations[0].detail == "Doctors would serve one month a year in a village."
    for item in got.practices + got.findings + got.recommendations:
        start, end = item.span
        assert lessons_text[start:end].strip()


def test_supports_link_recommendations_to_findings(lessons_text):
    got = extract_structure(report_from(lessons_text, LESSONS_HEADINGS))
    fund = got.recommendations[1]
    assert fund.supports and fund.supports[0] == "F2"


def test_practice_tree_keeps_levels_parents_and_group():
    text = (FIXTURES / "nested_practices.txt").read_text(encoding="utf-8")
    got = extract_structure(report_from(text))
    top = [p for p in got.practices if p.level == 1]
    assert [p.text for p in top] == ["put the county executive in charge of the river",
                                     "repair the small dikes before the large ones",
                                     "open the river data to the public", "train local wardens"]
    children = [p for p in got.practices if p.parent == top[0].id]
    assert len(children) == 3 and all(p.level == 2 for p in children)
    assert top[0].group == "The main practices are as follows:"


def test_report_without_recommendations_gives_none():
    text = (FIXTURES / "no_recommendations.txt").read_text(encoding="utf-8")
    got = extract_structure(report_from(text))
    assert got.recommendations == [] and got.findings == [] and got.stages == []
    assert len(got.practices) == 3


def test_recommendation_target_and_numbered_paragraphs():
    text = ("Report on ports\n\nConclusions and recommendations\n\n"
            "1. The port lacks cranes. Ships wait two days on average.\n"
            "2. The Secretary of Transport should fund two new cranes. The money could come from fees.\n"
            "3. Dredging is behind schedule. The Port Board should publish a dredging plan.\n")
    got = extract_structure(report_from(text, [("Conclusions and recommendations", "recommendations", 1)]))
    # a numbered paragraph has one role: the conclusion that leads up to a recommendation is its detail
    assert [f.text for f in got.findings] == ["The port lacks cranes."]
    assert [r.text for r in got.recommendations] == [
        "The Secretary of Transport should fund two new cranes.", "The Port Board should publish a dredging plan."]
    assert got.recommendations[0].detail == "The money could come from fees."
    assert got.recommendations[1].detail == "Dredging is behind schedule."
    assert got.recommendations[0].target == "The Secretary of Transport"


def test_we_recommend_sentences_in_a_report_without_headings():
    text = ("Audit of the bridge fund\n\nThe fund paid 40 contractors in 2023. We recommend that the Bridge "
            "Office publish every contract. The office agreed.")
    got = extract_structure(report_from(text))
    assert [r.text for r in got.recommendations] == [
        "We recommend that the Bridge Office publish every contract."]
    assert got.recommendations[0].target == "Bridge Office"


def test_shared_lead_in_is_stripped_only_before_a_modal_statement():
    heads = ["Building clinics, identify weak villages, and set a target",
             "Building clinics, the county should lead",
             "To build clinics, it is necessary to train doctors"]
    assert strip_shared_lead_in(heads) == ["Building clinics, identify weak villages, and set a target",
                                           "the county should lead", "it is necessary to train doctors"]


# ------------------------------------------------------------------------------ integration: real reports

def model_report_with_hand_sections() -> Report:
    text = MODEL_REPORT.read_text(encoding="utf-8")
    headings = [
        ("I. Strengthening the basic situation of party building work", "situation", 1),
        ("The basic situation of strengthening party building work in non-public enterprises", "situation", 2),
        ("The basic situation of strengthening the party building work of new associations", "situation", 2),
        ("Second, a few revelations", "findings", 1),
        ("III. Suggestions for the next step", "recommendations", 1),
    ]
    return report_from(text, headings)


def scored(report: Report, gold_name: str) -> dict:
    import json

    scorer = load_scorer()
    gold = json.loads((SHARED / "eval" / "gold" / gold_name).read_text(encoding="utf-8"))
    got = extract_structure(report)
    pred = {"report": report.model_dump(), "stages": [s.model_dump() for s in got.stages],
            "practices": [p.model_dump() for p in got.practices],
            "findings": [f.model_dump() for f in got.findings],
            "recommendations": [r.model_dump() for r in got.recommendations]}
    return scorer.score(pred, gold)


def assert_model_report_targets(result: dict) -> None:
    assert result["practices"]["f1"] >= 0.85 and result["practices"]["top_level_recall"] == 1.0
    assert result["stages"]["f1"] == 1.0
    assert result["findings"]["f1"] >= 0.9
    assert result["recommendations"]["f1"] >= 0.9


def test_model_report_meets_targets_with_sections():
    assert_model_report_targets(scored(model_report_with_hand_sections(), "zhejiang-two-new-organizations.json"))


def test_model_report_meets_targets_without_sections():
    report = model_report_with_hand_sections().model_copy(update={"sections": []})
    assert_model_report_targets(scored(report, "zhejiang-two-new-organizations.json"))


def test_model_report_through_ingestion():
    ingest = pytest.importorskip("pipeline.ingest")
    assert_model_report_targets(scored(ingest.ingest_file(MODEL_REPORT), "zhejiang-two-new-organizations.json"))


def test_model_report_nesting_in_detail():
    got = extract_structure(model_report_with_hand_sections())
    top = [p for p in got.practices if p.level == 1]
    assert len(top) == 9
    assert [len([c for c in got.practices if c.parent == p.id]) for p in top] == [3, 3, 0, 3, 2, 3, 3, 0, 2]
    assert {p.group for p in top[:6]} != {p.group for p in top[6:]}


def test_gao_report_recall():
    path = SHARED / "corpus" / "gao" / "gao-26-107682.md"
    if not path.is_file():
        pytest.skip("shared corpus absent")
    ingest = pytest.importorskip("pipeline.ingest")
    result = scored(ingest.ingest_file(path), "gao-26-107682.json")
    assert result["practices"]["recall"] == 1.0
    assert result["findings"]["recall"] >= 0.75
    assert result["recommendations"]["recall"] == 1.0
    assert result["stages"]["predicted"] == 0


def test_chinese_work_report_practices():
    path = SHARED / "corpus" / "zh" / "gwr_2025_zh.txt"
    if not path.is_file():
        pytest.skip("shared corpus absent")
    ingest = pytest.importorskip("pipeline.ingest")
    result = scored(ingest.ingest_file(path), "gwr_2025_zh.json")
    assert result["practices"]["recall"] == 1.0


def test_list_item_subsections_become_practices_with_children():
    text = ("政府工作报告\n\n一、过去五年工作回顾\n\n五年来我们做了大量工作。\n\n（一）加强宏观调控，促进经济发展\n\n"
            "我们加强调控。主要做了以下工作：一是稳定投资。二是扩大消费。\n\n（二）深化改革开放\n\n改革取得进展。\n\n"
            "二、今年工作建议\n\n（一）扩大内需\n\n建议继续扩大内需。\n")
    heads = [("一、过去五年工作回顾", "other", 1), ("（一）加强宏观调控，促进经济发展", "other", 2),
             ("（二）深化改革开放", "other", 2), ("二、今年工作建议", "recommendations", 1), ("（一）扩大内需", "other", 2)]
    got = extract_structure(report_from(text, heads, language="zh"))
    assert [(p.id, p.level, p.text) for p in got.practices] == [
        ("P1", 1, "加强宏观调控，促进经济发展"), ("P1.1", 2, "稳定投资"), ("P1.2", 2, "扩大消费"),
        ("P2", 1, "深化改革开放")]
    assert [r.text for r in got.recommendations] == ["扩大内需"]
    assert got.recommendations[0].detail == "建议继续扩大内需。"


def test_lead_in_naming_two_kinds_takes_the_parts_kind():
    text = ("Study of Wuxi\n\nWuxi reformed its clinics. The main practices and experiences are as follows: "
            "First, pay doctors by results. Second, publish waiting times.\n")
    got = extract_structure(report_from(text))
    assert [p.text for p in got.practices] == ["pay doctors by results", "publish waiting times"]
    assert got.findings == []


def test_recommendation_number_stays_with_its_sentence():
    text = ("Audit\n\nRecommendation for Executive Action\n\nThe Secretary of Energy should publish the cost "
            "data. (Recommendation 1)\n\nWe provided a draft of this report to DOE.\n")
    got = extract_structure(report_from(text, [("Recommendation for Executive Action", "recommendations", 1)]))
    assert [r.text for r in got.recommendations] == [
        "The Secretary of Energy should publish the cost data. (Recommendation 1)"]


def test_findings_part_without_list_gives_one_finding_per_sentence():
    text = ("Audit\n\nWhat GAO Found\n\nDOE did not track costs. It relied on estimates from contractors.\n\n"
            "Figure 1: Costs by year\n\nDOE staff reported gaps in the data. Several sites had no records.\n\n"
            "Why GAO Did This Study\n\nCongress asked GAO to review the program and its costs in detail.\n")
    heads = [("What GAO Found", "findings", 1), ("Why GAO Did This Study", "method", 1)]
    got = extract_structure(report_from(text, heads))
    # a prose summary states a finding in each sentence; the caption is none
    assert [f.text for f in got.findings] == [
        "DOE did not track costs.", "It relied on estimates from contractors.",
        "DOE staff reported gaps in the data.", "Several sites had no records."]


def test_numbered_recommendations_stay_apart_and_follow_up_sentences_are_detail():
    text = ("Audit\n\nRecommendations for Executive Action\n\n"
            "The Director of OMB should ensure that the inventory plans address requirements to identify all "
            "program types. (Recommendation 1)\n\n"
            "The Director of OMB should ensure that the inventory plans address requirements to identify all "
            "program costs. This should include guidance for agencies. (Recommendation 2)\n")
    got = extract_structure(report_from(text, [("Recommendations for Executive Action", "recommendations", 1)]))
    assert len(got.recommendations) == 2
    assert got.recommendations[1].detail == "This should include guidance for agencies. (Recommendation 2)"


def test_summary_restatement_of_a_recommendation_is_dropped():
    text = ("Audit\n\nWhat GAO Recommends\n\nGAO recommends that SBA take steps to improve the efficiency of data "
            "sharing with IRS.\n\nRecommendation for Executive Action\n\nThe Administrator of SBA should take steps "
            "to improve the efficiency of data sharing with IRS. (Recommendation 1)\n")
    heads = [("What GAO Recommends", "recommendations", 1), ("Recommendation for Executive Action", "recommendations", 1)]
    got = extract_structure(report_from(text, heads))
    assert [r.target for r in got.recommendations] == ["The Administrator of SBA"]


def test_citation_fragments_between_run_in_practices_are_not_practices():
    from pipeline.ingest import ingest_text

    text = """# Audit of data sharing

## Leading practices

The agencies followed these leading practices for collaboration:

Bridge organizational cultures. Through the MOU process, the agencies established compatible policies.

62 See 26 U.S.C. § 6103. Also see 26 C.F.R §§ 301.6103(a)-1 through (p)(7)-1.

Identify and sustain leadership. The agencies named leads for the work.

Clarify roles and responsibilities. The agreement sets out who does what.
"""
    practices = extract_structure(ingest_text(text, fmt="markdown")).practices
    assert [p.text for p in practices] == ["Bridge organizational cultures", "Identify and sustain leadership",
                                           "Clarify roles and responsibilities"]


def test_a_chapter_about_recommendations_is_not_a_recommendations_part():
    from pipeline.ingest import ingest_text

    text = """# Readiness: DOD Should Act

## What GAO Recommends

GAO recommends that DOD publish a plan for the depots.

## Implementing GAO's Recommendations Can Help DOD Address Persistent Readiness Challenges

### Housing

We recommended in 2023 that the Army track housing conditions. The Army agreed but has not acted.

16 GAO, Military Housing: DOD Should Address Critical Supply Challenges, GAO-23-105377 (Washington, D.C.: 2023).
"""
    recommendations = extract_structure(ingest_text(text, fmt="markdown")).recommendations
    assert [r.text for r in recommendations] == ["GAO recommends that DOD publish a plan for the depots."]


def test_a_cue_far_before_a_run_in_list_does_not_make_it_practices():
    from pipeline.ingest import ingest_text

    filler = " ".join(["Officials described the history of the program in detail."] * 14)
    text = f"""# Whistleblower protections

## Background

When IRS takes action on a tip, it may pay an award. {filler}

Retaliation. An employer may take adverse steps against a worker who reports wrongdoing.

High legal costs. Workers often cannot afford counsel to pursue their claims.
"""
    assert extract_structure(ingest_text(text, fmt="markdown")).practices == []
    near = text.replace("Retaliation.", "The agencies took these steps:\n\nRetaliation.")
    assert [p.text for p in extract_structure(ingest_text(near, fmt="markdown")).practices] == \
        ["Retaliation", "High legal costs"]


def test_a_list_of_reasons_or_challenges_is_not_read_as_practices():
    from pipeline.ingest import ingest_text

    text = """# Tax data sharing

## Leading practices the agencies followed

The agencies took these steps:

**Clarify roles.** The MOU sets out what each agency does.

**Define common outcomes.** Both agencies agreed on what success means.

SBA officials cited two key reasons for not seeking this authority. First, they expressed a preference for a
more general amendment. Second, they prefer to keep obtaining applicant consent.
"""
    practices = [p.text for p in extract_structure(ingest_text(text, fmt="markdown")).practices]
    assert practices == ["Clarify roles", "Define common outcomes"]
    # in a findings part the same list is what the report found
    findings_text = text.replace("## Leading practices the agencies followed", "## Findings")
    findings = [f.text for f in extract_structure(ingest_text(findings_text, fmt="markdown")).findings]
    assert any("more general amendment" in f for f in findings)
    assert not any("more general amendment" in p.text
                   for p in extract_structure(ingest_text(findings_text, fmt="markdown")).practices)


def test_regions_are_computed_once_per_report_and_shared(monkeypatch):
    import pipeline.regions as regions

    text = "Audit of the lighthouse fund\n\nWhat We Found\n\nThe lighthouse office did not track costs in 2031.\n"
    report = report_from(text, [("What We Found", "findings", 1)])
    calls = []
    real = regions.compute_regions
    monkeypatch.setattr(regions, "compute_regions", lambda r: calls.append(1) or real(r))
    first, second = regions.regions_of(report), regions.regions_of(report)
    assert first == second and len(calls) == 1
    other = report_from(text.replace("2031", "2032"), [("What We Found", "findings", 1)])
    regions.regions_of(other)
    assert len(calls) == 2  # a different text is read afresh
