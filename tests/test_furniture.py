"""Tests for pipeline.furniture: running headers, page numbers, footnotes at page breaks, tables of contents."""
from __future__ import annotations

from pipeline.ingest import clean_text


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


def test_a_footnote_between_the_halves_of_a_sentence_in_converted_markdown_is_moved_after_it():
    # markdown converted from PDF has no page breaks or running headers: the footnote paragraph itself
    # shows where the page ended
    raw = (
        "# Seal Misuse\n\n"
        "The study asked how the seal is used in advertising. 2 To better protect the seal, we are\n"
        "recommending that the Administrator inform all regions about\n\n"
        "2 The House committee asked in its 2019 report that we review\n"
        "this program.\n\n"
        "NOAA’s rule restricting use of the seal and check that every regional contract\n"
        "repeats that rule.\n\n"
        "We used the following methods to develop our findings.\n"
    )
    text = clean_text(raw, "markdown")
    assert ("we are recommending that the Administrator inform all regions about NOAA’s rule restricting use "
            "of the seal and check that every regional contract repeats that rule.\n\n"
            "2 The House committee asked in its 2019 report that we review this program.\n\n"
            "We used the following methods") in text
