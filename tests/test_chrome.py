"""Tests for pipeline.chrome: breadcrumbs, chrome lines and link lists are stripped, prose that mentions them is kept."""
from __future__ import annotations

import pytest

from pipeline.ingest import clean_text, ingest_text

from .conftest import INGEST_FIXTURES


def test_breadcrumb_and_recommended_articles_are_stripped_from_plain_text():
    report = ingest_text((INGEST_FIXTURES / "runin_report.txt").read_text(encoding="utf-8"))
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
