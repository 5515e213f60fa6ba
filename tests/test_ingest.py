"""Tests for pipeline.ingest and pipeline.cleaning: one test per cleaning rule on small fixtures, bad inputs,
and integration tests on the model report and (when ../shared/corpus exists) the shared corpus."""
from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import (
    SUPPORTED_SUFFIXES,
    IngestError,
    clean_text,
    detect_language,
    ingest_file,
    ingest_text,
    iter_input_files,
    read_document,
    report_id,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
MODEL_REPORT = Path(__file__).parents[1] / "corpus" / "zhejiang-two-new-organizations.txt"
SHARED_CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus"

needs_corpus = pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="../shared/corpus is absent")


def top_level(report):
    return [s for s in report.sections if s.level == 1]


def assert_spans_consistent(report):
    for section in report.sections:
        start, end = section.span
        h_start, h_end = section.heading_span
        assert 0 <= start == h_start < h_end <= end <= len(report.text)
        assert report.text[h_start:h_end].startswith(section.heading[:10])


# --------------------------------------------------------------------------------------------------
# Public API shape


def test_supported_suffixes():
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


def test_ingest_error_is_one_line_with_path_and_reason(tmp_path):
    bad = tmp_path / "notes.xyz"
    bad.write_text("hello")
    with pytest.raises(IngestError) as info:
        read_document(bad)
    assert info.value.path == str(bad)
    assert info.value.reason == "unsupported file type .xyz"
    assert str(info.value) == f"{bad}: unsupported file type .xyz"
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------------
# Site chrome


def test_breadcrumb_and_recommended_articles_are_stripped_from_plain_text():
    report = ingest_text((FIXTURES / "runin_report.txt").read_text(encoding="utf-8"))
    assert "Home > Reports" not in report.text
    assert "recommended article" not in report.text.lower()
    assert "popular articles" not in report.text.lower()
    assert "Rural schools get new desks" not in report.text  # the link list after the tail marker
    assert report.text.startswith("Survey Report on Rural Library Services in the Northern Hills District")
    assert report.text.rstrip().endswith("open reading rooms on weekends.")


@pytest.mark.parametrize("chrome_line", [
    "Share this article", "Print this page", "Next article", "Back to top", "上一篇", "分享到",
    "Copyright © 2023 Example Daily. All rights reserved.", "版权所有 © 某某网",
])
def test_chrome_lines_are_dropped(chrome_line):
    body = "The committee visited four towns and met their councils.\n\nIt found that budgets were thin."
    text = clean_text(f"{body}\n\n{chrome_line}\n", "text")
    assert chrome_line not in text
    assert "It found that budgets were thin." in text


def test_text_that_merely_mentions_chrome_words_is_kept():
    body = "Please share the findings with the board. The next step is to print the annex."
    assert clean_text(body, "text") == body


def test_html_chrome_is_stripped_and_structure_kept():
    html = (FIXTURES / "saved_page.html").read_text(encoding="utf-8")
    report = ingest_text(html, source="saved_page.html", fmt="html")
    text = report.text
    assert report.title == "Audit of Harbour Maintenance"
    for chrome in ("tracking", "color: red", "Share on", "Related articles", "Audit of city parks", "Copyright",
                   "Popular", "Reports >", "City Audit Office"):
        assert chrome not in text, chrome
    assert "The harbour authority maintains twelve piers and two breakwaters. It spent" in text
    assert "- Inspections were late on five piers.\n- Two contracts had no tender." in text
    assert "Unclosed paragraph at the end with a span" in text  # broken HTML still gives its text
    kinds = {s.heading: s.kind for s in report.sections}
    assert kinds == {"Background": "situation", "Findings": "findings", "Recommendations": "recommendations"}
    assert_spans_consistent(report)


def test_broken_html_still_gives_text():
    report = ingest_text("<html><body><div><p>Unclosed <b>bold <i>text</div> and more <p>Second", fmt="html")
    assert "Unclosed bold text" in report.text
    assert "Second" in report.text


# --------------------------------------------------------------------------------------------------
# Encodings, mojibake, control characters

CHINESE = "浙江省两新组织党建工作调研报告。一、基本情况：全省共有非公有制企业一百八十万家，从业人员七百七十万人。" * 3
ENGLISH_1252 = ("The committee’s “final” report – naïve café owners, résumé checks and déjà vu – "
                "was published on 3 May. Its findings cover fiscal policy, façade repairs and rôles. ") * 3


@pytest.mark.parametrize("encoding,text", [
    ("utf-8", CHINESE),
    ("utf-8-sig", CHINESE),
    ("gb18030", CHINESE),
    ("gbk", CHINESE),
    ("utf-16", CHINESE),  # with BOM
    ("utf-16-le", ENGLISH_1252),  # no BOM
    ("utf-16-be", CHINESE),  # no BOM
    ("cp1252", ENGLISH_1252),
])
def test_encodings_are_detected(tmp_path, encoding, text):
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode(encoding))
    decoded, fmt = read_document(path)
    assert fmt == "text"
    assert decoded.lstrip("\ufeff") == text


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_plain_ascii_and_latin_text_is_never_taken_for_utf16(tmp_path, encoding):
    # ASCII letter pairs read as UTF-16 are Han characters: the UTF-16 guess must not fire on them
    text = "Grants Management: Enhancing Performance Accountability Provisions Could Lead to Better Results " * 50
    path = tmp_path / "report.md"
    path.write_bytes(text.encode(encoding))
    assert read_document(path)[0] == text


def test_mojibake_is_repaired():
    import ftfy.bad_codecs

    assert ftfy.bad_codecs  # importing it registers 'sloppy-windows-1252', which decodes every byte

    damaged = "The café’s “menu” costs €5.".encode("utf-8").decode("sloppy-windows-1252")
    assert "Ã" in damaged or "â€" in damaged
    assert clean_text(damaged, "text") == "The café’s “menu” costs €5."


def test_line_endings_control_characters_and_nul_bytes_are_normalised():
    raw = "First line of the paragraph\r\nsecond line.\r\rNext\x00 para\x07graph\x1b here.\u200b"
    text = clean_text(raw, "text")
    assert text == "First line of the paragraph second line.\n\nNext paragraph here."


# --------------------------------------------------------------------------------------------------
# PDF-derived text: page furniture, hyphenation, hard line breaks, split words, tables of contents

WRAPPED_PAGES = [
    "The inspection team visited the harbour in spring and reviewed the records\n"
    "of every pier, the maintenance contracts and the budget of the authority\n"
    "for the last five years, and it interviewed the staff on duty.",
    "The team found that inspections were often late and that two contracts\n"
    "had been awarded without a tender, which the rules do not allow at all.",
    "The authority agreed with the findings and promised a new inspection\n"
    "calendar, which it will publish on its website before the end of June.",
    "The team will return next year to check whether the calendar is kept\n"
    "and whether the contracts have been tendered again as the rules say.",
]


def paged_text(header: str, footer_format: str) -> str:
    pages = []
    for number, body in enumerate(WRAPPED_PAGES, start=1):
        pages.append(f"{header}\n{body}\n{footer_format.format(n=number)}")
    return "\n".join(pages)


def test_running_headers_and_page_numbers_are_removed_from_text_without_page_breaks():
    lines = []
    for number, body in enumerate(WRAPPED_PAGES * 2, start=4):
        lines.append(f"{number} HARBOUR MAINTENANCE AUDIT 2024" if number % 2 == 0
                     else f"HARBOUR MAINTENANCE AUDIT 2024 {number}")
        lines.append(body)
    text = clean_text("\n".join(lines), "text")
    assert "HARBOUR MAINTENANCE AUDIT" not in text
    assert "records of every pier" in text


def test_page_word_headers_and_footers_are_removed():
    text = clean_text(paged_text("Harbour Audit", "Page {n} GAO-24-1234 Harbour Maintenance"), "text")
    assert "Page " not in text and "GAO-24-1234" not in text


def test_pdf_page_edges_bare_numbers_and_repeated_lines_are_removed():
    pages = [f"Harbour Maintenance Audit\n{body}\n{n}" for n, body in enumerate(WRAPPED_PAGES, start=1)]
    text = clean_text("\f".join(pages), "pdf")
    assert "Harbour Maintenance Audit" not in text
    assert not any(line.strip().isdigit() for line in text.splitlines())
    assert "the staff on duty." in text


def test_numbers_inside_text_are_not_taken_for_page_numbers():
    text = clean_text("Rooms by town:\n12\n7\n\nThe table lists rooms.", "text")
    assert "12" in text and "7" in text


def test_hyphenation_across_line_breaks():
    raw = ("The committee reviewed the imple-\nmentation of the plan and the co-\nchaired working groups\n"
           "that the Science Foundation-\nfunded study set up in the region.")
    text = clean_text(raw, "text")
    assert "implementation of the plan" in text
    assert "co-chaired" in text
    assert "Foundation-funded" in text


def test_hard_line_breaks_inside_paragraphs_are_joined_and_blocks_kept():
    raw = (
        "The National Quantum Initiative Act requires a strategic plan to help direct\n"
        "federal efforts in quantum information science, including quantum computing.\n"
        "An entity known as the subcommittee is responsible for drafting this plan.\n"
        "\n"
        "We interviewed the following:\n"
        "• Officials from agencies that co-chair the subcommittee\n"
        "• Representatives from six companies\n"
        "\n"
        "Item | Cost | Year\n"
        "Piers | 4.2 | 2024\n"
    )
    text = clean_text(raw, "text")
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == (
        "The National Quantum Initiative Act requires a strategic plan to help direct federal efforts in "
        "quantum information science, including quantum computing. An entity known as the subcommittee "
        "is responsible for drafting this plan.")
    assert "We interviewed the following:\n• Officials from agencies that co-chair the subcommittee\n" \
           "• Representatives from six companies" in text
    assert "Item | Cost | Year\nPiers | 4.2 | 2024" in text


def test_narrow_columns_are_joined_too():
    raw = ("Quantum computing leverages physics\nat the atomic scale to potentially solve\n"
           "certain problems that today’s computers\ncannot.")
    assert clean_text(raw, "text") == ("Quantum computing leverages physics at the atomic scale to potentially "
                                       "solve certain problems that today’s computers cannot.")


def test_footnotes_cutting_a_sentence_at_a_page_break_are_moved_after_it():
    raw = (
        "4. Widespread mobile phone access means that the timing service intersects with daily life\n"
        "6 Inmarsat, What on Earth is the value of space? 30 June 2022\n"
        "7 Written evidence from Daniel Smith (SPA0068)\n"
        "9 THE SPACE ECONOMY: ACT NOW OR LOSE OUT\n"
        "in a number of ways, through navigation applications and location sharing.8\n"
        "5. Satellite communications are vital where terrestrial alternatives are unavailable.\n"
    )
    pages = raw + "".join(f"{n} THE SPACE ECONOMY: ACT NOW OR LOSE OUT\nMore text on page {n}.\n" for n in (10, 11, 12))
    text = clean_text(pages, "text")
    assert ("intersects with daily life in a number of ways, through navigation applications and location "
            "sharing.8\n\n6 Inmarsat, What on Earth is the value of space? 30 June 2022\n"
            "7 Written evidence from Daniel Smith (SPA0068)\n\n5. Satellite communications") in text


def test_chinese_wrapped_lines_join_without_spaces():
    raw = ("我们党必须坚定地站在时代潮流的前头，团结和带领全国各族人民，实现推进现代化建设、完成祖国统一、\n"
           "维护世界和平与促进共同发展这三大历史任务。")
    assert clean_text(raw, "pdf") == raw.replace("\n", "")


@pytest.mark.parametrize("broken,fixed", [
    ("the propos ed legislation", "the proposed legislation"),
    ("Seve ral witnesses agreed", "Several witnesses agreed"),
    ("T he value of space", "The value of space"),
    ("Th e value of space", "The value of space"),
    ("the people’ s choice", "the people’s choice"),
    ("SUMMARY OF C ONCLUSIONS AND RECOMMENDATIONS", "SUMMARY OF CONCLUSIONS AND RECOMMENDATIONS"),
])
def test_split_words_are_rejoined(broken, fixed):
    assert clean_text(broken + " in the report.", "pdf") == fixed + " in the report."


@pytest.mark.parametrize("kept", [
    "they went in to the hall", "a part of the plan", "Q in footnotes refers to a question",
    "the U S dollar", "an old man",
])
def test_real_word_pairs_are_not_joined(kept):
    assert clean_text(kept + ".", "pdf") == kept + "."


def test_small_caps_artefacts_in_upper_case_headings_are_fixed():
    text = clean_text("ChAPTER 3: GROWING ThE UK’S SPACE ECONOMY\n\nBody text follows here.", "pdf")
    assert text.startswith("CHAPTER 3: GROWING THE UK’S SPACE ECONOMY")
    assert "PhD" in clean_text("She holds a PhD in physics.", "pdf")


def test_table_of_contents_lines_are_removed():
    raw = (
        "CONTENTS\n"
        "Summary 4\n"
        "Chapter 1: Introduction 7\n"
        "Figure 3: Distribution of operational satellites by type of operator\n"
        "(2022) 14\n"
        "Chapter 2: A strategy for space ........ 20\n"
        "Recommendation for Executive Action 29\n"
        "\n"
        "Chapter 1: Introduction\n"
        "1. The space age began in 1957 with the launch of Sputnik by the USSR.\n"
    )
    text = clean_text(raw, "text")
    assert "Summary 4" not in text and "space ........" not in text and "Executive Action 29" not in text
    assert "(2022) 14" not in text and "CONTENTS" not in text
    assert text.startswith("Chapter 1: Introduction\n\n1. The space age began in 1957")


def test_figures_at_line_end_in_prose_are_not_a_table_of_contents():
    raw = "The fund grew by 12\nThe fund fell by 3\nThe fund grew by 9\n"
    assert "grew by 12" in clean_text(raw, "text")


def test_figure_placeholders_of_pdf_conversions_are_dropped():
    raw = "Intro paragraph.\n\n*[Figure 1: Examples of Quantum Computing Hardware — see original PDF]*\n\nMore text."
    assert clean_text(raw, "markdown") == "Intro paragraph.\n\nMore text."


# --------------------------------------------------------------------------------------------------
# Headings and sections


def test_markdown_headings_and_bold_headings():
    raw = (
        "# Harbour Audit: Inspections Are Late\n\n"
        "## Highlights\n\n### What GAO Found\n\nInspections were late on five of twelve piers last year.\n\n"
        "### What GAO Recommends\n\nThe authority should publish an inspection calendar for every pier.\n\n"
        "---\n\n**Scope of the Audit**\n\nWe reviewed the records of every pier for five years and interviewed staff.\n\n"
        "#### Agency Comments and Our Evaluation\n\nThe authority agreed with our recommendation in full.\n"
    )
    report = ingest_text(raw, fmt="markdown")
    assert report.title == "Harbour Audit: Inspections Are Late"
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("Highlights", 1, "other"),
        ("What GAO Found", 2, "findings"),
        ("What GAO Recommends", 2, "recommendations"),
        ("Scope of the Audit", 1, "method"),
        ("Agency Comments and Our Evaluation", 1, "other"),
    ]
    assert "#" not in report.text and "**" not in report.text and "---" not in report.text
    highlights = report.sections[0]
    assert report.text[highlights.span[0]:highlights.span[1]].endswith("calendar for every pier.")
    assert_spans_consistent(report)


def test_chapter_roman_and_caps_headings_in_plain_text():
    raw = (
        "Chapter 1: Introduction\n"
        "1. The space age began in 1957 with the launch of the first satellite into orbit.\n"
        "\n"
        "Chapter 8: Conclusions and recommendations\n"
        "2. The Government should publish a space strategy with a funded delivery plan.\n"
        "\n"
        "III. Next steps\n"
        "The committee will review progress in a year and report to the House.\n"
        "\n"
        "SUMMARY OF CONCLUSIONS AND RECOMMENDATIONS\n"
        "3. Space matters to the economy and to national resilience.\n"
    )
    report = ingest_text(raw)
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("Chapter 1: Introduction", 1, "situation"),
        ("Chapter 8: Conclusions and recommendations", 1, "recommendations"),
        ("III. Next steps", 1, "recommendations"),
        ("SUMMARY OF CONCLUSIONS AND RECOMMENDATIONS", 1, "recommendations"),
    ]
    assert_spans_consistent(report)


def test_short_title_lines_between_paragraphs_are_subheadings():
    raw = (
        "Chapter 2: A strategy for space\n"
        "4. The strategy was published in 2021 and set out ten goals for the space sector.\n"
        "The value of space\n"
        "5. There is widespread misunderstanding of the value of space in public debate.\n"
    )
    report = ingest_text(raw)
    assert [(s.heading, s.level) for s in report.sections] == [
        ("Chapter 2: A strategy for space", 1), ("The value of space", 2)]


def test_cover_lines_before_the_first_chapter_are_not_sections():
    raw = (
        "HOUSE OF LORDS\nHL Paper 190\nThe Space Economy:\nAct Now or Lose Out\n"
        "Contact details\nAll correspondence should be addressed to the Committee Office, House of Lords.\n"
        "SUMMARY\nSpace is transforming the world as we know it, and the UK must act now to keep up.\n"
        "Chapter 1: Introduction\n1. The space age began in 1957 with the launch of the first satellite.\n"
    )
    report = ingest_text(raw)
    assert [s.heading for s in report.sections] == ["SUMMARY", "Chapter 1: Introduction"]


def test_chinese_numbered_headings():
    raw = (
        "2025年政府工作报告\n\n"
        "一、2024年工作回顾\n\n过去一年，我国发展历程很不平凡。\n\n"
        "（一）加强宏观调控，促进经济平稳发展。这是第一段的内容，说明了主要做法和成效，篇幅较长。\n\n"
        "二、存在的问题和下一步建议\n\n我们也清醒看到，工作中还存在不少问题。\n"
    )
    report = ingest_text(raw)
    assert report.language == "zh"
    assert report.title == "2025年政府工作报告"
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("一、2024年工作回顾", 1, "practices"),
        ("（一）加强宏观调控，促进经济平稳发展", 2, "other"),
        ("二、存在的问题和下一步建议", 1, "recommendations"),
    ]
    second = report.sections[1]
    assert report.text[second.heading_span[0]:second.heading_span[1]] == "（一）加强宏观调控，促进经济平稳发展。"


def test_run_in_headings_are_put_on_their_own_lines():
    report = ingest_text((FIXTURES / "runin_report.txt").read_text(encoding="utf-8"))
    got = [(s.heading, s.level, s.kind) for s in report.sections]
    assert got == [
        ("I. The basic situation of rural library services in the Northern Hills District", 1, "situation"),
        ("The basic situation of town libraries in the Northern Hills District", 2, "situation"),
        ("The basic situation of mobile library services in the Northern Hills District", 2, "situation"),
        ("Second, several lessons", 1, "findings"),
        ("III. Suggestions for the next step", 1, "recommendations"),
    ]
    # each run-in heading sits on its own line, and the body sentence after it starts a new paragraph
    assert "\n\nSecond, several lessons\n\nIn the survey, the team found" in report.text
    # enumerations inside paragraphs are not headings
    assert "First, rely on volunteers. Most rooms" in report.text
    assert "Second, share books between towns. A van" in report.text
    # the title repeated at the head of the body goes on its own line but opens no section
    assert "\n\nSurvey Report on Rural Library Services of the Northern Hills District\n\nIn order to" in report.text
    assert_spans_consistent(report)


# --------------------------------------------------------------------------------------------------
# Language, ids, report types


@pytest.mark.parametrize("text,language", [
    ("The committee found that inspections were late on five piers.", "en"),
    ("浙江省两新组织党建工作调研报告，全省共有非公有制企业一百八十万家。", "zh"),
    ("来源: https://zh.wikisource.org/wiki/%E5%85%A8%E9%9D%A2 全面建设小康社会，开创中国特色社会主义事业新局面。"
     "现在，我代表第十五届中央委员会向大会作报告。", "zh"),
    ("The report on 浙江 was written in English with one Chinese place name in it.", "en"),
    ("", "en"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_report_id_is_stable_and_content_based():
    a = ingest_text("The committee found late inspections.\r\n\r\nIt recommends a calendar.", source="a.txt")
    b = ingest_text("The committee found late inspections.\n\n\n\nIt recommends a calendar.  ", source="b.txt")
    c = ingest_text("The committee found early inspections.\n\nIt recommends a calendar.", source="a.txt")
    assert a.id == b.id != c.id
    assert len(a.id) == 16 and int(a.id, 16) >= 0
    assert report_id("café") == report_id("cafe\u0301")  # NFC before hashing


def test_report_type_guess():
    assert ingest_text("# Harbour Audit\n\n## What GAO Found\n\nLate inspections at the piers.",
                       fmt="markdown").report_type == "audit report"
    assert ingest_text("Investigation Report on Rural Libraries\n\nThe team visited eleven towns.").report_type \
        == "investigation report"
    assert ingest_text("A short note about the weather today.").report_type is None


# --------------------------------------------------------------------------------------------------
# Bad input: never a traceback, always IngestError with a clear reason


def make_pdf_bytes(pages: list[str]) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    for page_text in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        body = " ".join(f"({line}) Tj T*" for line in page_text.split("\n"))
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 11 Tf 14 TL 72 740 Td {body} ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_real_pdf_is_read_page_by_page(tmp_path):
    path = tmp_path / "audit.pdf"
    path.write_bytes(make_pdf_bytes(["Harbour Audit", "Findings\nInspections were late.", "3"]))
    text, fmt = read_document(path)
    assert fmt == "pdf" and text.count("\f") == 2 and "Inspections were late." in text
    report = ingest_file(path)
    assert "Inspections were late." in report.text


@pytest.mark.parametrize("content,reason", [
    (b"", "empty file"),
    (b"   \n\t\r\n  ", "empty file (whitespace only)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" * 20,
     "binary file, not text"),
])
def test_empty_and_binary_files(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert info.value.reason.startswith(reason)


def test_invalid_utf8_is_decoded_by_detection(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(ENGLISH_1252.encode("cp1252"))  # not valid UTF-8
    report = ingest_file(path)
    assert "naïve café owners" in report.text


def test_undecodable_bytes_fail_clearly(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert "binary file" in info.value.reason


def test_truncated_pdf(tmp_path):
    data = make_pdf_bytes(["Harbour Audit", "Findings: inspections were late."])
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert info.value.reason.startswith("cannot read PDF")


def test_not_a_pdf_at_all(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("this is not a PDF")
    with pytest.raises(IngestError, match="cannot read PDF"):
        ingest_file(path)


def test_corrupt_docx(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip archive")
    with pytest.raises(IngestError, match="cannot read DOCX"):
        ingest_file(path)


def test_docx_headings_become_sections(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Harbour Audit", level=0)
    document.add_heading("Findings", level=1)
    document.add_paragraph("Inspections were late on five of the twelve piers last year.")
    document.add_heading("Recommendations", level=1)
    document.add_paragraph("Publish an inspection calendar for every pier in the harbour.")
    path = tmp_path / "audit.docx"
    document.save(path)
    report = ingest_file(path)
    assert report.title == "Harbour Audit"
    assert [(s.heading, s.kind) for s in report.sections] == [
        ("Findings", "findings"), ("Recommendations", "recommendations")]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("The committee found late inspections.")
    path.chmod(0)
    try:
        with pytest.raises(IngestError, match="permission denied"):
            ingest_file(path)
    finally:
        path.chmod(0o644)


def test_permission_error_is_reported_even_when_running_as_root(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("The committee found late inspections.")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert str(info.value) == f"{path}: cannot read file: permission denied"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        ingest_file(tmp_path / "missing.txt")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(IngestError, match="directory"):
        ingest_file(folder)


def test_folder_mixing_good_and_bad_files(tmp_path):
    (tmp_path / "b_good.md").write_text("# Harbour Audit\n\nInspections were late on five piers.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a_good.txt").write_bytes(CHINESE.encode("gb18030"))
    (tmp_path / "sub" / "empty.txt").write_bytes(b"")
    (tmp_path / "c_truncated.pdf").write_bytes(make_pdf_bytes(["Harbour"])[:100])
    (tmp_path / "d_binary.htm").write_bytes(b"\x00\x01\x02\x03" * 100)
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("hidden")
    files = list(iter_input_files([tmp_path]))
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "b_good.md", "c_truncated.pdf", "d_binary.htm", "sub/a_good.txt", "sub/empty.txt"]
    good, bad = {}, {}
    for path in files:
        try:
            good[path.name] = ingest_file(path)
        except IngestError as error:
            bad[path.name] = error.reason
    assert set(good) == {"b_good.md", "a_good.txt"}
    assert good["a_good.txt"].language == "zh"
    assert bad["empty.txt"] == "empty file"
    assert bad["c_truncated.pdf"].startswith("cannot read PDF")
    assert bad["d_binary.htm"].startswith("binary file")


def test_explicitly_named_unsupported_file_is_yielded(tmp_path):
    path = tmp_path / "notes.xyz"
    path.write_text("x")
    assert list(iter_input_files([str(path)])) == [path]


def test_fifty_megabyte_text_file_is_linear(tmp_path):
    paragraph = ("The inspection team visited the harbour in spring and reviewed the records of every pier,\n"
                 "the maintenance contracts and the budget of the authority for the last five years. The propos ed\n"
                 "imple-\nmentation plan was discussed (see page 4). First, the team met the staff.\n\n")
    heading_every = 200
    chunk = "".join(f"Chapter {i % 9 + 1}: Part {i}\n\n" + paragraph * heading_every for i in range(3))
    path = tmp_path / "big.txt"
    with path.open("w", encoding="utf-8") as handle:
        written = 0
        while written < 50_000_000:
            handle.write(chunk)
            written += len(chunk)
    started = time.perf_counter()
    report = ingest_file(path)
    elapsed = time.perf_counter() - started
    assert len(report.text) > 40_000_000
    assert "proposed implementation plan" in report.text[:5000]
    assert elapsed < 120, f"50 MB took {elapsed:.1f}s"


# --------------------------------------------------------------------------------------------------
# Integration: the model report and the shared corpus


@pytest.mark.skipif(not MODEL_REPORT.exists(), reason="model report missing")
def test_model_report():
    report = ingest_file(MODEL_REPORT)
    assert report.title == ("Investigation Report on the Work of Party Building in the Two New Organizations "
                            "in Zhejiang Province")
    assert report.language == "en"
    assert report.report_type == "investigation report"
    lowered = report.text.lower()
    assert "work report > investigation report" not in lowered
    assert "recommended article" not in lowered and "popular articles" not in lowered
    parts = top_level(report)
    assert [(s.heading, s.kind) for s in parts] == [
        ("I. Strengthening the basic situation of party building work in non-public enterprises and new "
         "organizations in Zhejiang Province", "situation"),
        ("Second, a few revelations", "findings"),
        ("III. Suggestions for the next step", "recommendations"),
    ]
    subs = [(s.heading, s.kind) for s in report.sections if s.level == 2]
    assert subs == [
        ("The basic situation of strengthening party building work in non-public enterprises in Zhejiang "
         "Province", "situation"),
        ("The basic situation of strengthening the party building work of new associations in Zhejiang "
         "Province", "situation"),
    ]
    # the three parts tile the body: each ends where the next begins
    assert parts[0].span[1] < parts[1].span[0] and parts[1].span[1] < parts[2].span[0]
    assert report.text[:parts[2].span[1]].endswith("the party building work of the two new organizations.")
    assert_spans_consistent(report)
    assert ingest_file(MODEL_REPORT).id == report.id


@needs_corpus
def test_gao_report():
    report = ingest_file(SHARED_CORPUS / "gao" / "gao-26-107759.md")
    assert report.title == "Quantum Computing: Updating the National Strategy Could Promote U.S. Leadership"
    assert report.report_type == "audit report"
    kinds = {s.heading: s.kind for s in report.sections}
    assert kinds["What GAO Found"] == "findings"
    assert kinds["What GAO Recommends"] == "recommendations"
    assert kinds["Why GAO Did This Study"] == "method"
    found = next(s for s in report.sections if s.heading == "What GAO Found")
    assert "GAO found that, with respect to quantum computing" in report.text[found.span[0]:found.span[1]]
    assert "Appendix I Objectives, Scope, and Methodology 27" not in report.text  # table of contents
    assert "see original PDF" not in report.text
    assert_spans_consistent(report)


@needs_corpus
def test_gao_report_with_page_footers():
    source = (SHARED_CORPUS / "gao" / "gao-26-107815.md").read_text(encoding="utf-8")
    assert "Page 3 GAO-26-107815 HHS Refugee Assistance for Ukrainians" in source
    report = ingest_file(SHARED_CORPUS / "gao" / "gao-26-107815.md")
    assert "GAO-26-107815 HHS Refugee Assistance for Ukrainians" not in report.text
    assert report.title == "Ukraine Funding: HHS Allocation and Oversight of Refugee Assistance"


@needs_corpus
def test_lords_text_report():
    report = ingest_file(SHARED_CORPUS / "uk-parliament" / "hol_2025_space_economy_HL190.txt")
    assert report.title == "The Space Economy: Act Now or Lose Out"
    assert report.report_type == "parliamentary inquiry"
    chapters = [s.heading for s in report.sections if s.heading.upper().startswith("CHAPTER")]
    assert len(chapters) == 5 and all(report.sections[[x.heading for x in report.sections].index(c)].level == 1
                                      for c in chapters)
    assert chapters[0] == "CHAPTER 1: INTRODUCTION"
    summary = next(s for s in report.sections if s.heading.startswith("SUMMARY OF CONCLUSIONS"))
    assert summary.kind == "recommendations" and summary.level == 1
    assert "THE SPACE ECONOMY: ACT NOW OR LOSE OUT" not in report.text  # running header
    assert "Chapter 2: A strategy for space 20" not in report.text  # contents
    assert "propos ed" not in report.text and "C ONCLUSIONS" not in report.text
    assert_spans_consistent(report)


@needs_corpus
@pytest.mark.slow
def test_lords_pdf_report():
    started = time.perf_counter()
    report = ingest_file(SHARED_CORPUS / "uk-parliament" / "hol_2025_space_economy_HL190.pdf")
    elapsed = time.perf_counter() - started
    assert report.title == "The Space Economy: Act Now or Lose Out"
    chapters = [s for s in report.sections if s.heading.upper().startswith("CHAPTER")]
    assert len(chapters) == 5 and all(s.level == 1 for s in chapters)
    assert "THE SPACE ECONOMY: ACT NOW OR LOSE OUT" not in report.text
    assert elapsed < 60


@needs_corpus
@pytest.mark.parametrize("name", ["gwr_2025_zh.txt", "cpc16_congress_report_2002_zh.txt"])
def test_chinese_report(name):
    report = ingest_file(SHARED_CORPUS / "zh" / name)
    assert report.language == "zh"
    first_line = (SHARED_CORPUS / "zh" / name).read_text(encoding="utf-8").splitlines()[0].strip()
    assert report.title == first_line
    level1 = [s.heading for s in report.sections if s.level == 1]
    assert level1[0].startswith("一、")
    assert any(s.level == 2 and s.heading.startswith("（一）") for s in report.sections)
    assert_spans_consistent(report)


# --------------------------------------------------------------------------------------------------
# Properties: any text ingests without a traceback, and every span points into the cleaned text

_REPORTISH = st.lists(
    st.one_of(
        st.text(min_size=0, max_size=80),
        st.sampled_from([
            "I. Basic situation of the towns", "Second, a few lessons In the survey, we saw", "III. Suggestions",
            "Chapter 2: A strategy for space 20", "# What GAO Found", "**Conclusions**", "一、基本情况", "（一）主要做法。",
            "12", "Page 4 GAO-24-1 Audit", "imple-", "mentation of the plan.", "propos ed", "Home > Reports",
            "recommended article", "\f", "• item", "| a | b |", "---",
        ]),
    ),
    max_size=40,
).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_REPORTISH, fmt=st.sampled_from(["text", "markdown", "pdf", "html"]))
def test_any_text_ingests_with_consistent_spans(text, fmt):
    try:
        report = ingest_text(text, fmt=fmt)
    except IngestError as error:
        assert error.reason == "no text left after cleaning"
        return
    assert report.text.strip() and report.title
    assert report.id == report_id(report.text)
    for section in report.sections:
        start, end = section.span
        assert 0 <= start < end <= len(report.text)
        assert section.heading_span[0] == start and section.heading_span[1] <= end
        assert section.level >= 1


@pytest.mark.parametrize("heading,kind", [
    ("Implementing GAO's Recommendations Can Help DOD Address Persistent Readiness Challenges", None),
    ("Recommendations for Executive Action", "recommendations"),
    ("Chapter 8: Conclusions and recommendations", "recommendations"),
    ("What GAO Found", "findings"),
    ("III. Suggestions for the next step", "recommendations"),
    ("Agencies Have Acted on Most Findings but Still Lack a Plan for the Remaining Ones in 2026", None),
])
def test_long_sentence_headings_do_not_name_findings_or_recommendations_parts(heading, kind):
    from pipeline.sections import section_kind

    assert section_kind(heading) == kind
