"""Tests for pipeline.language."""
from __future__ import annotations

import pytest

from pipeline.language import detect_language


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
