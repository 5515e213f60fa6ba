"""The enumeration parser: every marker style, nesting by sequence, headlines."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.enumerations import find_markers, parse_enumeration, walk
from pipeline.headlines import split_headline

FIXTURES = Path(__file__).parent / "fixtures" / "structure"


def outline(text: str, language: str = "en") -> list[tuple[int, str]]:
    """(level, headline) of every item, in document order."""
    forest = parse_enumeration(text, language=language)
    out = []
    for item, level, _ in walk(forest):
        (hs, he), _ = split_headline(text, item, language)
        out.append((level, text[hs:he]))
    return out


@pytest.mark.parametrize("text, headlines", [
    ("Plan: First, clean the wells. Second, fence the fields. Third, share the tools.",
     ["clean the wells", "fence the fields", "share the tools"]),
    ("Measures: The first is to clean the wells. The second is to fence the fields. The third is sharing tools.",
     ["clean the wells", "fence the fields", "sharing tools"]),
    ("Steps:\n1. Clean the wells.\n2. Fence the fields.\n3. Share the tools.",
     ["Clean the wells", "Fence the fields", "Share the tools"]),
    ("Steps: (1) Clean the wells. (2) Fence the fields.", ["Clean the wells", "Fence the fields"]),
    ("Steps:\n1) Clean the wells.\n2) Fence the fields.", ["Clean the wells", "Fence the fields"]),
    ("Steps:\n1. Clean the wells\n2. Fence the fields", ["Clean the wells", "Fence the fields"]),
    ("Plan: Firstly, clean the wells. Secondly, fence the fields. Finally, share the tools.",
     ["clean the wells", "fence the fields", "share the tools"]),
    ("Measures: One is to clean the wells. Two is to fence the fields.", ["clean the wells", "fence the fields"]),
    ("Steps: (a) clean the wells; (b) fence the fields.", ["clean the wells", "fence the fields"]),
    ("Intro.\n\n**Collecting information.** DOT collected data.\n\n**Sharing results.** DOT published them.",
     ["Collecting information", "Sharing results"]),
    ("Intro:\n- Clean the wells. They were dirty.\n- Fence the fields.", ["Clean the wells", "Fence the fields"]),
    ("Intro.\n\nExpedited agreement process. IRS used a template.\n\nImproved data trustworthiness. The MOUs "
     "describe checks.", ["Expedited agreement process", "Improved data trustworthiness"]),
])
def test_each_english_style(text, headlines):
    assert [h for _, h in outline(text)] == headlines


@pytest.mark.parametrize("text, headlines", [
    ("主要做了以下工作。\n一是加强宏观调控，推动经济回升。具体措施很多。\n二是深化改革，增强发展动力。",
     ["加强宏观调控，推动经济回升", "深化改革，增强发展动力"]),
    ("（一）扩大国内需求。加大投资。\n（二）发展新质生产力。", ["扩大国内需求", "发展新质生产力"]),
    ("工作重点：第一，稳定就业。第二，保障民生。", ["稳定就业", "保障民生"]),
])
def test_each_chinese_style(text, headlines):
    assert [h for _, h in outline(text, "zh")] == headlines


def test_nested_lists_follow_the_outer_sequence():
    text = (FIXTURES / "nested_practices.txt").read_text(encoding="utf-8")
    got = outline(text)
    assert got == [
        (1, "put the county executive in charge of the river"),
        (2, "the county executive chaired a monthly river meeting and visited every dike in person"),
        (2, "set up a standing river office with its own engineers"),
        (2, "publish a yearly river plan"),
        (1, "repair the small dikes before the large ones"),
        # the unmarked first child is the sentence before the inner "Second,"
        (2, "The repair list covered dikes guarding schools and clinics"),
        (2, "villages with sound dikes lent workers to villages with weak ones"),
        (2, "pay repair crews from a shared county fund"),
        (1, "open the river data to the public"),
        (1, "train local wardens"),
        (2, "recruit wardens from each village"),
        (2, "give them a two-week course every spring"),
    ]


def test_parents_and_spans_nest():
    text = (FIXTURES / "nested_practices.txt").read_text(encoding="utf-8")
    for item, level, parent in walk(parse_enumeration(text)):
        assert item.start < item.end <= len(text)
        if parent is not None:
            assert parent.start <= item.start and item.end <= parent.end


def test_ordinal_word_inside_a_sentence_is_not_a_marker():
    text = "The team came second, after Suzhou. It ranked first, overall, in 2001."
    assert find_markers(text) == []


def test_year_digits_are_not_numbered_items():
    assert find_markers("Output grew in 1996. 5 new plants opened.") == []


def test_a_hard_wrapped_line_break_does_not_open_an_item():
    text = "This report examines (1) SBA and IRS\nprocesses for sharing tax information,\n(2) available data."
    assert find_markers(text) == []


def test_headline_stops_at_a_colon_or_semicolon():
    text = 'Steps: First, clarify the requirements of the model sites: "The team is efficient." Second, go.'
    assert outline(text)[0] == (1, "clarify the requirements of the model sites")


@given(st.lists(st.sampled_from(["First, a b.", "Second, c d.", "The second is e.", "The third is f.", "1. G h.",
                                 "(2) I j.", "Plain words here.", "Third, k l.", "\n\n", "- m n."]), max_size=25))
@settings(max_examples=150, deadline=None)
def test_parser_never_breaks_on_arbitrary_marker_soup(pieces):
    text = " ".join(pieces)
    for item, level, parent in walk(parse_enumeration(text)):
        assert 0 <= item.start <= item.end <= len(text)
        assert level >= 1
        (hs, he), (ds, de) = split_headline(text, item)
        assert item.start <= hs <= he <= item.end and ds <= de <= item.end
