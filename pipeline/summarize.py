"""Structured, extractive summaries of one report: nothing here writes a sentence of its own.

A summary gathers what the other stages extracted (key figures, stages in order, the practice tree with
themes, findings, recommendations with what supports them, studied → target lessons) and adds a short
abstract: the most central sentences by TextRank over TF-IDF sentence similarities (``abstract`` takes an
embedder for comparison in bench/summaries.py), each with its span into the report text.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

import numpy as np

from .nlp import sentence_spans
from .records import (
    AbstractSentence,
    Analysis,
    Figure,
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

MAX_CANDIDATES = 160
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?。！？；;][\"'”’」』)）\]]*$")
_KIND_WEIGHT = {"money": 1.0, "percent": 0.9, "count": 0.7, "quantity": 0.7, "ratio": 0.6,
                "duration": 0.2, "rank": 0.3, "date": 0.0}


def textrank(similarity: np.ndarray, damping: float = 0.85, iterations: int = 200, tol: float = 1e-9) -> np.ndarray:
    """PageRank scores over a weighted, undirected similarity graph (negative weights dropped)."""
    n = similarity.shape[0]
    if n == 0:
        return np.zeros(0)
    weights = np.clip(similarity.astype(np.float64), 0.0, None)
    np.fill_diagonal(weights, 0.0)
    out = weights.sum(axis=1, keepdims=True)
    # A sentence similar to nothing links to everyone, so the walk never gets stuck.
    transition = np.where(out > 0, weights / np.where(out > 0, out, 1.0), 1.0 / n)
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = (1 - damping) / n + damping * transition.T @ scores
        if np.abs(updated - scores).sum() < tol:
            scores = updated
            break
        scores = updated
    return scores


def _candidate_sentences(analysis: Analysis) -> list[tuple[int, int]]:
    report = analysis.report
    text = report.text
    headings = {s.heading_span for s in report.sections if s.heading_span}
    out = []
    for start, end in sentence_spans(text, language=report.language):
        sentence = text[start:end]
        n_words = len(_WORD.findall(sentence)) if report.language != "zh" else len(sentence) // 2
        if not 8 <= n_words <= 80 or (start, end) in headings:
            continue
        letters = sum(ch.isalpha() for ch in sentence)
        if letters < 0.6 * len(sentence):  # tables, citations, lists of numbers
            continue
        if not _SENTENCE_END.search(sentence):  # titles, headings and table cells are not sentences
            continue
        out.append((start, end))
    return out


def _tfidf(texts: list[str], language: str):
    """Unit-length TF-IDF rows as a sparse matrix (a dense one for a long report would take gigabytes)."""
    from .tfidf import tfidf_rows

    return tfidf_rows(texts, language)


def abstract(analysis: Analysis, embedder: Optional["Embedder"] = None, k: Optional[int] = None) -> list[AbstractSentence]:
    """The 3–5 most central sentences of the report, in reading order."""
    text = analysis.report.text
    spans = _candidate_sentences(analysis)
    if not spans:
        return []
    sentences = [text[s:e] for s, e in spans]
    tfidf = _tfidf(sentences, analysis.report.language)
    if len(spans) > MAX_CANDIDATES:
        # Pre-select by closeness to the whole document, so the encoder sees a bounded number of sentences.
        centroid = np.asarray(tfidf.mean(axis=0)).ravel()
        closeness = tfidf @ centroid
        keep = sorted(np.argsort(-closeness, kind="stable")[:MAX_CANDIDATES])
        spans = [spans[i] for i in keep]
        sentences = [sentences[i] for i in keep]
        tfidf = tfidf[keep]
    if embedder is not None:
        vectors = embedder.embed(sentences)
        similarity = vectors @ vectors.T
    else:
        similarity = (tfidf @ tfidf.T).toarray()
    scores = textrank(similarity)
    k = k or (3 if len(spans) < 40 else 5)
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if all(similarity[i, j] < 0.9 for j in chosen):
            chosen.append(int(i))
        if len(chosen) == k:
            break
    return [AbstractSentence(text=sentences[i], span=spans[i], score=round(float(scores[i]), 6))
            for i in sorted(chosen)]


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


def summarize(analysis: Analysis, embedder: Optional["Embedder"] = None) -> Summary:
    """The structured summary of one analysed report."""
    report = analysis.report
    texts = {i.id: i.text for i in (*analysis.findings, *analysis.practices)}
    findings = [ItemRef(id=f.id, text=f.text) for f in analysis.findings]
    lessons = []
    if report.studied_regions and report.target_region:
        lessons = [Lesson(studied_region=report.studied_regions[0], target_region=report.target_region, finding=f)
                   for f in findings]
    return Summary(
        # TF-IDF similarities, not sentence vectors (bench/summaries.py, 21 GAO reports: R1/R2/RL 0.353/0.122/
        # 0.182 against MiniLM's 0.400/0.131/0.183, intervals overlapping) in 0.03 s instead of 2.2 s a report,
        # more than all the other stages of the analysis (1.4 s)
        abstract=abstract(analysis),
        key_figures=key_figures(analysis),
        stages=[StageSummary(order=s.order, label=s.label, start=s.start, end=s.end)
                for s in sorted(analysis.stages, key=lambda s: s.order)],
        practice_tree=practice_tree(analysis),
        findings=findings,
        recommendations=[
            RecommendationSummary(id=r.id, text=r.text, target=r.target,
                                  supported_by=[ItemRef(id=i, text=texts[i]) for i in r.supports if i in texts])
            for r in analysis.recommendations
        ],
        lessons=lessons,
    )
