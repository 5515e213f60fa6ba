"""The Markdown summary of a long report shows a top-N of findings and recommendations, each recommendation
in full with its span, and fits on two screens; the JSON summary holds every recommendation in full.

A screen here is 50 lines of at most 100 columns: the Markdown is wrapped at 100 columns (textwrap, each
source line on its own) and must take at most 2 × 50 = 100 lines."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pipeline.render import ALL_UP_TO, TOP_N, TOP_RECOMMENDATIONS, summary_markdown, top_items
from pipeline.summarize import importance, summarize

FIXTURES = Path(__file__).parent / "fixtures" / "summaries"
SCREEN_LINES, SCREEN_COLUMNS = 50, 100


def screen_lines(markdown: str, width: int = SCREEN_COLUMNS) -> int:
    return sum(len(textwrap.wrap(line, width)) or 1 for line in markdown.splitlines())


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def inquiry():
    from pipeline.extract import analyze_file

    return analyze_file(FIXTURES / "inquiry_with_numbered_conclusions.txt")


def test_a_long_inquiry_shows_its_top_recommendations_in_full(inquiry):
    recs = inquiry.summary.recommendations
    assert len(recs) > ALL_UP_TO
    md = summary_markdown(inquiry)
    section = md.split("## Recommendations", 1)[1].split("\n## ", 1)[0]
    shown = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(shown) == TOP_RECOMMENDATIONS
    by_headline = {r.text: r for r in recs}
    for line in shown:
        rec = next(r for text, r in by_headline.items() if f"**{text}**" in line or line[2:].startswith(text))
        assert rec.detail and squash(rec.detail) in squash(line)  # the plan elements, not only the headline
        assert f"[{rec.span[0]}–{rec.span[1]}]" in line
    assert f"{len(recs) - TOP_RECOMMENDATIONS} more recommendations" in section
    assert f"reportlens summarize {inquiry.report.id} --format json" in section
    findings = md.split("## Findings", 1)[1].split("\n## ", 1)[0]
    assert len([line for line in findings.splitlines() if line.startswith("- ")]) == TOP_N
    assert f"{len(inquiry.summary.findings) - TOP_N} more findings" in findings
    assert screen_lines(md) <= 2 * SCREEN_LINES


def test_the_json_summary_holds_every_recommendation_in_full(inquiry):
    payload = json.loads(inquiry.summary.model_dump_json())
    assert len(payload["recommendations"]) == len(inquiry.recommendations)
    text = inquiry.report.text
    for rec, stored in zip(payload["recommendations"], inquiry.recommendations):
        assert rec["detail"] == stored.detail and rec["span"] == list(stored.span)
        whole = squash(text[stored.span[0]:stored.span[1]])
        assert squash(rec["text"]) in whole and squash(rec["detail"]) in whole
    # every one of the inquiry's recommendations spells out what it requires
    assert all(r["detail"] for r in payload["recommendations"] if r["text"].startswith(("The ", "We recommend")))


def test_importance_ranks_a_recommendation_that_names_an_actor_and_a_figure_first():
    from pipeline.records import Analysis, Figure, Recommendation, Report

    text = ("We welcome the work done so far on the coast. "
            "The Government should fund 200 coastal engineers over five years.")
    recs = [Recommendation(id="R1", text=text[:46], span=(0, 46)),
            Recommendation(id="R2", text=text[47:], span=(47, len(text)), target="The Government")]
    figure = Figure(id="F1", text="200", span=(text.index("200"), text.index("200") + 3), value=200, kind="count")
    analysis = Analysis(report=Report(id="i", source="i", title="t", language="en", text=text),
                        recommendations=recs, figures=[figure])
    scores = importance(analysis)
    assert scores["R2"] > scores["R1"]
    summary = summarize(analysis)
    assert [r.score for r in summary.recommendations] == [scores["R1"], scores["R2"]]


def test_top_items_keeps_reading_order_and_all_of_a_short_list():
    class Item:
        def __init__(self, score):
            self.score = score

    few = [Item(s) for s in range(ALL_UP_TO)]
    assert top_items(few) == few
    many = [Item(s) for s in (0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.5, 0.05)]
    chosen = top_items(many, 3)
    assert [i.score for i in chosen] == [0.9, 0.8, 0.7]


def test_a_short_audit_shows_all_its_recommendations():
    from pipeline.extract import analyze_file

    analysis = analyze_file(FIXTURES / "audit_with_footnotes.md")
    md = summary_markdown(analysis)
    assert "more recommendations" not in md and "more findings" not in md
    for rec in analysis.summary.recommendations:
        assert squash(rec.text) in squash(md)


def test_the_space_economy_inquiry_fits_on_two_screens_with_every_recommendation_in_json(shared_corpus):
    from pipeline.extract import analyze_file

    path = next(iter(sorted(shared_corpus.rglob("hol_2025_space_economy*.txt"))), None)
    if path is None:
        pytest.skip("the House of Lords space-economy report is not in the corpus")
    analysis = analyze_file(path)
    md = summary_markdown(analysis)
    assert screen_lines(md) <= 2 * SCREEN_LINES, md
    payload = json.loads(analysis.summary.model_dump_json())
    recs = payload["recommendations"]
    assert len(recs) >= 40
    from pipeline.nlp import sentence_spans

    whole = squash(analysis.report.text)
    for rec in recs:  # the report's own words (a headline may be a later sentence of its paragraph)
        assert squash(rec["text"]) in whole
        assert all(squash(rec["detail"][a:b]) in whole for a, b in sentence_spans(rec["detail"]))
    # in full: the JSON holds the recommendations' whole text, not only their headline sentences
    assert sum(bool(r["detail"]) for r in recs) >= 0.8 * len(recs)
