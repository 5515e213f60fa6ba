"""The abstract of one report: 3–7 of its own sentences, each with its span, saying what was studied, what
was found (with the key figures) and what is recommended.

Sentences come from the report's own summary parts first: its summary, highlights or conclusions
sections, the findings and recommendations the analysis extracted, and the opening paragraphs of its
chapters; never from method or background parts, appendixes, reference lists, footnotes or captions when
anything else is there. Among those, a small score picks them (see ``sentence_score``): centrality
(TextRank over TF-IDF similarities), being part of the summary or of an extracted item, opening a
paragraph or a chapter, holding a key figure; MMR keeps two sentences on one point out. What is
recommended comes from the extracted recommendations or, where the analysis found none, from the report's
forward-looking part (its plan, tasks or next steps: see ``_Layout.forward``). Cue lists are in
``data/summary/abstract.json``.
"""
from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Optional

import numpy as np

from .nlp import sentence_spans
from .records import AbstractSentence, Analysis, Section

if TYPE_CHECKING:  # pragma: no cover
    from .embed import Embedder

MAX_CANDIDATES = 160
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?。！？；;][\"'”’」』)）\]]*$")
_TRAILING_MARKS = re.compile(r"(?:\s*\[\d{1,3}(?:,\s*\d{1,3})*\])+$")  # footnote markers after the full stop
_BULLET = re.compile(r"[•*·▪‣◦\-–—]\s+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")

# The score's weights (``sentence_score``): one for each kind of evidence that a sentence states a main
# point, all on the scale of the centrality (0–1, the most central sentence 1).
W_SUMMARY = 1.0  # in the report's summary, highlights or conclusions: the authors' own choice of points
W_ITEM = 0.5  # part of an extracted finding or recommendation
W_SECTION_LEAD = 0.4  # in the first paragraph of its section: a chapter states its point first
W_PARAGRAPH_LEAD = 0.2  # opens its paragraph (topic sentence)
W_FIGURE = 0.3  # holds a key figure (money, a share, a count): "the main findings with key figures"
W_EARLY = 2.0  # times the share of the report still to come: reports state their main points first (a
# letter's or an executive summary's opening), then detail them, then append methods and annexes
W_POINTS = 1.0  # closeness to the report's own points (extracted findings and recommendations, the headings
# of its chapters, which in audits state the findings), scaled so the closest sentence gets 1
MMR_REDUNDANCY = 0.7  # how much closeness to a chosen sentence costs (cosine on TF-IDF)
MAX_RECOMMENDING = 2  # an abstract says what is recommended; the findings take the other places


@lru_cache(maxsize=None)
def cues() -> dict:
    with resources.files("pipeline").joinpath("data/summary/abstract.json").open(encoding="utf-8") as fh:
        data = json.load(fh)
    return {name: value["items"] for name, value in data.items() if isinstance(value, dict)}


@lru_cache(maxsize=None)
def _patterns(name: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in cues()[name]), re.I)


@lru_cache(maxsize=None)
def _heading_pattern(name: str, anchored: bool = False) -> re.Pattern:
    """A heading's keywords; ``anchored``: the heading starts with one (after its number), so "Conclusions,
    Recommendations, and Agency Comments" is not an agency-comments part."""
    english = [k for k in cues()[name] if k.isascii()]
    chinese = [k for k in cues()[name] if not k.isascii()]
    alternatives = [r"\b" + re.escape(k) + r"\b" for k in sorted(english, key=len, reverse=True)]
    pattern = "|".join(alternatives + [re.escape(k) for k in chinese])
    return re.compile(rf"^\W*(?:[\dIVXLC.]+\s*[:.]?\s*)?(?:{pattern})" if anchored else pattern, re.I)


@lru_cache(maxsize=None)
def _garbled_keywords() -> frozenset[str]:
    """The one-word method and background headings with their letters sorted: PDF extraction moves a
    descender out of its word ("Back round g" for "Background"), so such a heading is known by its letters."""
    from .lexicons import load_json

    words = load_json("section_kinds.json")["keywords"]
    return frozenset("".join(sorted(k)) for kind in ("method", "situation") for k in words[kind]
                     if k.isascii() and " " not in k and len(k) >= 6)


def is_method_or_background(section: Section) -> bool:
    if section.kind in ("method", "situation"):
        return True
    letters = "".join(sorted(ch for ch in section.heading.lower() if ch.isalpha()))
    return letters in _garbled_keywords()


def is_citation(sentence: str) -> bool:
    return bool(_patterns("citation_patterns").search(sentence.lstrip()))


def is_method_sentence(sentence: str) -> bool:
    """How the study was done ("To address these objectives, we reviewed ...", "We interviewed officials ...")."""
    return bool(_patterns("method_sentences").search(sentence.strip()))


def is_list_lead_in(sentence: str) -> bool:
    """A sentence that only announces the list after it ("... proposes the following recommendations.")."""
    return bool(_patterns("list_lead_ins").search(sentence.strip()))


def paragraph_start(text: str, breaks: list[int], pos: int) -> int:
    """Start of the blank-line paragraph holding ``pos`` (``breaks``: ends of blank-line runs, sorted)."""
    i = bisect.bisect_right(breaks, pos) - 1
    return breaks[i] if i >= 0 else 0


def _paragraph_breaks(text: str) -> list[int]:
    return [m.end() for m in _BLANK_LINE.finditer(text)]


def candidate_sentences(analysis: Analysis) -> list[tuple[int, int]]:
    """Prose sentences of 8–80 words that state something: not headings, titles or table cells, not
    citations or footnote text, not figure captions; a list item's bullet and footnote markers after the
    full stop are left out of the span."""
    report = analysis.report
    text = report.text
    headings = {s.heading_span for s in report.sections if s.heading_span}
    breaks = _paragraph_breaks(text)
    footnote = _patterns("footnote_paragraph")
    caption = _patterns("caption_patterns")
    reference_lists = [s.span for s in report.sections if _heading_pattern("skip_headings", anchored=True).search(s.heading)
                       and re.search(r"bibliograph|references|related .* (?:products|work)|参考文献", s.heading, re.I)]
    out = []
    for start, end in sentence_spans(text, language=report.language):
        bullet = _BULLET.match(text, start, end)  # a list item's bullet is not part of its sentence
        if bullet:
            start = bullet.end()
        marks = _TRAILING_MARKS.search(text, start, end)
        if marks and marks.start() > start:
            end = marks.start()
        sentence = text[start:end]
        n_words = len(_WORD.findall(sentence)) if report.language != "zh" else len(sentence) // 2
        if not 8 <= n_words <= 80 or (start, end) in headings:
            continue
        letters = sum(ch.isalpha() for ch in sentence)
        if letters < 0.6 * len(sentence):  # tables, citations, lists of numbers
            continue
        if not _SENTENCE_END.search(sentence):  # titles, headings and table cells are not sentences
            continue
        if is_citation(sentence) or caption.search(sentence):
            continue
        if footnote.search(text[paragraph_start(text, breaks, start):start + 1 + 40]):
            continue
        if any(a <= start < b for a, b in reference_lists):
            continue
        out.append((start, end))
    return out


def _tfidf(texts: list[str], language: str):
    """Unit-length TF-IDF rows as a sparse matrix (a dense one for a long report would take gigabytes)."""
    from .tfidf import tfidf_rows

    return tfidf_rows(texts, language)


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


def abstract_length(n_candidates: int) -> int:
    """3 sentences for a brief, 5 for a report, 7 for a long one (by its number of candidate sentences)."""
    return 3 if n_candidates < 40 else 5 if n_candidates < 1500 else 7


class _Layout:
    """Where each candidate sentence sits: its sections, paragraph, the items and figures it holds."""

    def __init__(self, analysis: Analysis):
        report = analysis.report
        self.text = report.text
        self.breaks = _paragraph_breaks(self.text)
        self.sections = sorted(report.sections, key=lambda s: (s.span[0], -s.span[1]))
        self.section_starts = [s.span[0] for s in self.sections]
        skip, summary = _heading_pattern("skip_headings", anchored=True), _heading_pattern("summary_headings")
        self.skipped = [bool(skip.search(s.heading)) for s in self.sections]
        self.background = [is_method_or_background(s) for s in self.sections]
        self.summary = [s.kind == "findings" or bool(summary.search(s.heading))
                        for s in self.sections]
        # the forward-looking parts: what the report plans or proposes (a work report's tasks for the year,
        # a review's next steps), which say "what is recommended" where no recommendation was extracted
        forward = _heading_pattern("forward_headings")
        self.forward = [s.kind == "recommendations" or bool(forward.search(s.heading)) for s in self.sections]
        # an extracted item's headline sentence: where its text lies in its span (not always at the start: a
        # recommendation's paragraph may open with the reasoning that leads to it)
        self.heads = []
        for kind, items in (("finding", analysis.findings), ("recommendation", analysis.recommendations)):
            for item in items:
                at = self.text.find(item.text[:60], item.span[0], item.span[1]) if item.text else -1
                at = item.span[0] if at < 0 else at
                self.heads.append((at, at + max(len(item.text), 1), kind))
        self.heads.sort()
        kinds = set(cues()["key_figure_kinds"])
        self.figures = sorted(f.span[0] for f in analysis.figures if f.kind in kinds)

    def excluded(self, inside: list[int]) -> bool:
        """Within an appendix or reference part, or within a method or background part that no summary
        part holds (an "Introduction" among a report's numbered conclusions is part of its summary)."""
        for i in inside:  # outermost first
            if self.skipped[i]:
                return True
            if self.summary[i]:
                return any(self.skipped[j] for j in inside)
            if self.background[i]:
                return True
        return False

    def containing(self, pos: int) -> list[int]:
        """Indices of the sections holding ``pos``, outermost first."""
        upto = bisect.bisect_right(self.section_starts, pos)
        return [i for i in range(upto) if self.sections[i].span[0] <= pos < self.sections[i].span[1]]

    def items_at(self, start: int, end: int) -> set[str]:
        i = bisect.bisect_left(self.heads, (start - 2000,))
        found = set()
        for a, b, kind in self.heads[i:]:
            if a >= end:
                break
            if a < end and start < b:
                found.add(kind)
        return found

    def has_figure(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.figures, start)
        return i < len(self.figures) and self.figures[i] < end

    def leads(self, start: int, inner: Optional[int]) -> tuple[bool, bool]:
        """(opens its paragraph, lies in the first paragraph of its innermost section)."""
        para = paragraph_start(self.text, self.breaks, start)
        opens = not self.text[para:start].strip()
        if inner is None:
            return opens, False
        body = self.sections[inner].heading_span[1] if self.sections[inner].heading_span else self.sections[inner].span[0]
        first = body
        while first < len(self.text) and self.text[first].isspace():
            first += 1
        return opens, para <= first


def abstract(analysis: Analysis, embedder: Optional["Embedder"] = None, k: Optional[int] = None, *,
             early: Optional[float] = None, points: Optional[float] = None) -> list[AbstractSentence]:
    """The abstract: ``k`` sentences (by default ``abstract_length``) in reading order. ``early`` and
    ``points`` replace the weights ``W_EARLY`` and ``W_POINTS`` (bench/summaries_cv.py cross-validates them)."""
    early = W_EARLY if early is None else early
    points_weight = W_POINTS if points is None else points
    text = analysis.report.text
    spans = candidate_sentences(analysis)
    if not spans:
        return []
    k = k or abstract_length(len(spans))
    layout = _Layout(analysis)
    # what is recommended: the extracted recommendations, else the sentences of the forward-looking parts
    forward = not analysis.recommendations and any(layout.forward)
    rows = []  # (span, prior, is recommending)
    for start, end in spans:
        inside = layout.containing(start)
        if layout.excluded(inside) or is_method_sentence(text[start:end]) or is_list_lead_in(text[start:end]):
            continue
        items = layout.items_at(start, end)
        opens, section_lead = layout.leads(start, inside[-1] if inside else None)
        prior = (W_SUMMARY * any(layout.summary[i] for i in inside) + W_ITEM * bool(items)
                 + W_SECTION_LEAD * section_lead + W_PARAGRAPH_LEAD * opens
                 + W_FIGURE * layout.has_figure(start, end))
        prior += early * (1 - start / len(text))
        recommending = ("recommendation" in items if not forward
                        else any(layout.forward[i] for i in inside))
        rows.append(((start, end), prior, recommending))
    if len(rows) < k:  # a report that is all method or background: its prose is what there is
        rows = [(span, 0.0, False) for span in spans]
    sentences = [text[s:e] for (s, e), _, _ in rows]
    tfidf = _tfidf(sentences, analysis.report.language)
    prior = np.array([p for _, p, _ in rows])
    limit = MAX_CANDIDATES if embedder is not None else 4 * MAX_CANDIDATES
    if len(rows) > limit:
        # bounded work: keep the sentences with the best prior, then closest to the document's centroid
        centroid = np.asarray(tfidf.mean(axis=0)).ravel()
        closeness = tfidf @ centroid
        keep = sorted(np.lexsort((-closeness, -prior))[:limit])
        rows, sentences, prior, tfidf = [rows[i] for i in keep], [sentences[i] for i in keep], prior[keep], tfidf[keep]
    if embedder is not None:
        vectors = embedder.embed(sentences)
        similarity = vectors @ vectors.T
    else:
        similarity = (tfidf @ tfidf.T).toarray()
    centrality = textrank(similarity)
    score = prior + centrality / max(float(centrality.max()), 1e-12)
    points = [i.text for i in (*analysis.findings, *analysis.recommendations)] + [
        s.heading for i, s in enumerate(layout.sections) if not layout.excluded([i])]
    if points:
        both = _tfidf(sentences + points, analysis.report.language)
        centroid = np.asarray(both[len(sentences):].mean(axis=0)).ravel()
        closeness = both[:len(sentences)] @ centroid
        score = score + points_weight * closeness / max(float(closeness.max()), 1e-12)
    recommending = [i for i, row in enumerate(rows) if row[2]]
    chosen = select_mmr(score, similarity, k, capped=set(recommending), cap=MAX_RECOMMENDING)
    if (analysis.recommendations or forward) and k >= 3 and recommending and not any(rows[i][2] for i in chosen):
        # "what is recommended": the best recommending sentence takes the last place
        chosen[-1] = max(recommending, key=lambda i: score[i])
    return [AbstractSentence(text=sentences[i], span=rows[i][0], score=round(float(score[i]), 6))
            for i in sorted(set(chosen))]


def select_mmr(score: np.ndarray, similarity: np.ndarray, k: int, capped: frozenset[int] | set[int] = frozenset(),
               cap: int = 0) -> list[int]:
    """Maximal marginal relevance: the best-scored sentence, then each time the one whose score minus its
    closeness to those chosen is highest; near-duplicates (cosine >= 0.9) are never both taken, nor more
    than ``cap`` of the ``capped`` sentences when others are left."""
    chosen: list[int] = []
    available = np.ones(len(score), dtype=bool)
    while len(chosen) < min(k, len(score)) and available.any():
        if capped and sum(i in capped for i in chosen) >= cap:
            rest = available.copy()
            rest[list(capped)] = False
            if rest.any():
                available = rest
        penalty = similarity[:, chosen].max(axis=1) if chosen else np.zeros(len(score))
        value = np.where(available & (penalty < 0.9), score - MMR_REDUNDANCY * penalty, -np.inf)
        best = int(np.argmax(value))
        if not np.isfinite(value[best]):
            break
        chosen.append(best)
        available[best] = False
    return chosen
