"""Chinese noun phrases, the candidates of Chinese theme labels: runs of nominal words from jieba's
part-of-speech cut ("农村税费改革", "产品质量安全", "党组织书记"), never one practice's whole text.

Without jieba (an optional dependency), the same runs come from the character-bigram index of
:mod:`pipeline.tfidf`: clause fragments cut at function characters, each a candidate. Place names (jieba's
``ns``) and person names break a run: regions are a field, never a label.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

DATA = Path(__file__).resolve().parents[1] / "data" / "themes"
MIN_CHARS, MAX_CHARS = 2, 10
DETAIL_WEIGHT = 0.5
# jieba flags of words a noun phrase is made of (nouns, verbal nouns, idioms, abbreviations, distinguishers)
NOMINAL = frozenset({"n", "nz", "nt", "vn", "j", "l", "i", "an", "ng", "nl", "b", "g"})
CLAUSE = re.compile(r"[，。；：、,;:！？!?（）()“”\"《》\s]+")
# no jieba: fragments between function characters ("的", "和", ...) of a clause
FUNCTION_CHARS = re.compile(r"[的和与及等在是对把为了将从以并而或要]+")


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Words that neither name a theme alone nor start a phrase (``data/themes/generic_words_zh.txt``)."""
    lines = (DATA / "generic_words_zh.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


@lru_cache(maxsize=1)
def not_person_names() -> frozenset[str]:
    """Nouns jieba's dictionary tags as person names ("养老"; ``data/themes/not_person_names_zh.txt``)."""
    lines = (DATA / "not_person_names_zh.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


@lru_cache(maxsize=1)
def _posseg():
    import warnings

    try:
        with warnings.catch_warnings():  # jieba 0.42 imports the deprecated pkg_resources
            warnings.simplefilter("ignore")
            import jieba
            import jieba.posseg
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def has_segmenter() -> bool:
    return _posseg() is not None


def _runs(clause: str) -> list[list[str]]:
    """Runs of nominal words of one clause (jieba), or fragments cut at function characters."""
    posseg = _posseg()
    if posseg is None:
        return [[part] for part in FUNCTION_CHARS.split(clause) if part]
    runs: list[list[str]] = [[]]
    nouns = not_person_names()
    for pair in posseg.cut(clause):
        if (pair.flag in NOMINAL and not pair.flag.startswith(("ns", "nr"))) or pair.word in nouns:
            runs[-1].append(pair.word)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _phrases_of_run(run: list[str]) -> set[str]:
    """The run and its tails ("农村扶贫开发", "扶贫开发"): a Chinese noun phrase ends on its head, so a tail keeps
    the head and a cut-off start ("气候变化国家" of "气候变化国家方案") would lose it. No tail starts on a generic
    word ("大力发展", "工作"); a generic word may end one ("党建工作", "体制改革")."""
    generic = generic_words()
    out = set()
    for i in range(len(run)):
        phrase = "".join(run[i:])
        if run[i] in generic or len(phrase) < MIN_CHARS:
            continue
        if len(phrase) <= MAX_CHARS:
            out.add(phrase)
    return out


def chinese_phrases(text: str, head_chars: int | None = None) -> dict[str, float]:
    """Candidate label phrases of one Chinese practice with their weight (``DETAIL_WEIGHT`` in the detail)."""
    head_chars = len(text) if head_chars is None else head_chars
    phrases: dict[str, float] = {}
    at = 0
    for clause in CLAUSE.split(text):
        start = text.find(clause, at) if clause else at
        at = start + len(clause)
        weight = 1.0 if start < head_chars else DETAIL_WEIGHT
        for run in _runs(clause):
            for phrase in _phrases_of_run(run):
                phrases[phrase] = max(phrases.get(phrase, 0.0), weight)
    return phrases


def chinese_phrase_lists(texts: Sequence[tuple[str, int]]) -> list[dict[str, float]]:
    return [chinese_phrases(text, head) for text, head in texts]
