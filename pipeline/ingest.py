"""Ingestion: files -> cleaned text + title + language + sections + content id (a ``Report``).

This module owns reading files (encoding detection, PDF, DOCX, HTML), the structure recovered from the
cleaned text (headings of every style, including headings run into a paragraph, and the sections they
open) and the public ingestion API. Character, chrome, page-furniture, table-of-contents and paragraph
rules live in ``pipeline.cleaning``; keyword lexicons live in ``pipeline/data/ingest/``.

The cleaned text is the single coordinate system: every ``Section.span`` points into ``Report.text``.
"""
from __future__ import annotations

import bisect
import hashlib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

from .cleaning import (
    CJK_CHARACTER,
    Block,
    Line,
    Vocabulary,
    assemble_blocks,
    is_cjk,
    load_json,
    markdown_lines,
    normalize_characters,
    plain_lines,
    sentence_starters,
    strip_chrome,
    strip_page_furniture,
    strip_table_of_contents,
    tidy_block_text,
)
from .records import Report, Section

__all__ = [
    "SUPPORTED_SUFFIXES",
    "IngestError",
    "iter_input_files",
    "read_document",
    "clean_text",
    "ingest_file",
    "ingest_text",
    "report_id",
    "detect_language",
]

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
FORMATS = ("text", "markdown", "html", "pdf", "docx")
_FORMAT_BY_SUFFIX = {
    ".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
    ".pdf": "pdf", ".docx": "docx",
}

PathLike = Union[str, Path]


class IngestError(Exception):
    """A file that cannot be ingested; ``str(e)`` is one line: 'PATH: reason'."""

    def __init__(self, path: PathLike, reason: str):
        self.path = str(path)
        self.reason = " ".join(str(reason).split())  # one line, whatever the library said
        super().__init__(f"{self.path}: {self.reason}")

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# ==================================================================================================
# Finding and reading files


def iter_input_files(paths: Iterable[PathLike]) -> Iterator[Path]:
    """Files named directly (whatever their suffix, so the caller can report unsupported ones) and the
    supported files under named folders, recursively, in sorted order."""
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                        found.append(Path(root) / name)
            yield from sorted(found)
        else:
            yield path


def read_document(path: PathLike) -> tuple[str, str]:
    """(decoded raw text, format). HTML comes back as HTML, PDF pages joined by form feeds, DOCX as
    markdown-style text (headings marked with #). Raises IngestError."""
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = _FORMAT_BY_SUFFIX.get(suffix)
    if fmt is None:
        raise IngestError(path, f"unsupported file type {suffix or '(no suffix)'}")
    if path.is_dir():
        raise IngestError(path, "is a directory, not a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(path, "file not found") from None
    except PermissionError:
        raise IngestError(path, "cannot read file: permission denied") from None
    except OSError as exc:
        raise IngestError(path, f"cannot read file: {exc.strerror or exc}") from None
    if not data:
        raise IngestError(path, "empty file")
    if fmt == "pdf":
        text = _read_pdf(path, data)
    elif fmt == "docx":
        text = _read_docx(path, data)
    else:
        text = decode_bytes(data, path)
    if not text.strip():
        raise IngestError(path, "empty file (whitespace only)" if fmt not in ("pdf", "docx") else "no text in file")
    return text, fmt


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_bytes(data: bytes, path: PathLike = "<bytes>") -> str:
    """Bytes to text: BOM, then strict UTF-8, then UTF-16 without BOM, then charset-normalizer.
    Binary data (control characters or undecodable bytes where text should be) raises IngestError."""
    text, encoding = _decode_with_detection(data, path)
    sample = text[:100_000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\n\r\t\f") or ch == "\x7f")
    if sample and bad / len(sample) > 0.02:
        raise IngestError(path, f"binary file, not text (control bytes as {encoding})")
    return text


def _decode_with_detection(data: bytes, path: PathLike) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), encoding
    if b"\x00" not in data[:65536]:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    utf16 = _guess_utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    if b"\x00" in data[:65536]:
        raise IngestError(path, "binary file, not text")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:2_000_000]).best()
    if best is None or best.encoding is None:
        raise IngestError(path, "binary file, not text (no text encoding fits)")
    encoding = _widen_encoding(best.encoding)
    if encoding in _LATIN_SINGLE_BYTE and _decodes(data, "cp1252"):
        # charset-normalizer cannot tell Western code pages apart on short texts ('naļve' in cp1257);
        # cp1252 is by far the most common of them
        encoding = "cp1252"
    return data.decode(encoding, errors="replace"), encoding


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _widen_encoding(encoding: str) -> str:
    """GB2312/GBK guesses decode as GB18030 (a superset), Latin-1 guesses as cp1252 (curly quotes)."""
    name = encoding.lower().replace("-", "_")
    if name in ("gb2312", "gbk", "cp936", "hz"):
        return "gb18030"
    if name in ("latin_1", "iso8859_1", "iso_8859_1", "ascii"):
        return "cp1252"
    return name


def _guess_utf16_without_bom(data: bytes) -> Optional[str]:
    """Mostly-ASCII UTF-16 shows NUL in every other byte; mostly-Chinese UTF-16 decodes to Han characters
    (U+4E00..U+9FFF), which GB18030 bytes read as UTF-16 do not (they land in Hangul and beyond)."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:20000]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    # In UTF-16 CJK text every other byte is arbitrary, so well over a tenth of all bytes are >= 0x80;
    # ASCII or Latin text (whose letter pairs also read as Han characters in UTF-16) has almost none.
    if sum(byte >= 0x80 for byte in sample) < 0.1 * len(sample):
        return None
    best, best_share = None, 0.0
    for encoding in ("utf-16-le", "utf-16-be"):
        text = sample.decode(encoding, errors="replace")
        visible = [ch for ch in text if not ch.isspace()]
        if not visible:
            continue
        share = sum(0x4E00 <= ord(ch) <= 0x9FFF or ch in _CJK_PUNCTUATION for ch in visible) / len(visible)
        if share > best_share:
            best, best_share = encoding, share
    return best if best_share >= 0.8 else None


_CJK_PUNCTUATION = frozenset("，。、；：？！“”‘’（）《》【】—…·")
_LATIN_SINGLE_BYTE = frozenset({
    "cp1250", "cp1254", "cp1257", "cp1258", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10",
    "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "mac_roman", "mac_latin2", "mac_iceland",
    "mac_turkish", "latin_1", "cp850", "cp437", "cp858",
})


def _read_pdf(path: Path, data: bytes) -> str:
    import io

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # font warnings would flood stderr
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise IngestError(path, "cannot read PDF: encrypted") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise IngestError(path, f"cannot read PDF: {type(exc).__name__}: {exc}") from None
    if not any(page.strip() for page in pages):
        raise IngestError(path, "cannot read PDF: no extractable text (scanned or empty)")
    return "\f".join(pages)


def _read_docx(path: Path, data: bytes) -> str:
    import io

    try:
        import docx
        from docx.oxml.ns import qn

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise IngestError(path, f"cannot read DOCX: {type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    try:
        body = document.element.body
        paragraph_by_element = {p._p: p for p in document.paragraphs}
        table_by_element = {t._tbl: t for t in document.tables}
        for child in body.iterchildren():
            if child.tag == qn("w:p") and child in paragraph_by_element:
                lines.extend(_docx_paragraph_lines(paragraph_by_element[child]))
            elif child.tag == qn("w:tbl") and child in table_by_element:
                for row in table_by_element[child].rows:
                    cells = [" ".join(cell.text.split()) for cell in row.cells]
                    lines.append("| " + " | ".join(cells) + " |")
                lines.append("")
    except Exception as exc:
        raise IngestError(path, f"cannot read DOCX: {type(exc).__name__}: {exc}") from None
    return "\n".join(lines)


def _docx_paragraph_lines(paragraph) -> list[str]:
    text = paragraph.text.strip()
    if not text:
        return []
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    m = re.match(r"heading\s*(\d)", style, re.IGNORECASE)
    if style.lower() == "title":
        return ["# " + " ".join(text.split()), ""]
    if m:
        return ["#" * min(6, int(m.group(1)) + 1) + " " + " ".join(text.split()), ""]
    if "list" in style.lower():
        return ["- " + text]
    return [text, ""]


# ==================================================================================================
# HTML -> markdown-style lines

_HTML_BLOCK_TAGS = frozenset(
    "address article blockquote body caption dd div dl dt fieldset figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "li main ol p pre section table tbody thead tfoot tr ul center".split()
)
_HTML_CELL_TAGS = frozenset({"td", "th"})


def html_to_markdown(html: str) -> tuple[str, Optional[str]]:
    """(markdown-style text of the page's content, page title). Chrome elements are dropped first."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title = None
    h1 = tree.css_first("h1")
    if h1 is not None and h1.text(strip=True):
        title = " ".join(h1.text().split())
    else:
        title_node = tree.css_first("title")
        if title_node is not None and title_node.text(strip=True):
            title = _strip_site_name(" ".join(title_node.text().split()))

    chrome = load_json("chrome.json")
    for tag in chrome["html_drop_tags"]:
        for node in tree.css(tag):
            node.decompose()
    fragments = tuple(chrome["html_drop_class_id_fragments"])
    for node in tree.css("[class], [id]"):
        if node.tag in ("html", "body", "main", "article"):
            continue
        marker = ((node.attributes.get("class") or "") + " " + (node.attributes.get("id") or "")).lower()
        if any(fragment in marker for fragment in fragments):
            node.decompose()

    root = tree.body or tree.root
    lines: list[str] = []
    buffer: list[str] = []
    prefix = [""]

    def flush() -> None:
        text = " ".join("".join(buffer).split())
        if text:
            lines.append(prefix[0] + text)
        buffer.clear()
        prefix[0] = ""

    if root is None:
        return "", title
    # Iterative walk (deeply nested broken pages would overflow recursion): ("enter", node) / ("exit", node)
    stack: list[tuple[str, object]] = [("enter", child) for child in reversed(list(root.iter(include_text=True)))]
    while stack:
        action, node = stack.pop()
        tag = node.tag
        if action == "exit":
            if tag in _HTML_BLOCK_TAGS:
                flush()
                if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol"):
                    lines.append("")
            elif tag in _HTML_CELL_TAGS:
                buffer.append(" | ")
            continue
        if tag == "-text":
            buffer.append(node.text(deep=False) or "")
            continue
        if tag in ("br",):
            flush()
            continue
        if tag in ("script", "style", "noscript", "template", "-comment"):
            continue
        if tag in _HTML_BLOCK_TAGS:
            flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                prefix[0] = "#" * int(tag[1]) + " "
            elif tag == "li":
                prefix[0] = "- "
        stack.append(("exit", node))
        stack.extend(("enter", child) for child in reversed(list(node.iter(include_text=True))))
    flush()
    cleaned = [line.rstrip(" |") if "|" in line else line for line in lines]
    return "\n".join(cleaned), title


def _strip_site_name(title: str) -> str:
    for separator in (" | ", " - ", " – ", " — ", " _ ", "_"):
        if separator in title:
            return max(title.split(separator), key=len).strip()
    return title


# ==================================================================================================
# Cleaning


@dataclass
class CleanedDocument:
    """The cleaned text with the blocks it was rendered from (``offsets[i]`` is block i's span in
    ``text``) and the title clues cleaning found on the way."""

    text: str
    blocks: list[Block]
    offsets: list[tuple[int, int]]  # span of each block in text
    header_titles: list[str] = field(default_factory=list)
    explicit_title: Optional[str] = None
    fmt: str = "text"


def clean_text(raw: str, fmt: str = "text") -> str:
    """The cleaned text of a decoded document (see ``read_document`` for what each format holds)."""
    return clean_document(raw, fmt).text


def clean_document(raw: str, fmt: str = "text") -> CleanedDocument:
    """Characters -> lines (markup read) -> chrome, contents and page furniture dropped -> paragraphs
    -> word repairs -> run-in and pattern headings -> one text with block offsets."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    explicit_title = None
    text = normalize_characters(raw)
    if fmt == "html":
        text, explicit_title = html_to_markdown(text)
        text = normalize_characters(text)
    if fmt in ("markdown", "html", "docx"):
        lines = markdown_lines(text.replace("\f", "\n"))
    else:
        lines = plain_lines(text)
    if fmt != "pdf":
        lines = strip_chrome(lines)
    # contents entries end in page numbers too: take them out before looking for running headers
    lines = strip_table_of_contents(lines)
    lines, header_keys = strip_page_furniture(lines)

    raw_words = " ".join(line.text for line in lines)
    vocabulary = Vocabulary.from_text(raw_words)
    blocks = assemble_blocks(lines, vocabulary)
    repair_words = _looks_pdf_derived(lines, fmt)
    for block in blocks:
        if not block.is_table_row:
            block.text = tidy_block_text(block.text, vocabulary, repair_words)
    blocks = [block for block in blocks if block.text]

    title_hint = explicit_title or _first_substantial_text(blocks)
    blocks = split_run_in_headings(blocks, title_hint)
    mark_pattern_headings(blocks, fmt)
    blocks = drop_heading_echoes(blocks)
    if fmt == "html" and explicit_title and not any(
            b.heading_depth is not None and b.text == explicit_title for b in blocks[:5]):
        blocks.insert(0, Block(explicit_title, heading_depth=1, heading_source="html-title"))

    text, offsets = render_blocks(blocks)
    header_titles = [key for key in dict.fromkeys(header_keys) if any(ch.isalpha() for ch in key)]
    return CleanedDocument(text, blocks, offsets, header_titles, explicit_title, fmt)


def _looks_pdf_derived(lines: list[Line], fmt: str) -> bool:
    """Split-word repair is for text that went through PDF extraction: real PDFs, and text files with
    hard-wrapped lines (most lines of similar, moderate length)."""
    if fmt in ("pdf", "docx", "html"):
        return fmt == "pdf"
    lengths = [len(line.text) for line in lines if line.text.strip()]
    if len(lengths) < 20:
        return True  # too short to tell; the repair is conservative
    wrapped = sum(20 <= n <= 130 for n in lengths)
    return wrapped >= 0.6 * len(lengths)


def render_blocks(blocks: list[Block]) -> tuple[str, list[tuple[int, int]]]:
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    position = 0
    for index, block in enumerate(blocks):
        if index:
            separator = "\n\n" if block.gap_before or block.heading_depth is not None or \
                blocks[index - 1].heading_depth is not None else "\n"
            parts.append(separator)
            position += len(separator)
        parts.append(block.text)
        offsets.append((position, position + len(block.text)))
        position += len(block.text)
    return "".join(parts), offsets


def _first_substantial_text(blocks: list[Block]) -> Optional[str]:
    for block in blocks[:30]:
        if _is_substantial_title(block.text):
            return block.text
    return None


# ==================================================================================================
# Headings run into a paragraph

_ROMAN_PART = re.compile(r"([IVX]{1,5})\.\s+(?=[A-Z])")
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}
_ORDINAL_PART = re.compile(r"(First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth)(?:ly)?,\s+")
_SENTENCE_END = re.compile(r"[.!?](?=[\"”’)]*\s)")
_WORD = re.compile(r"\S+")
_NOT_A_SENTENCE_END = re.compile(r"[IVX]{1,5}|[A-Z]|(?:[A-Z]\.)+[A-Z]|Mr|Mrs|Ms|Dr|No|Nos|Art|St|vs|etc|e\.g|i\.e|Fig")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman_to_int(numeral: str) -> int:
    total = 0
    previous = 0
    for ch in reversed(numeral.upper()):
        value = _ROMAN_VALUES.get(ch, 0)
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total


@dataclass
class _RunIn:
    start: int  # offset in the paragraph
    end: int
    level: int
    number: Optional[int] = None


def split_run_in_headings(blocks: list[Block], title: Optional[str]) -> list[Block]:
    """Put headings that a conversion ran into the body paragraph on their own lines.

    '... inspired ideas. I. Strengthening the basic situation ... Province The basic situation of ...
    Province Since the reform ...' becomes the paragraph up to 'ideas.', a level-1 heading, a level-2
    heading and the paragraph from 'Since'. A run-in heading starts a sentence, has no sentence-final
    punctuation and ends where a capitalised sentence opener ('Since the', 'In the') follows. It is
    accepted when it carries a part marker (I., II., ...; an ordinal word only when it continues the
    numbering of the part markers) or a section-kind keyword.
    """
    out: list[Block] = []
    part_numbers_seen: list[int] = []
    any_top_level = False
    for block in blocks:
        if block.heading_depth is not None or block.is_table_row or len(block.text) < 200 or \
                _cjk_share(block.text[:200]) > 0.3:
            out.append(block)
            continue
        headings = _find_run_in_headings(block.text, title, part_numbers_seen, any_top_level)
        if not headings:
            out.append(block)
            continue
        cursor = 0
        first_piece = True
        for heading in headings:
            before = block.text[cursor:heading.start].strip()
            if before:
                out.append(Block(before, gap_before=block.gap_before if first_piece else True))
                first_piece = False
            heading_text = block.text[heading.start:heading.end].strip()
            if heading.level == 0:  # the title repeated at the head of the body: own line, not a section
                out.append(Block(heading_text, gap_before=True))
            else:
                out.append(Block(heading_text, heading_depth=heading.level, heading_source="runin"))
                any_top_level = any_top_level or heading.level == 1
            first_piece = False
            cursor = heading.end
        rest = block.text[cursor:].strip()
        if rest:
            out.append(Block(rest, gap_before=True))
    return out


def _sentence_ends(text: str, start: int = 0) -> Iterator[int]:
    for m in _SENTENCE_END.finditer(text, start):
        word_start = text.rfind(" ", 0, m.start()) + 1
        if _NOT_A_SENTENCE_END.fullmatch(text[word_start:m.start()]):
            continue  # 'I.' opens a part, 'U.S.' and 'Mr.' do not end a sentence
        yield m.end()


def _sentence_starts(text: str) -> Iterator[int]:
    yield 0
    for position in _sentence_ends(text):
        while position < len(text) and text[position] in "\"”’) ":
            position += 1
        if position < len(text):
            yield position


def _find_run_in_headings(text: str, title: Optional[str], part_numbers_seen: list[int],
                          any_top_level: bool) -> list[_RunIn]:
    found: list[_RunIn] = []
    # Every run-in heading ends at a capitalised opener inside a sentence; paragraphs without one (nearly
    # all of them) are done after a single regex pass.
    openers = [m.start() for m in _opener_pattern().finditer(text)]
    if not openers:
        return found
    title_words = _word_set(title) if title else set()
    for start in _sentence_starts(text):
        if found and start < found[-1].end:
            continue
        segment_end = _next_sentence_end(text, start)
        first_opener = bisect.bisect_right(openers, start)
        if first_opener >= len(openers) or openers[first_opener] >= segment_end:
            continue
        segment = text[start:segment_end]
        roman = _ROMAN_PART.match(segment)
        ordinal = _ORDINAL_PART.match(segment)
        marker_end = roman.end() if roman else ordinal.end() if ordinal else 0
        splits = []
        for position in openers[first_opener:bisect.bisect_left(openers, segment_end)]:
            if segment.count(" ", marker_end, position - start) >= 2:  # at least two words of heading
                splits.append(position - start)
        if not splits:
            continue
        head = segment[:splits[0]].rstrip()
        head_body = head[marker_end:]
        if not _is_heading_phrase(head_body):
            continue
        kind = section_kind(head_body)
        number: Optional[int] = None
        level = 0
        if roman:
            number = roman_to_int(roman.group(1))
            level = 1
        elif ordinal:
            number = _ORDINAL_WORDS[ordinal.group(1).lower()]
            continues_parts = bool(part_numbers_seen) and number == part_numbers_seen[-1] + 1
            if continues_parts or (kind and len(head_body.split()) <= 8 and "," not in head_body):
                level = 1
        elif kind and len(head_body.split()) <= 25:
            level = 2 if (any_top_level or found or part_numbers_seen) else 1
        elif start == 0 and title_words and _similar(_word_set(head), title_words):
            level = 0
            found.append(_RunIn(start, start + len(head), 0))
            continue
        if not level:
            continue
        if number is not None:
            part_numbers_seen.append(number)
        found.append(_RunIn(start, start + len(head), level, number))
        # a second run-in heading right after the first ('I. Part ... Province The basic situation of ... Province Since')
        second_start = start + splits[0]
        if len(splits) >= 2:
            sub = segment[splits[0]:splits[1]].rstrip()
            if _is_heading_phrase(sub) and section_kind(sub) and len(sub.split()) <= 25:
                found.append(_RunIn(second_start, second_start + len(sub), min(level + 1, 6)))
    return found


def _next_sentence_end(text: str, start: int) -> int:
    return next(_sentence_ends(text, start), len(text))


@lru_cache(maxsize=1)
def _opener_pattern() -> re.Pattern:
    """A capitalised sentence opener followed by a lower-case word, or an enumeration opener ("First,",
    "1. Set up"), not right after a sentence end: "III. Suggestions for our city First, formulate ..."."""
    words = "|".join(sorted((re.escape(w) for w in sentence_starters()), key=len, reverse=True))
    ordinals = ("First|Firstly|Second|Secondly|Third|Thirdly|Fourth|Fourthly|Fifth|Sixth|Seventh|Eighth|"
                "Ninth|Tenth|Finally|Lastly")
    return re.compile(rf"(?<=[^\s.!?。] )(?:(?:{words})(?= [a-z])|(?:{ordinals})(?=, [a-z])|\d{{1,2}}\.(?= [A-Z]))")


def _is_heading_phrase(text: str) -> bool:
    stripped = text.strip()
    words = stripped.split()
    if not 1 <= len(words) <= 30 or len(stripped) > 250:
        return False
    if any(mark in stripped for mark in (":", ";", "?", "!", "“", "\"", "(")):
        return False
    if words[-1].lower() in ("the", "a", "an", "of", "and", "or", "to", "in", "for", "with", "by"):
        return False
    return True


def _word_set(text: Optional[str]) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text or "")}


def _similar(a: set[str], b: set[str]) -> bool:
    return bool(a) and bool(b) and len(a & b) / len(a | b) >= 0.6


# ==================================================================================================
# Headings on their own lines

_CHAPTER = re.compile(
    r"(?:chapter|part|section|appendix|annex|annexe|schedule)\s+(?:\d{1,2}|[ivxlc]{1,6}|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"\s*[:.\-–—]?", re.IGNORECASE)
_ROMAN_HEADING = re.compile(r"[IVXLC]{1,6}\.\s+\S")
_CJK_LEVEL1 = re.compile(r"(?:[一二三四五六七八九十百]+、|第[一二三四五六七八九十百\d]+[章部分篇])")
_CJK_LEVEL2 = re.compile(r"[（(][一二三四五六七八九十百]+[）)]")
_CAPTIONS = re.compile(r"(?:figure|fig\.|table|box|chart|source|sources|note|notes|exhibit|q\s?\d)\b", re.IGNORECASE)


def mark_pattern_headings(blocks: list[Block], fmt: str) -> None:
    """Flag blocks that are headings by their form: 'Chapter 8: ...', 'III. ...', '一、', '（一）',
    upper-case keyword headings and, in plain/PDF text, short title-like lines between paragraphs."""
    plain = fmt in ("text", "pdf")
    # a line that repeats (the start of) a marked-up heading is that heading's running header
    marked_prefixes: set[str] = set()
    for block in blocks:
        if block.heading_source in ("markdown", "html-title"):
            words = block.text.casefold().split()
            marked_prefixes.update(" ".join(words[:n]) for n in range(1, min(len(words), 30) + 1))
    for index, block in enumerate(blocks):
        if block.heading_depth is not None or block.is_table_row:
            continue
        text = block.text
        if len(text) <= 160 and marked_prefixes and " ".join(text.casefold().split()) in marked_prefixes:
            continue
        if len(text) <= 160 and _CHAPTER.match(text) and not text.endswith((":", ".", ",")):
            block.heading_depth, block.heading_source = 1, "chapter"
        elif len(text) <= 160 and _ROMAN_HEADING.match(text) and not text.endswith("."):
            block.heading_depth, block.heading_source = 1, "roman"
        elif _CJK_LEVEL1.match(text):
            block.heading_depth, block.heading_source = 1, "cjk"
        elif _CJK_LEVEL2.match(text):
            block.heading_depth, block.heading_source = 2, "cjk"
        elif plain and _is_upper_keyword_heading(text):
            block.heading_depth, block.heading_source = 1, "caps"
        elif len(text) <= 80 and _is_title_like_line(blocks, index) and (plain or section_kind(text)):
            # in markdown, plain-line headings need a keyword ('Conclusions'): bullets look alike
            block.heading_depth, block.heading_source = (2 if plain else 8), "line"
    _unmark_front_matter_lines(blocks)


_STRONG_HEADING_SOURCES = frozenset({"markdown", "chapter", "roman", "cjk", "caps", "runin", "html-title"})


def _unmark_front_matter_lines(blocks: list[Block]) -> None:
    """Short lines before the first real heading of a structured report are its cover and imprint
    ('HL Paper 190', 'Contact details', member lists), not sections; upper-case ones ('SUMMARY') stay."""
    first_strong = next((i for i, b in enumerate(blocks) if b.heading_source in _STRONG_HEADING_SOURCES), None)
    if first_strong is None:
        return
    for block in blocks[:first_strong]:
        if block.heading_source == "line" and not _mostly_upper_text(block.text):
            block.heading_depth, block.heading_source = None, ""


def _mostly_upper_text(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and sum(ch.isupper() for ch in letters) >= 0.9 * len(letters)


def drop_heading_echoes(blocks: list[Block]) -> list[Block]:
    """PDF conversions repeat a heading's first words just before it ('Appendix II: De', then
    'Appendix II: Department of Agriculture Retrospective Reviews'); keep only the full heading."""
    keep = [True] * len(blocks)
    for index, block in enumerate(blocks):
        if block.heading_depth is None and not _CHAPTER.match(block.text):
            continue
        key = block.text.casefold()
        for later in blocks[index + 1:index + 4]:
            if later.heading_depth is not None and len(later.text) > len(block.text) and \
                    later.text.casefold().startswith(key):
                keep[index] = False
                break
    return [block for block, kept in zip(blocks, keep) if kept]


def _is_upper_keyword_heading(text: str) -> bool:
    if len(text) > 100 or len(text.split()) > 12:
        return False
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 4:
        return False
    if sum(ch.isupper() for ch in letters) < 0.9 * len(letters) or text.rstrip().endswith(("." ",")):
        return False
    return section_kind(text) is not None


def _is_title_like_line(blocks: list[Block], index: int) -> bool:
    text = blocks[index].text
    words = text.split()
    if not 1 <= len(words) <= 10 or len(text) > 80 or blocks[index].is_list_item:
        return False
    if not text[0].isupper() or text.rstrip()[-1] in ".,;:!?)…-–—" or _CAPTIONS.match(text):
        return False
    if sum(ch.isalpha() for ch in text) < 4 or any(ch.isdigit() for ch in text[:1]):
        return False
    if "http" in text or "@" in text or "www." in text:
        return False
    if any(ch.isdigit() for ch in text):
        return False  # list entries and codes ('ADS Group SPA0026'), not headings
    previous = blocks[index - 1] if index else None
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if following is None or following.heading_depth is not None:
        return False
    if len(following.text) < 60 and not following.is_list_item and not following.text[:1].isdigit():
        # a heading opens a paragraph; a run of short lines is a list (unless this heads a sub-heading)
        after = blocks[index + 2] if index + 2 < len(blocks) else None
        if after is None or len(following.text.split()) > 10 or len(after.text) < 60:
            return False
    if previous is not None and previous.heading_depth is None:
        prev_text = previous.text.rstrip().rstrip("\"'”’")
        if not prev_text.endswith((".", "!", "?", ":", "。", ")")) and not previous.is_table_row:
            return False
    nxt = following.text.lstrip()
    return bool(nxt) and (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "“\"•")


# ==================================================================================================
# Sections, title, language, type, id


_KIND_PATTERNS: Optional[list[tuple[str, re.Pattern]]] = None


def _kind_lexicon() -> list[tuple[str, re.Pattern]]:
    global _KIND_PATTERNS
    if _KIND_PATTERNS is None:
        data = load_json("section_kinds.json")
        patterns = []
        for kind in data["order"]:
            english = [k for k in data["keywords"][kind] if not any(is_cjk(ch) for ch in k)]
            chinese = [k for k in data["keywords"][kind] if any(is_cjk(ch) for ch in k)]
            alternatives = [r"\b" + re.escape(k) + r"\b" for k in sorted(english, key=len, reverse=True)]
            alternatives += [re.escape(k) for k in sorted(chinese, key=len, reverse=True)]
            patterns.append((kind, re.compile("|".join(alternatives), re.IGNORECASE)))
        _KIND_PATTERNS = patterns
    return _KIND_PATTERNS


_LONG_HEADING_WORDS = 8
_HEADING_NUMBER = re.compile(r"^\s*(?:(?:chapter|part|section|appendix)\s+[\w.]+\s*[:.–—-]?|[IVXLC]+\.|\d+(?:\.\d+)*\.?)\s*",
                             re.IGNORECASE)


def section_kind(heading: str) -> Optional[str]:
    """The kind a heading names, from the keyword lexicon; None when no keyword matches.

    A long, sentence-like English heading ("Implementing GAO's Recommendations Can Help DOD Address ...")
    names a findings or recommendations part only when it starts with the keyword: otherwise it is a
    chapter about them, not the list of them.
    """
    for kind, pattern in _kind_lexicon():
        match = pattern.search(heading)
        if not match:
            continue
        if kind in ("findings", "recommendations") and long_sentence_heading(heading, match.start()):
            continue
        return kind
    return None


def long_sentence_heading(heading: str, keyword_at: Optional[int] = None) -> bool:
    """A long English heading that reads as a sentence, with its kind keyword (at ``keyword_at``, or
    anywhere when not given) past its start: such a heading is a chapter about findings or
    recommendations, not the list of them."""
    if len(heading.split()) <= _LONG_HEADING_WORDS or CJK_CHARACTER.search(heading):
        return False
    lead = _HEADING_NUMBER.match(heading)
    start = lead.end() if lead else 0
    if keyword_at is not None:
        return keyword_at > start
    return not re.match(r"(?:summary of |what gao )?(?:conclusions?|recommendations?|findings?|suggestions?|lessons?)\b",
                        heading[start:], re.IGNORECASE)


def _heading_text(block: Block) -> tuple[str, int]:
    """(heading shown in Section.heading, length of the heading within the block). Chinese numbered
    paragraphs run their heading into the first sentence: '（一）坚持...创新。邓小平理论...'."""
    text = block.text
    if block.heading_source == "cjk" and len(text) > 40:
        for mark in ("。", "：", "；"):
            cut = text.find(mark)
            if 0 < cut <= 80:
                return text[:cut], cut + 1
    return text, len(text)


def build_sections(doc: CleanedDocument, title: str) -> list[Section]:
    """Sections from the heading blocks. Levels follow the actual nesting of heading depths (a deeper
    heading is a child of the nearest shallower one before it), so markdown that skips levels
    ('##' then '####') still gives levels 1, 2; a thematic break closes every open section."""
    headings: list[tuple[int, int, int, str, int]] = []  # (start, heading_end, depth, heading, block index)
    title_key = " ".join(title.split()).casefold()
    title_skipped = False
    for index, (block, (start, end)) in enumerate(zip(doc.blocks, doc.offsets)):
        if block.heading_depth is None:
            continue
        heading, length = _heading_text(block)
        if not title_skipped and not headings and block.heading_source in ("markdown", "html-title") and \
                " ".join(heading.split()).casefold() == title_key:
            title_skipped = True  # the title heading would otherwise swallow the whole report
            continue
        headings.append((start, start + length, block.heading_depth, heading, index))
    if not headings:
        return []
    break_ends = [end for block, (_, end) in zip(doc.blocks, doc.offsets) if block.before_break]
    text = doc.text
    # One pass over headings and breaks in text order: a heading closes the open sections of its level
    # or deeper, a break closes all of them. Linear, however many sections a big file has.
    levels: list[int] = []
    ends: list[int] = [len(text)] * len(headings)
    open_sections: list[tuple[int, int, int]] = []  # (depth, level, heading index)
    break_index = 0
    for index, (start, _, depth, _, _) in enumerate(headings):
        while break_index < len(break_ends) and break_ends[break_index] <= start:
            for _, _, open_index in open_sections:
                ends[open_index] = min(ends[open_index], break_ends[break_index])
            open_sections.clear()
            break_index += 1
        while open_sections and open_sections[-1][0] >= depth:
            ends[open_sections.pop()[2]] = start
        level = len(open_sections) + 1
        levels.append(level)
        open_sections.append((depth, level, index))
    while break_index < len(break_ends):
        for _, _, open_index in open_sections:
            ends[open_index] = min(ends[open_index], break_ends[break_index])
        open_sections.clear()
        break_index += 1
    sections: list[Section] = []
    for index, (start, heading_end, _, heading, _) in enumerate(headings):
        end = ends[index]
        while end > heading_end and text[end - 1].isspace():
            end -= 1
        sections.append(Section(heading=heading.strip(), level=levels[index], kind=section_kind(heading) or "other",
                                span=(start, max(end, heading_end)), heading_span=(start, heading_end)))
    return sections


def choose_title(doc: CleanedDocument, fallback: str) -> str:
    """The report's title: an explicit title (first markdown/HTML level-1 heading), else the running
    page header when the front matter spells it out, else the first substantial line."""
    if doc.explicit_title:
        return doc.explicit_title
    for block in doc.blocks[:40]:
        if block.heading_depth is not None and block.heading_source == "markdown" and block.heading_depth == 1:
            return block.text
    texts = [block.text for block in doc.blocks[:120]]
    for header in doc.header_titles:
        wanted = _title_key(header)
        for i in range(len(texts)):
            joined = texts[i]
            for j in range(i + 1, min(i + 3, len(texts)) + 1):
                if _title_key(joined) == wanted:
                    return " ".join(joined.split())
                if j < len(texts):
                    joined = joined + " " + texts[j]
    for block in doc.blocks[:40]:
        if _is_substantial_title(block.text):
            return _shorten(block.text)
    return fallback


def _title_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip().strip("#").strip()


def _is_substantial_title(text: str) -> bool:
    stripped = text.strip()
    if len(stripped) > 300 or "http" in stripped[:30] or stripped.startswith(("来源", "Source:", "source:")):
        return False
    cjk = sum(is_cjk(ch) for ch in stripped)
    return cjk >= 4 or len(re.findall(r"[A-Za-z]{2,}", stripped)) >= 2


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 40 else limit].rstrip(" ,;:") + "…"


_LETTER = re.compile(r"[^\W\d_]")


def _cjk_share(text: str) -> float:
    if not CJK_CHARACTER.search(text):
        return 0.0
    letters = len(_LETTER.findall(text))
    return len(CJK_CHARACTER.findall(text)) / letters if letters else 0.0


_LATIN_STOPWORDS = {
    "en": set("the and of to in is that for with was are on as by be this it from".split()),
    "fr": set("le la les et des est une dans pour que qui sur du au avec pas".split()),
    "de": set("der die das und ist nicht mit den von zu ein eine für auf dem sich".split()),
    "es": set("el la los las y es que en por con para una del como se".split()),
}


def detect_language(text: str) -> str:
    """ISO 639-1 code from the script mix: Han -> 'zh', kana -> 'ja', Hangul -> 'ko', Cyrillic -> 'ru';
    Latin text -> the language whose stopwords are most frequent ('en' when unsure).

    Each CJK character counts as about a third of an English word's letters, so a Chinese report with
    English URLs and names is still 'zh'; samples of the start, middle and end keep it cheap on big files.
    """
    if len(text) > 300_000:
        middle = len(text) // 2
        text = text[:100_000] + text[middle - 50_000: middle + 50_000] + text[-100_000:]
    han = kana = hangul = cyrillic = latin = 0
    for ch in text:
        if ch.isascii():
            if ch.isalpha():
                latin += 1
            continue
        code = ord(ch)
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or code >= 0x20000:
            han += 1
        elif 0x3040 <= code <= 0x30FF:
            kana += 1
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            hangul += 1
        elif 0x0400 <= code <= 0x04FF:
            cyrillic += 1
        elif ch.isalpha():
            latin += 1
    cjk = han + kana + hangul
    if cjk and cjk * 3 >= latin:
        if kana >= 0.1 * cjk:
            return "ja"
        if hangul >= 0.3 * cjk:
            return "ko"
        return "zh"
    if cyrillic > latin:
        return "ru"
    words = re.findall(r"[a-zà-ÿ]+", text[:200_000].lower())
    if not words:
        return "en"
    scores = {lang: sum(1 for w in words if w in stops) for lang, stops in _LATIN_STOPWORDS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] > 1.2 * scores["en"] else "en"


def guess_report_type(title: str, text: str) -> Optional[str]:
    types = load_json("report_types.json")["types"]
    for haystack in (title.casefold(), text[:3000].casefold()):
        for name, keywords in types:
            if any(keyword.casefold() in haystack for keyword in keywords):
                return name
    return None


def report_id(cleaned_text: str) -> str:
    """Stable id of a report's content: the first 16 hex digits of the SHA-256 of its NFC text."""
    return hashlib.sha256(unicodedata.normalize("NFC", cleaned_text).encode("utf-8")).hexdigest()[:16]


# ==================================================================================================
# Public entry points


def ingest_text(text: str, source: str = "<text>", fmt: str = "text") -> Report:
    """A ``Report`` from a decoded string (``fmt`` as returned by ``read_document``)."""
    doc = clean_document(text, fmt)
    if not doc.text.strip():
        raise IngestError(source, "no text left after cleaning")
    fallback = Path(source).stem if source and not source.startswith("<") else "Untitled report"
    title = choose_title(doc, fallback)
    return Report(
        id=report_id(doc.text),
        source=str(source),
        title=title,
        language=detect_language(doc.text),
        report_type=guess_report_type(title, doc.text),
        text=doc.text,
        sections=build_sections(doc, title),
    )


def ingest_file(path: PathLike) -> Report:
    """Read, clean and structure one file. Raises IngestError for anything that is not a readable report."""
    raw, fmt = read_document(path)
    try:
        return ingest_text(raw, source=str(path), fmt=fmt)
    except IngestError:
        raise
    except (ValueError, RecursionError, MemoryError) as exc:  # never a traceback for one bad file
        raise IngestError(path, f"cannot ingest: {type(exc).__name__}: {exc}") from None
