"""Theme labels: a short noun phrase from the theme's own practices, the one a person would write
("demonstration site", "party organizations in private firms", "农村税费改革").

1. Candidates: noun phrases of the theme's most typical practices (English: noun chunks, "X and Y", "X of Y",
   "X in Y" from the statistical parse, :mod:`pipeline.components.noun_phrases`; Chinese: runs of nominal
   words from jieba, :mod:`.chinese`). No verbs, no place names, no region of any practice.
2. Ranked per theme by class-based TF-IDF (BERTopic's c-TF-IDF, weighted by the share of a phrase's
   occurrences that fall in the theme); the top ``CANDIDATES`` go on.
3. The label is the candidate whose embedding (same embedder as the practices; for a language the embedder
   does not read, the character-bigram space of :mod:`.space`) is closest to the theme's
   own practices and least close to any other theme's, by its margin: the mean cosine to its own practices
   minus the highest mean cosine to another theme's. A candidate that fits (margin > 0) comes first, then
   one of two words or more, then the largest margin with a small bonus per word. A codebook name whose
   entry is close enough to the theme (``CODEBOOK_MIN_SIMILARITY``) and has a larger margin is the label
   instead.
4. English phrases are counted in the singular and shown as the practices write them most often
   ("party organizations in private firms").

``key_phrases`` are the top distinct c-TF-IDF phrases, the label first.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from pipeline.embed import normalize_text, unit_rows

KEY_PHRASES = 5
CANDIDATES = 15
# a longer phrase says more: each extra word (two Chinese characters) adds this much to a candidate's margin,
# for two at most, so "party organization" beats "organization" unless the shorter fits clearly better
LENGTH_BONUS = 0.03
MAX_LABEL_WORDS = 5
MAX_LABEL_CHARS_ZH = 10
CJK = re.compile(r"[\u3400-\u9fff]")
PLACE_WORDS = re.compile(r"\b(?:city|province|county|prefecture|municipality)\b|(?:[省市县]|地区)$", re.I)


def is_chinese(text: str) -> bool:
    return CJK.search(text[:20]) is not None


def class_tfidf(phrase_counts: Sequence[Counter[str]]) -> list[dict[str, float]]:
    """c-TF-IDF (BERTopic): per class, frequency of t in the class (L1-normalised) ×
    log(1 + average phrase count per class / frequency of t across all classes).

    One change: each score is also multiplied by the square root of the share of t's occurrences that
    fall in the class. In one report every cluster mentions "non-public enterprise", and plain c-TF-IDF
    still ranks it first in most of them; a label should say what distinguishes the theme."""
    totals: Counter[str] = Counter()
    for counts in phrase_counts:
        totals.update(counts)
    totals = Counter({p: c for p, c in totals.items() if c > 0})
    if not totals:
        return [{} for _ in phrase_counts]
    average = sum(totals.values()) / max(len(phrase_counts), 1)
    scores = []
    for counts in phrase_counts:
        size = sum(counts.values()) or 1
        scores.append(
            {p: (c / size) * math.log(1 + average / totals[p]) * math.sqrt(c / totals[p]) for p, c in counts.items() if c > 0}
        )
    return scores


def _words(phrase: str) -> set[str]:
    """Words of an English phrase, character pairs of a Chinese one."""
    if not is_chinese(phrase):
        return set(phrase.lower().split())
    return {phrase[i:i + 2] for i in range(max(1, len(phrase) - 1))}


def _overlaps(phrase: str, chosen: Sequence[str]) -> bool:
    words = _words(phrase)
    for other in chosen:
        other_words = _words(other)
        if words <= other_words or other_words <= words:
            return True
        if len(words & other_words) >= max(2, math.ceil(0.6 * min(len(words), len(other_words)))):
            return True
    return False


def ranked_phrases(scores: dict[str, float], support: Counter[str], size: int) -> list[str]:
    """Phrases best first: score (multi-word phrases get a mild bonus), then support, then alphabetical.
    Phrases found in one member only come after the shared ones when the theme has three members or more."""
    min_support = 2 if size >= 3 else 1

    def rank(p: str) -> tuple:
        length = max(1, len(p) // 2) if is_chinese(p) else len(p.split())
        return (support[p] < min_support, -(scores[p] * (1.0 + 0.3 * min(length - 1, 2))), -support[p], p)

    return sorted(scores, key=rank)


def pick_key_phrases(scores: dict[str, float], support: Counter[str], size: int, limit: int = KEY_PHRASES) -> list[str]:
    """The best ``limit`` phrases, skipping any that repeats, contains or is contained in one already picked."""
    chosen: list[str] = []
    for phrase in ranked_phrases(scores, support, size):
        if len(chosen) >= limit:
            break
        if not _overlaps(phrase, chosen):
            chosen.append(phrase)
    return chosen


def names_a_region(phrase: str, regions: set[str]) -> bool:
    lowered = phrase.lower()
    return bool(PLACE_WORDS.search(phrase)) or any(r and r.lower() in lowered for r in regions)


def fits_as_label(phrase: str) -> bool:
    if is_chinese(phrase):
        return len(phrase) <= MAX_LABEL_CHARS_ZH
    return len(phrase.split()) <= MAX_LABEL_WORDS


@dataclass
class LabelChoice:
    label: str
    key_phrases: list[str]


def choose_labels(
    candidates: list[list[str]],
    key_phrases: list[list[str]],
    member_means: np.ndarray,
    embed,
    codebook: Sequence[tuple[str, np.ndarray]] = (),
    codebook_min_similarity: float = 1.0,
) -> list[LabelChoice]:
    """Per theme the candidate with the largest margin: mean cosine to its own practices minus the highest
    mean cosine to another theme's (``member_means``: per theme the mean of its unit practice vectors, so a
    dot product is that mean cosine). ``embed(texts) -> unit rows`` in the practices' space, or None: then the
    best c-TF-IDF phrase. ``codebook``: (name, vector of "name: description") pairs that may name a theme."""
    phrases = sorted({p for group in candidates for p in group})
    margins: dict[str, np.ndarray] = {}
    if embed is not None and phrases and len(member_means):
        vectors = np.asarray(embed(phrases), dtype=np.float64)
        if vectors.ndim == 2 and vectors.shape[1] == member_means.shape[1]:
            margins = dict(zip(phrases, _margins(unit_rows(vectors), member_means)))
    named = []
    if codebook and margins:
        names = [name for name, _ in codebook]
        matrix = unit_rows(np.array([v for _, v in codebook], dtype=np.float64))
        similarity = matrix @ member_means.T  # mean cosine, (entries, themes)
        named = list(zip(names, _margins(matrix, member_means), similarity))
    choices = []
    for g, (group, keys) in enumerate(zip(candidates, key_phrases)):
        label = ""
        if group:
            # a phrase of two words or more (four characters) that fits beats a lone word that fits better
            label = max(group, key=lambda p: (bool(margins[p][g] > 0), bool(margins[p][g] > 0 and _extra_words(p)),
                                              margins[p][g] + LENGTH_BONUS * _extra_words(p), -group.index(p))) \
                if margins else group[0]
        if named and group:
            best_margin = margins[label][g] + LENGTH_BONUS * _extra_words(label)
            for name, margin, similarity in named:
                if similarity[g] >= codebook_min_similarity and margin[g] > best_margin:
                    label, best_margin = name, margin[g]
        ordered = [label] + [p for p in keys if p != label and not _overlaps(p, [label])] if label else list(keys)
        choices.append(LabelChoice(label, ordered[:KEY_PHRASES]))
    return choices


def _extra_words(phrase: str) -> int:
    words = len(phrase.split()) if not is_chinese(phrase) else (len(phrase) + 1) // 2
    return min(max(words - 1, 0), 2)


def _margins(vectors: np.ndarray, member_means: np.ndarray) -> np.ndarray:
    """Per row and theme: similarity to that theme minus the best similarity to any other theme."""
    similarity = vectors @ member_means.T
    if similarity.shape[1] < 2:
        return similarity
    top2 = np.sort(similarity, axis=1)[:, -2:]
    best_other = np.where(similarity >= top2[:, [1]], top2[:, [0]], top2[:, [1]])
    return similarity - best_other


def phrase_lists(texts: Sequence[tuple[str, int]]) -> tuple[list[dict[str, float]], list[dict[str, str]]]:
    """Weighted candidate phrases of each ``(text, headline length)`` (Chinese or English by the text), and
    each phrase as the text writes it (English phrases are counted in the singular)."""
    from pipeline.components.noun_phrases import parse_phrases, surface_forms
    from pipeline.themes.chinese import chinese_phrases

    english = [t for t in texts if not is_chinese(t[0])]
    parsed = iter(parse_phrases(english)) if english else iter(())
    written = iter(surface_forms(english)) if english else iter(())
    weights, surfaces = [], []
    for t in texts:
        if is_chinese(t[0]):
            weights.append(chinese_phrases(*t))
            surfaces.append({})
        else:
            weights.append(next(parsed))
            surfaces.append(next(written))
    return weights, surfaces


def as_written(phrases: Sequence[str], surfaces: Counter) -> list[str]:
    """Phrases in the form the theme's practices write them most often (ties: alphabetical), duplicates
    dropped ("party organizations in private firms" for "party organization in private firm")."""
    out: list[str] = []
    for phrase in phrases:
        forms = surfaces.get(phrase)
        shown = min(forms, key=lambda f: (-forms[f], f)) if forms else phrase
        if shown not in out:
            out.append(shown)
    return out


def fallback_label(headline: str) -> str:
    """A theme without a single candidate phrase: the start of its most typical headline, cut short."""
    text = normalize_text(headline)
    if is_chinese(text):
        return re.split(r"[，。；：、,;:]", text, maxsplit=1)[0][:MAX_LABEL_CHARS_ZH]
    return " ".join(text.split()[:MAX_LABEL_WORDS]).rstrip(" ,;:.").lower()
