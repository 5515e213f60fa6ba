"""The store the `reportlens serve` tests browse: the model report and a Chinese work report, analysed for
real (once per test session), plus a small hand-made report with hostile markup, astral characters and
nested and overlapping items. Vectors and themes come from the bag-of-words test embedder."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from pipeline.records import Analysis, Figure, Finding, Practice, Recommendation, Report, Stage

from .conftest import MODEL_REPORT, SHARED_CORPUS

CHINESE_REPORT = SHARED_CORPUS / "zh" / "gwr_2025_zh.txt"
HOSTILE_TEXT = ("<script>alert('x')</script> 𠀀𠀁 Pilot sites & \"quotes\" 😀 grew 12% in 2020.\n"
                "第一，建设示范点，覆盖𠀀个乡镇。We recommend sharing data </div> between agencies.")
_built: dict[str, Path] = {}


def _span(text: str, part: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return start, start + len(part)


def hostile_analysis() -> Analysis:
    """A report whose text would break a page that forgot to escape it or counted UTF-16 units."""
    text = HOSTILE_TEXT
    sentence = text.split("\n")[0]
    return Analysis(
        report=Report(id="0badc0de" * 2, source="hostile.txt", title="<b>Hostile</b> 𠀀 report", language="en",
                      text=text, year=2021, studied_regions=["<i>Nowhere</i>"], report_type="test report"),
        figures=[Figure(id="F1", text="12%", span=_span(text, "12%"), value=12, kind="percent", unit="%",
                        measures="pilot sites growth", year=2020, sentence=sentence),
                 Figure(id="F2", text="𠀀个", span=_span(text, "𠀀个"), value=1, kind="count", sentence="")],
        stages=[Stage(id="S1", text="in 2020", span=_span(text, "in 2020"), label="pilot", order=1, start_year=2020)],
        practices=[Practice(id="P1", text="Pilot sites & \"quotes\" 😀 grew 12%",
                            span=_span(text, "Pilot sites & \"quotes\" 😀 grew 12%")),
                   Practice(id="P1.1", text="sites & \"quotes\" 😀", span=_span(text, "sites & \"quotes\" 😀"),
                            parent="P1", level=2),
                   Practice(id="P2", text="建设示范点，覆盖𠀀个乡镇", span=_span(text, "建设示范点，覆盖𠀀个乡镇"))],
        findings=[Finding(id="F1", text="<script>alert('x')</script> 𠀀𠀁 Pilot",
                          span=_span(text, "<script>alert('x')</script> 𠀀𠀁 Pilot"))],
        recommendations=[Recommendation(id="R1", text="sharing data </div> between agencies",
                                        span=_span(text, "sharing data </div> between agencies"), supports=["F1"])],
    )


def chinese_fallback() -> Analysis:
    """A small Chinese report for when ../shared/corpus is absent."""
    text = "二〇二五年政府工作报告\n一、工作回顾\n国内生产总值增长5%。我们推进党建示范点建设，建议加强数据共享。"
    return Analysis(
        report=Report(id="c0ffee00" * 2, source="zh.txt", title="二〇二五年政府工作报告", language="zh",
                      text=text, year=2025),
        figures=[Figure(id="F1", text="5%", span=_span(text, "5%"), value=5, kind="percent", unit="%",
                        measures="国内生产总值", year=2025)],
        practices=[Practice(id="P1", text="推进党建示范点建设", span=_span(text, "推进党建示范点建设"))],
        recommendations=[Recommendation(id="R1", text="建议加强数据共享", span=_span(text, "建议加强数据共享"))],
    )


def build_store(folder: Path, model_analysis: Optional[Analysis]) -> Path:
    """The store at ``folder / serve.db``, built once per process."""
    if "db" in _built:
        return _built["db"]
    from pipeline.corpus import refresh_themes
    from pipeline.extract import analyze_file
    from pipeline.store import Store
    from pipeline.vectors import index_items

    from .test_search import BagOfWordsEmbedder

    db = folder / "serve.db"
    analyses = [model_analysis or analyze_file(MODEL_REPORT), hostile_analysis()]
    analyses.append(analyze_file(CHINESE_REPORT) if CHINESE_REPORT.is_file() else chinese_fallback())
    with Store(db) as store:
        for analysis in analyses:
            store.save(analysis, "test")
        index_items(store, BagOfWordsEmbedder())
        refresh_themes(store, embedder=BagOfWordsEmbedder())
    _built["db"] = db
    return db
