"""Ingestion: files -> cleaned text + title + language + sections + content id (a ``Report``).

This module is the entry point and runs the steps in order; each step lives in its own module:

- ``pipeline.reading``: finding files, decoding bytes, PDF and DOCX (``IngestError``)
- ``pipeline.webpages``: saved web pages to markdown-style text
- ``pipeline.characters``: mojibake, Unicode normalization, invisible characters
- ``pipeline.markup``: text to lines (markdown headings, bold lines, tables; page breaks)
- ``pipeline.chrome``: breadcrumbs and other site chrome
- ``pipeline.furniture``: running headers, page numbers, footnotes, tables of contents
- ``pipeline.paragraphs``: wrapped lines joined into paragraphs
- ``pipeline.words``: the ``Vocabulary``, dehyphenation and split-word repair
- ``pipeline.headings``: run-in headings and headings recognised by their form
- ``pipeline.sections``: section kinds, sections, title, report type
- ``pipeline.language``: language detection

Keyword lexicons live in ``pipeline/data/ingest/``. The cleaned text is the single coordinate system:
every ``Section.span`` points into ``Report.text``.
"""
from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from .blocks import Block, CleanedDocument, Line, render_blocks
from .characters import normalize_characters
from .chrome import strip_chrome
from .furniture import strip_page_furniture, strip_table_of_contents
from .headings import (drop_heading_echoes, mark_pattern_headings, split_headings_run_into_paragraphs,
                       split_run_in_headings)
from .language import detect_language
from .markup import markdown_lines, plain_lines
from .paragraphs import assemble_blocks, rejoin_interrupted_paragraphs
from .reading import FORMATS, SUPPORTED_SUFFIXES, IngestError, PathLike, iter_input_files, read_document
from .records import Report
from .sections import build_sections, choose_title, first_substantial_text, guess_report_type
from .webpages import html_to_markdown
from .words import Vocabulary, tidy_block_text

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

def clean_text(raw: str, fmt: str = "text") -> str:
    """The cleaned text of a decoded document (see ``read_document`` for what each format holds)."""
    return clean_document(raw, fmt).text


def clean_document(raw: str, fmt: str = "text", source: str = "<text>") -> CleanedDocument:
    """Characters -> lines (markup read) -> chrome, contents and page furniture dropped -> paragraphs
    -> word repairs -> run-in and pattern headings -> one text with block offsets. A page beyond the
    limits of ``pipeline.reading`` raises IngestError naming ``source``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    explicit_title = None
    text = normalize_characters(raw)
    if fmt == "html":
        text, explicit_title = html_to_markdown(text, source)
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
    if repair_words:
        # page breaks, footnotes and misplaced headings cut paragraphs only in text that was laid out on pages
        blocks = split_headings_run_into_paragraphs(blocks)
        blocks = rejoin_interrupted_paragraphs(blocks, vocabulary)
    for block in blocks:
        if not block.is_table_row:
            block.text = tidy_block_text(block.text, vocabulary, repair_words)
    blocks = [block for block in blocks if block.text]

    title_hint = explicit_title or first_substantial_text(blocks)
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


def report_id(cleaned_text: str) -> str:
    """Stable id of a report's content: the first 16 hex digits of the SHA-256 of its NFC text."""
    return hashlib.sha256(unicodedata.normalize("NFC", cleaned_text).encode("utf-8")).hexdigest()[:16]


def ingest_text(text: str, source: str = "<text>", fmt: str = "text") -> Report:
    """A ``Report`` from a decoded string (``fmt`` as returned by ``read_document``)."""
    doc = clean_document(text, fmt, source)
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
