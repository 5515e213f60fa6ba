"""Tests for pipeline.words: split words re-joined, real word pairs kept, small-caps artefacts."""
from __future__ import annotations

import pytest

from pipeline.ingest import clean_text


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


@pytest.mark.parametrize("sentence", [
    "Retailers moved the e-commerce trial to the second quarter",
    "Citizens may apply in person or e-mail the district office",
    "The council set aside funds for e-government services",
    "Staff reminded households to e-file before the deadline",
    "Schools relied on e-learning platforms during the closures",
    "The survey asked how far e-procurement had spread",
    "Prices were quoted at e-auction rates last spring",
    "Analysts ran a t-test on the survey results",
    "The clinic cleared the x-ray backlog by March",
])
def test_a_word_is_never_glued_to_the_letter_that_opens_a_compound(sentence):
    """'the e-commerce' is not 'thee-commerce', 'or e-mail' not 'ore-mail', 'a t-test' not 'at-test'."""
    assert clean_text(sentence + ".", "pdf") == sentence + "."


@pytest.mark.parametrize("broken,fixed", [
    ("the propos ed-rule comments", "the proposed-rule comments"),
    ("of-th e-federal-program inventory", "of-the-federal-program inventory"),
    ("the ad ministration-wide review", "the administration-wide review"),
])
def test_split_words_before_a_hyphen_are_still_rejoined(broken, fixed):
    assert clean_text(broken + " was read.", "pdf") == fixed + " was read."


@pytest.mark.parametrize("sentence", [
    "The plant handles Hanford’s low-activity waste",
    "The agency’s in-person service took longer",
    "It reviewed the department’s and the bureau’s records",
    "The city’s top priority was housing",
    "They didn’t slow the programme down",
])
def test_the_clitic_after_an_apostrophe_keeps_its_space(sentence):
    """'Hanford’s low-activity' is not 'Hanford’slow-activity', 'department’s and' not 'department’sand'."""
    assert clean_text(sentence + ".", "pdf") == sentence + "."
