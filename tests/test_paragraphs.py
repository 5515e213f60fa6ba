"""Tests for pipeline.paragraphs: hard line breaks, end-of-line hyphens, narrow columns, Chinese lines."""
from __future__ import annotations

from pipeline.ingest import clean_text


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
