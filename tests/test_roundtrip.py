"""Hypothesis round trips: records -> store -> export -> records is the identity."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.export import to_json, to_json_line, write_jsonl
from pipeline.records import (AbstractSentence, Analysis, Change, Figure, Finding, FindingSummary, ItemRef, Practice, PracticeNode,
                              Recommendation, RecommendationSummary, Report, Section, Stage, Summary)
from pipeline.store import Store

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
WORDS = st.text(st.sampled_from("abc xyz 示范点 12,.%\n"), min_size=1, max_size=30)
OPTIONAL_TEXT = st.none() | TEXT
NUMBER = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def analyses(draw) -> Analysis:
    text = draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300))
    n = len(text)

    def span():
        start = draw(st.integers(0, n - 1))
        return (start, draw(st.integers(start + 1, n)))

    def items(make, prefix):
        return [make(f"{prefix}{i}") for i in range(draw(st.integers(0, 3)))]

    report = Report(
        id=draw(st.text("0123456789abcdef", min_size=4, max_size=16)), source=draw(TEXT), title=draw(TEXT),
        language=draw(st.sampled_from(["en", "zh", "fr"])), report_type=draw(OPTIONAL_TEXT),
        year=draw(st.none() | st.integers(1900, 2100)), number=draw(OPTIONAL_TEXT),
        studied_regions=draw(st.lists(TEXT, max_size=3)), target_region=draw(OPTIONAL_TEXT),
        visit_dates=draw(st.lists(TEXT, max_size=2)), visited_organizations=draw(st.lists(TEXT, max_size=2)),
        text=text, sections=[Section(heading=draw(TEXT), level=draw(st.integers(1, 3)),
                                     kind=draw(st.sampled_from(["situation", "findings", "other"])), span=span())
                             for _ in range(draw(st.integers(0, 3)))])
    figures = items(lambda i: Figure(
        id=i, text=draw(WORDS), span=span(), sentence=draw(TEXT), value=draw(NUMBER),
        kind=draw(st.sampled_from(["money", "percent", "count"])), unit=draw(OPTIONAL_TEXT),
        qualifier=draw(st.sampled_from(["=", ">", "~"])), low=draw(st.none() | NUMBER),
        change=draw(st.none() | st.builds(Change, direction=st.sampled_from(["up", "down"]), reference=OPTIONAL_TEXT)),
        measures=draw(OPTIONAL_TEXT), year=draw(st.none() | st.integers(1900, 2100)), region=draw(OPTIONAL_TEXT)), "F")
    stages = items(lambda i: Stage(id=i, text=draw(WORDS), span=span(), label=draw(TEXT), order=draw(st.integers(1, 9)),
                                   start=draw(OPTIONAL_TEXT), start_year=draw(st.none() | st.integers(1900, 2100))), "S")
    practices = items(lambda i: Practice(id=i, text=draw(WORDS), span=span(), detail=draw(TEXT),
                                         level=draw(st.integers(1, 3)), group=draw(OPTIONAL_TEXT),
                                         region=draw(OPTIONAL_TEXT), actor=draw(OPTIONAL_TEXT)), "P")
    findings = items(lambda i: Finding(id=i, text=draw(WORDS), span=span(), detail=draw(TEXT)), "N")
    recommendations = items(lambda i: Recommendation(id=i, text=draw(WORDS), span=span(), target=draw(OPTIONAL_TEXT),
                                                     supports=draw(st.lists(st.sampled_from(["N0", "P1"]), max_size=2))),
                            "R")
    summary = draw(st.none() | st.just(Summary(
        abstract=[AbstractSentence(text=draw(TEXT), span=span(), score=draw(NUMBER))],
        practice_tree=[PracticeNode(id=p.id, text=p.text, children=[]) for p in practices],
        findings=[FindingSummary(id=f.id, text=f.text, detail=f.detail, span=f.span) for f in findings],
        recommendations=[RecommendationSummary(id=r.id, text=r.text, detail=r.detail, span=r.span, target=r.target)
                         for r in recommendations])))
    return Analysis(report=report, figures=figures, stages=stages, practices=practices, findings=findings,
                    recommendations=recommendations, summary=summary)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(analyses())
def test_records_store_export_records_is_identity(analysis):
    with tempfile.TemporaryDirectory() as folder:
        with Store(Path(folder) / "s.db") as store:
            store.save(analysis, "v1")
            [loaded] = list(store.iter_analyses())
    assert loaded == analysis
    assert Analysis.model_validate_json(to_json(loaded)) == analysis
    assert Analysis.model_validate_json(to_json_line(loaded)) == analysis
    out = io.StringIO()
    write_jsonl([loaded], out)
    assert [Analysis.model_validate_json(line) for line in out.getvalue().splitlines()] == [analysis]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(analyses())
def test_saving_again_replaces_and_removing_leaves_nothing(analysis):
    with tempfile.TemporaryDirectory() as folder:
        with Store(Path(folder) / "s.db") as store:
            store.save(analysis, "v1")
            store.save(analysis, "v2")
            assert store.load(analysis.report.id) == analysis
            assert store.delete_report(analysis.report.id)
            assert list(store.iter_analyses()) == []
            assert store.conn.execute("SELECT (SELECT COUNT(*) FROM items) + (SELECT COUNT(*) FROM sentences) + "
                                      "(SELECT COUNT(*) FROM sections)").fetchone()[0] == 0
