"""Spans of ``Report.text`` every structure stage shares: sentences, paragraphs, trimming, content words."""
from __future__ import annotations

import re

from pipeline.headlines import first_sentence_end
from pipeline.nlp import CHINESE

Span = tuple[int, int]

TOKEN = re.compile(r"[a-z0-9]+")
CJK = re.compile(f"{CHINESE.pattern}+")  # a run of Chinese characters
STOP = set("""a an the of in on at to for from by with and or but as is are was were be been being this that these
those it its their there they them we our us which who what when where how all any both each more most other some such
no not only same so than too very can will just should also into over under then about between through during before
after do does did have has had one two three first second third""".split())


def content_tokens(text: str) -> set[str]:
    """Content words cut to six letters; Chinese as character bigrams (cheap lexical overlap)."""
    words = {w[:6] for w in TOKEN.findall(text.lower()) if w not in STOP and len(w) > 1}
    for run in CJK.findall(text):
        words.update(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    return words


def sentence_of(text: str, pos: int, floor: int = 0) -> str:
    s = pos
    while s > floor and not (text[s - 1] in ".!?。！？\n" and (s >= len(text) or text[s] in " \n\t")):
        s -= 1
        if pos - s > 1500:
            break
    e = first_sentence_end(text, pos, min(len(text), pos + 3000))
    return text[s:e].strip()


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def paragraph_spans(text: str, start: int, end: int) -> list[Span]:
    """Paragraphs: blank-line blocks, split again at short lines that end a sentence (hard-wrapped PDF text)."""
    spans: list[Span] = []
    pos = start
    blocks = []
    for m in re.finditer(r"\n[ \t]*\n", text[start:end]):
        blocks.append((pos, start + m.start()))
        pos = start + m.end()
    blocks.append((pos, end))
    for bs, be in blocks:
        lines = []
        off = bs
        for line in text[bs:be].split("\n"):
            lines.append((off, off + len(line)))
            off += len(line) + 1
        width = max((e - s for s, e in lines), default=0)
        ps = bs
        for ls, le in lines:
            line = text[ls:le]
            ends_sentence = re.search(r"[.!?。！？:][\"”’)]*\s*$", line) is not None
            short = (le - ls) < 0.8 * width or line.endswith("  ")
            if width < 200 and ends_sentence and short or width >= 200:
                if le > ps:
                    spans.append((ps, le))
                ps = le + 1
        if be > ps:
            spans.append((ps, be))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def sentence_spans(text: str, s: int, e: int) -> list[Span]:
    spans = []
    pos = s
    while pos < e:
        end = first_sentence_end(text, pos, e)
        a, b = pos, end
        while a < b and text[a].isspace():
            a += 1
        if b > a:
            # "(Recommendation 1)" or "(Paragraph 53)" after a full stop belongs to the sentence before it
            if spans and re.fullmatch(r"\([^()]{1,40}\)[.]?", text[a:b].strip()):
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
        pos = end if end > pos else e
    return spans

