"""Structured, extractive summaries of one report: nothing here writes a sentence of its own.

A summary gathers what the other stages extracted (key figures, stages in order, the practice tree with
themes, findings, recommendations with what supports them, studied → target lessons) and adds a short
abstract (pipeline/abstract.py: sentences from the report's summary parts, findings and recommendations,
each with its span into the report text).
"""
from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Optional

import numpy as np

from .abstract import abstract, candidate_sentences, textrank  # noqa: F401  (the summary's API)
from .records import (
    Analysis,
    Figure,
    FindingSummary,
    ItemRef,
    KeyFigure,
    Lesson,
    PracticeNode,
    RecommendationSummary,
    StageSummary,
    Summary,
)

if TYPE_CHECKING:  # pragma: no cover
    from .embed import Embedder

_KIND_WEIGHT = {"money": 1.0, "percent": 0.9, "count": 0.7, "quantity": 0.7, "ratio": 0.6,
                "duration": 0.2, "rank": 0.3, "date": 0.0}


def _tfidf(texts: list[str], language: str):
    """Unit-length TF-IDF rows as a sparse matrix (a dense one for a long report would take gigabytes)."""
    from .tfidf import tfidf_rows

    return tfidf_rows(texts, language)


def key_figures(analysis: Analysis, limit: int = 5) -> list[KeyFigure]:
    """The figures a reader would cite first: measured, money and shares first, central sentences first."""
    figures = [f for f in analysis.figures if f.kind != "date"]
    if not figures:
        return []
    sentences = [f.sentence or f.text for f in figures]
    tfidf = _tfidf(sentences + [analysis.report.text[:200_000]], analysis.report.language)
    centrality = (tfidf[:-1] @ tfidf[-1].T).toarray().ravel()
    kinds = {s.kind for s in analysis.report.sections}

    def section_kind(figure: Figure) -> Optional[str]:
        inner = [s for s in analysis.report.sections if s.span[0] <= figure.span[0] < s.span[1]]
        return inner[-1].kind if inner else None

    def score(i: int) -> float:
        f = figures[i]
        value = _KIND_WEIGHT.get(f.kind, 0.3) + (0.8 if f.measures else 0.0) + float(centrality[i])
        if "findings" in kinds and section_kind(f) == "findings":
            value += 0.3
        return value

    ranked = sorted(range(len(figures)), key=lambda i: (-score(i), figures[i].span[0]))
    chosen = sorted(ranked[:limit], key=lambda i: figures[i].span[0])
    return [KeyFigure(id=f.id, text=f.text, value=f.value, kind=f.kind, unit=f.unit, qualifier=f.qualifier,
                      measures=f.measures, year=f.year, span=f.span) for f in (figures[i] for i in chosen)]


def practice_tree(analysis: Analysis) -> list[PracticeNode]:
    nodes = {p.id: PracticeNode(id=p.id, text=p.text, theme=p.theme, theme_id=p.theme_id, group=p.group) for p in analysis.practices}
    roots: list[PracticeNode] = []
    for p in analysis.practices:
        parent = nodes.get(p.parent) if p.parent else None
        (parent.children if parent is not None else roots).append(nodes[p.id])
    return roots


W_FIGURE = 0.3  # an item that holds a key figure (money, a share, a count) states a result
W_ACTOR = 0.3  # a recommendation that names who should act ("The Secretary should ...") asks for action


def importance(analysis: Analysis) -> dict[str, float]:
    """Importance of each finding and recommendation (by id): its TextRank centrality among all of them over
    TF-IDF similarities (0–1, the most central 1), plus ``W_FIGURE`` when it holds a key figure and
    ``W_ACTOR`` for a recommendation that names who should act. A long report shows its top-N by this."""
    items = [*analysis.findings, *analysis.recommendations]
    if not items:
        return {}
    tfidf = _tfidf([f"{i.text} {i.detail}" for i in items], analysis.report.language)
    centrality = textrank((tfidf @ tfidf.T).toarray())
    centrality = centrality / max(float(centrality.max()), 1e-12)
    starts = sorted(f.span[0] for f in analysis.figures if f.kind in ("money", "percent", "count", "quantity", "ratio"))
    scores = {}
    for item, value in zip(items, centrality):
        i = bisect.bisect_left(starts, item.span[0])
        value += W_FIGURE * (i < len(starts) and starts[i] < item.span[1])
        value += W_ACTOR * bool(getattr(item, "target", None))
        scores[item.id] = round(float(value), 6)
    return scores


def summarize(analysis: Analysis, embedder: Optional["Embedder"] = None) -> Summary:
    """The structured summary of one analysed report."""
    report = analysis.report
    texts = {i.id: i.text for i in (*analysis.findings, *analysis.practices)}
    scores = importance(analysis)
    findings = [FindingSummary(id=f.id, text=f.text, detail=f.detail, span=f.span, score=scores.get(f.id, 0.0))
                for f in analysis.findings]
    lessons = []
    if report.studied_regions and report.target_region:
        lessons = [Lesson(studied_region=report.studied_regions[0], target_region=report.target_region,
                          finding=ItemRef(id=f.id, text=f.text)) for f in findings]
    return Summary(
        # TF-IDF similarities, not sentence vectors: the structure of the report carries the choice
        # (bench/summaries.py), and encoding every sentence would cost more than the rest of the analysis
        abstract=abstract(analysis),
        key_figures=key_figures(analysis),
        stages=[StageSummary(order=s.order, label=s.label, start=s.start, end=s.end)
                for s in sorted(analysis.stages, key=lambda s: s.order)],
        practice_tree=practice_tree(analysis),
        findings=findings,
        recommendations=[
            RecommendationSummary(id=r.id, text=r.text, detail=r.detail, span=r.span, score=scores.get(r.id, 0.0),
                                  target=r.target,
                                  supported_by=[ItemRef(id=i, text=texts[i]) for i in r.supports if i in texts])
            for r in analysis.recommendations
        ],
        lessons=lessons,
    )
