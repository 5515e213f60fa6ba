from __future__ import annotations

import numpy as np

from pipeline.records import Analysis, Figure, Finding, Practice, Recommendation, Report, Stage
from pipeline.summarize import abstract, key_figures, practice_tree, summarize, textrank

from .conftest import MODEL_REPORT


def test_textrank_prefers_the_hub():
    # sentence 0 resembles everyone; 1-3 resemble only sentence 0
    sim = np.array([[1, .8, .8, .8], [.8, 1, 0, 0], [.8, 0, 1, 0], [.8, 0, 0, 1]], dtype=float)
    scores = textrank(sim)
    assert scores.argmax() == 0
    assert abs(scores.sum() - 1) < 1e-6


def test_textrank_isolated_nodes_do_not_break_it():
    scores = textrank(np.eye(3))
    assert np.allclose(scores, 1 / 3)


def model_analysis_without_extractors() -> Analysis:
    text = MODEL_REPORT.read_text(encoding="utf-8")
    return Analysis(report=Report(id="m", source="m", title="t", language="en", text=text))


def test_abstract_sentences_are_real_spans_in_reading_order():
    analysis = model_analysis_without_extractors()
    sentences = abstract(analysis)
    assert 3 <= len(sentences) <= 5
    text = analysis.report.text
    for s in sentences:
        assert text[s.span[0]:s.span[1]] == s.text
    assert [s.span for s in sentences] == sorted(s.span for s in sentences)
    # deterministic
    assert abstract(analysis) == sentences


def test_key_figures_prefer_measured_money_and_shares():
    text = "The plan cost $5 million. There were 3 meetings. Exports rose 12 percent of GDP."
    figures = [
        Figure(id="F1", text="$5 million", span=(14, 24), sentence="The plan cost $5 million.", value=5e6,
               kind="money", unit="USD", measures="plan cost"),
        Figure(id="F2", text="3 meetings", span=(36, 46), sentence="There were 3 meetings.", value=3,
               kind="count", unit="meetings"),
        Figure(id="F3", text="12 percent", span=(61, 71), sentence="Exports rose 12 percent of GDP.", value=12,
               kind="percent", unit="%", measures="exports share of GDP"),
    ]
    analysis = Analysis(report=Report(id="k", source="k", title="t", language="en", text=text), figures=figures)
    assert [f.id for f in key_figures(analysis, limit=2)] == ["F1", "F3"]


def test_summary_links_tree_recommendations_and_lessons():
    text = "x" * 200
    report = Report(id="s", source="s", title="t", language="en", text=text,
                    studied_regions=["Zhejiang"], target_region="Shanghai")
    analysis = Analysis(
        report=report,
        stages=[Stage(id="S2", text="b", span=(5, 6), label="later", order=2),
                Stage(id="S1", text="a", span=(1, 2), label="early", order=1)],
        practices=[Practice(id="P1", text="lead", span=(0, 4)),
                   Practice(id="P2", text="child", span=(5, 9), level=2, parent="P1", theme="T1")],
        findings=[Finding(id="N1", text="targets matter", span=(10, 20))],
        recommendations=[Recommendation(id="R1", text="set targets", span=(30, 40), supports=["N1", "gone"])],
    )
    summary = summarize(analysis)
    assert [s.label for s in summary.stages] == ["early", "later"]
    assert summary.practice_tree[0].id == "P1" and summary.practice_tree[0].children[0].theme == "T1"
    assert summary.recommendations[0].supported_by[0].text == "targets matter"
    assert len(summary.recommendations[0].supported_by) == 1
    assert summary.lessons[0].studied_region == "Zhejiang" and summary.lessons[0].target_region == "Shanghai"


def test_no_lessons_without_a_target_region():
    report = Report(id="s", source="s", title="t", language="en", text="y" * 50, studied_regions=["Zhejiang"])
    analysis = Analysis(report=report, findings=[Finding(id="N1", text="f", span=(0, 1))])
    assert summarize(analysis).lessons == []
    assert practice_tree(analysis) == []


def test_chinese_sentences_lose_no_text():
    from pipeline.nlp import sentence_spans

    text = "粮食产量首次跃上1.4万亿斤；高技术制造业增长8.9%。新能源汽车年产量突破1300万辆"
    spans = sentence_spans(text, language="zh")
    assert "".join(text[s:e] for s, e in spans) == text
    assert len(spans) == 3


def test_abstract_skips_titles_and_headings():
    text = ("Investigation Report on the Work of Party Building in the Two New Organizations in Zhejiang Province\n\n"
            + " ".join(f"County {i} reported on party building work in the two new organizations of Zhejiang "
                       f"Province as topic {i}." for i in range(12)))
    analysis = Analysis(report=Report(id="t", source="t", title="Investigation Report", language="en", text=text))
    from pipeline.summarize import candidate_sentences

    candidates = [text[s:e] for s, e in candidate_sentences(analysis)]
    assert len(candidates) == 12 and all(c.startswith("County") for c in candidates)


def test_a_footnote_marker_after_a_full_stop_stays_with_its_sentence():
    """An audit's footnote markers ("... in 2024. [12] At the same time ...") were split after the bracket:
    the marker's number then opened the next sentence ("12] At the same time"), which the abstract picked."""
    from pipeline.nlp import sentence_spans

    text = ("The agency spent $5 million on training in 2024. [12] At the same time, staffing fell by 10 percent. "
            "Others rose. [3, 4] See the appendix. It grew. [a] A lettered note.")
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The agency spent $5 million on training in 2024. [12]",
        "At the same time, staffing fell by 10 percent.",
        "Others rose. [3, 4]",
        "See the appendix.",
        "It grew.",
        "[a] A lettered note.",
    ]
