"""Tests for pipeline.paragraphs: hard line breaks, end-of-line hyphens, narrow columns, Chinese lines."""
from __future__ import annotations

from pipeline.ingest import clean_text, ingest_text

from .conftest import assert_spans_consistent


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


def test_chinese_wrapped_lines_join_without_spaces():
    raw = ("我们党必须坚定地站在时代潮流的前头，团结和带领全国各族人民，实现推进现代化建设、完成祖国统一、\n"
           "维护世界和平与促进共同发展这三大历史任务。")
    assert clean_text(raw, "pdf") == raw.replace("\n", "")


def test_a_sentence_cut_by_a_page_break_is_one_paragraph():
    raw = (
        "# Harbour Review\n\n"
        "The review found that inspections at the northern piers were late in most quarters. We also asked\n\n"
        "that the port board publish its inspection schedule for every pier before each quarter starts.\n\n"
        "Median cost of\n\n"
        "per site\n"
    )
    text = clean_text(raw, "markdown")
    assert "We also asked that the port board publish its inspection schedule" in text
    # fragments of a table are not sentences: they stay apart
    assert "Median cost of\n\nper site" in text


def test_a_heading_placed_inside_a_sentence_follows_the_paragraph_it_cut():
    raw = (
        "# Records Audit\n\n"
        "## Recommendations for Executive Action\n\n"
        "The Registrar should ensure that the records office publishes its retention rules and adopts\n"
        "standard names for the\n\n"
        "#### Agency Comments\n\n"
        "fields of each register, for example, by keeping a glossary. (Recommendation 1)\n\n"
        "The Registrar should ensure that the records office reviews access logs every month and keeps\n"
        "them for two years. (Recommendation 2)\n\n"
        "We provided a draft of this report to the Registrar, who agreed with the recommendations.\n\n"
        "The review also covered the offices in\n\n"
        "###### Northern Region\n\n"
        "Digital Archive Backlogs\n"
        "Delay Public Requests\n\n"
        "three districts, where requests waited for weeks.\n"
    )
    report = ingest_text(raw, fmt="markdown")
    sections = {s.heading: s for s in report.sections}
    recs = report.text[slice(*sections["Recommendations for Executive Action"].span)]
    assert "adopts standard names for the fields of each register, for example, by keeping a glossary. " \
           "(Recommendation 1)" in recs
    assert "(Recommendation 2)" in recs  # the heading does not split a run of parallel paragraphs
    comments = report.text[slice(*sections["Agency Comments"].span)]
    assert comments.split("\n\n")[1].startswith("We provided a draft")
    # side-heading lines the conversion left unmarked are moved out of the sentence as well
    assert "The review also covered the offices in three districts, where requests waited for weeks." \
        in report.text
    assert_spans_consistent(report)
