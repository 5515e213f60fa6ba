"""The cross-report brief (pipeline/brief.py, `reportlens summarize --all`): its content from a store built
from three small reports of different kinds (tests/fixtures/brief), its renderings, and the CLI's options."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from pipeline.brief import (CSV_PREFIX, TABLE_COLUMNS, brief_markdown, brief_tables, brief_xlsx, build_brief,
                            citations, write_brief_csv)
from pipeline.cli import app
from pipeline.records import Brief, BriefPractice, BriefReport, BriefReportRef, BriefTheme
from pipeline.store import Store

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "brief"
runner = CliRunner()


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.fixture(scope="module")
def brief_db(tmp_path_factory) -> Path:
    """A store of the three fixture reports, analysed by the batch (TF-IDF embedder: no sentence model)."""
    from pipeline.batch import run

    db = tmp_path_factory.mktemp("brief") / "brief.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTLENS_EMBEDDER", "tfidf")
        summary = run([FIXTURES], db, workers=1)
    assert summary.count("new") == 3, [o.error for o in summary.failed]
    return db


def _titles(db: Path) -> dict[str, str]:
    with Store(db, readonly=True) as store:
        return {r.title.split()[0]: r.id for r in store.reports()}


@pytest.mark.slow
def test_each_theme_holds_exactly_the_practices_the_store_gives_it(brief_db):
    with Store(brief_db, readonly=True) as store:
        brief = build_brief(store)
        stored = {(a.report.id, p.id): p.theme_id for a in store.iter_analyses() for p in a.practices}
    assert brief.themes and brief.unthemed_practices == 0
    assert [t.size for t in brief.themes] == sorted((t.size for t in brief.themes), reverse=True)
    seen = [(p.report_id, p.id) for t in brief.themes for p in t.practices]
    assert sorted(seen) == sorted(stored)  # every practice once
    for theme in brief.themes:
        assert {stored[(p.report_id, p.id)] for p in theme.practices} == {theme.id}
        assert [r.id for r in theme.reports] == sorted({p.report_id for p in theme.practices},
                                                       key=[r.id for r in brief.reports].index)


@pytest.mark.slow
def test_a_theme_shows_its_practices_reports_and_figures(brief_db, tmp_path):
    """Themes given by hand (a copy of the store): the brief puts each practice under its theme, with its
    report, and the figures inside those practices' spans."""
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(brief_db, db)
    ids = _titles(db)
    study, audit, zh = ids["Report"], ids["Workforce"], ids["关于赴浙江省学习农村电商发展经验的调研报告"]
    with Store(db) as store:
        practices = {(a.report.id, p.text): p.id for a in store.iter_analyses() for p in a.practices}
        training = {(study, practices[(study, "train cooperative managers")]),
                    (audit, practices[(audit, "Agencies trained managers in budgeting and planning before they "
                                              "took up their posts")]),
                    (zh, practices[(zh, "培训电商人才")])}
        rest = {key for key in ((rid, pid) for (rid, _), pid in practices.items()) if key not in training}
        store.replace_themes(
            [{"id": "t-training", "label": "manager and talent training", "size": 3, "members": []},
             {"id": "t-other", "label": "everything else", "size": len(rest), "members": []}],
            {**{key: "t-training" for key in training}, **{key: "t-other" for key in rest}})
        brief = build_brief(store)
    other, theme = brief.themes  # the larger first
    assert other.id == "t-other" and theme.id == "t-training" and theme.size == 3
    assert {(p.report_id, p.id) for p in theme.practices} == training
    assert [r.title for r in theme.reports] == [r.title for r in brief.reports if r.id in {study, audit, zh}]
    by_report = {r.id: r for r in brief.reports}
    assert "t-training" in by_report[study].themes and "t-other" in by_report[study].themes
    # the figures of the theme lie inside its practices; "12,000 cooperative managers" is in the second one
    spans = {(p.report_id, p.span) for p in theme.practices}
    assert theme.key_figures and all(any(rid == f.report_id and s <= f.span[0] < f.span[1] <= e
                                         for rid, (s, e) in spans) for f in theme.key_figures)
    assert any(f.text == "12,000 cooperative managers" for f in theme.key_figures)
    assert not any("6.5%" in f.text for f in theme.key_figures)  # background, in no practice of the theme


@pytest.mark.slow
def test_a_report_that_names_studied_and_home_regions_has_its_lessons(brief_db):
    with Store(brief_db, readonly=True) as store:
        brief = build_brief(store)
        texts = {a.report.id: a.report.text for a in store.iter_analyses()}
    ids = _titles(brief_db)
    study = next(r for r in brief.reports if r.id == ids["Report"])
    assert study.studied_regions[0] == "Fujian" and study.target_region == "Hunan"
    assert [(l.studied_region, l.target_region) for l in study.lessons] == [("Fujian", "Hunan")] * 3
    assert "Trained managers are the key" in study.lessons[1].text
    for lesson in study.lessons:
        assert _squash(lesson.text) in _squash(texts[study.id][lesson.span[0]:lesson.span[1]])
    assert [r.text.split()[0] for r in study.recommendations] == ["select", "set", "help"]
    audit = next(r for r in brief.reports if r.id == ids["Workforce"])
    assert audit.lessons == [] and audit.target_region is None
    assert len(audit.recommendations) == 2 and "report the outcomes" in audit.recommendations[0].text
    assert all(_squash(r.text) in _squash(texts[audit.id][r.span[0]:r.span[1]]) for r in audit.recommendations)


@pytest.mark.slow
def test_the_markdown_cites_spans_that_hold_the_cited_text(brief_db):
    with Store(brief_db, readonly=True) as store:
        markdown = brief_markdown(build_brief(store))
        analyses = {a.report.id: a for a in store.iter_analyses()}
    cited = list(citations(markdown))
    lines = [line for line in markdown.splitlines() if line.startswith("- ") and "… and" not in line]
    assert len(cited) == len(lines) > 10  # every list line cites
    for prefix, item_id, start, end in cited:
        [analysis] = [a for rid, a in analyses.items() if rid.startswith(prefix)]
        items = [i for kind in ("practices", "findings", "recommendations", "figures")
                 for i in getattr(analysis, kind) if i.id == item_id and tuple(i.span) == (start, end)]
        assert items, (prefix, item_id, start, end)
        assert _squash(items[0].text) in _squash(analysis.report.text[start:end])
    assert "Lessons for Hunan:" in markdown and "- Fujian → Hunan: Demonstration cooperatives" in markdown


@pytest.mark.slow
def test_the_tables_parse_as_csv_and_open_as_a_workbook(brief_db, tmp_path):
    with Store(brief_db, readonly=True) as store:
        brief = build_brief(store)
    written = write_brief_csv(brief, tmp_path / "csv", bom=True)
    assert [p.name for p in written] == [f"{CSV_PREFIX}{name}.csv" for name in TABLE_COLUMNS]
    tables = {p.name[len(CSV_PREFIX):-4]: list(csv.DictReader(p.open(encoding="utf-8-sig"))) for p in written}
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in written)
    assert len(tables["themes"]) == sum(t.size for t in brief.themes)
    assert {row["text"] for row in tables["themes"]} >= {"train cooperative managers", "培训电商人才"}
    lessons = tables["lessons"]
    assert [(row["studied_region"], row["target_region"]) for row in lessons] == [("Fujian", "Hunan")] * 3
    assert lessons[0]["report_title"].startswith("Report on the Study of Farmer Cooperative")
    assert len(tables["reports"]) == 3 and len(tables["recommendations"]) == 3 + 2 + 3

    data = brief_xlsx(brief)
    assert data == brief_xlsx(brief)  # the same brief, the same bytes
    book = zipfile.ZipFile(io.BytesIO(data))
    assert re.findall(r'<sheet name="(\w+)"', book.read("xl/workbook.xml").decode()) == list(TABLE_COLUMNS)
    rows = re.findall(r"<row ", book.read("xl/worksheets/sheet1.xml").decode())
    assert len(rows) == 1 + sum(t.size for t in brief.themes)
    strings = book.read("xl/sharedStrings.xml").decode()
    assert "培训电商人才" in strings and "Fujian" in strings and "theme_label" in strings


@pytest.mark.slow
def test_the_json_validates_against_its_schema_and_the_brief_is_deterministic(brief_db):
    from pipeline.export import BRIEF_SCHEMA_PATH, brief_schema_text

    assert BRIEF_SCHEMA_PATH.read_text(encoding="utf-8") == brief_schema_text(), \
        "schema/brief.schema.json is stale: run `reportlens schema --write`"
    with Store(brief_db, readonly=True) as store:
        first, second = build_brief(store), build_brief(store)
    assert first.model_dump_json() == second.model_dump_json()
    jsonschema.validate(json.loads(first.model_dump_json()), json.loads(brief_schema_text()))


def _many_practices_brief(n: int) -> Brief:
    practices = [BriefPractice(report_id=f"{'ab' if i % 3 else 'cd'}00ff", id=f"P{i}", text=f"practice number {i}",
                               span=(i * 10, i * 10 + 8)) for i in range(n)]
    reports = [BriefReport(id=rid, title=f"Report {rid}", language="en") for rid in ("ab00ff", "cd00ff")]
    theme = BriefTheme(id="t-1", label="one theme", size=n, practices=practices,
                       reports=[BriefReportRef(id=r.id, title=r.title) for r in reports])
    return Brief(themes=[theme], reports=reports)


def test_the_markdown_caps_a_long_theme_and_shows_every_report_of_it():
    markdown = brief_markdown(_many_practices_brief(12), practices=4)
    shown = [line for line in markdown.splitlines() if line.startswith("- practice number")]
    assert len(shown) == 4 and "- … and 8 more practices" in markdown
    assert any("`cd00ff:" in line for line in shown) and any("`ab00ff:" in line for line in shown)
    assert "| 1 | one theme | 12 | 2 |" in markdown
    assert "… and" not in brief_markdown(_many_practices_brief(4), practices=4)


def test_the_tables_have_their_columns_even_when_empty():
    tables = brief_tables(Brief())
    assert set(tables) == set(TABLE_COLUMNS) and not any(tables.values())


# -- the command line -------------------------------------------------------------------------------------


def _small_store(path: Path) -> Path:
    from .test_export import sample

    with Store(path) as store:
        store.save(sample("abc123"), "v1")
        store.replace_themes([{"id": "t-sites", "label": "demonstration sites", "size": 1, "members": []}],
                             {("abc123", "P1"): "t-sites"})
    return path


@pytest.mark.parametrize("args, message", [
    ([], "give a REPORT_ID or --all"),
    (["abc123", "--all"], "give a REPORT_ID or --all"),
    (["--all", "--format", "pdf"], "use md, json, csv or xlsx"),
    (["abc123", "--format", "csv"], "csv and xlsx: with --all"),
    (["--all", "--format", "xlsx"], "give --out FILE.xlsx"),
    (["--all", "--format", "csv"], "give --out DIR"),
])
def test_summarize_option_errors_are_usage_errors(tmp_path, args, message):
    result = runner.invoke(app, ["summarize", *args, "--db", str(_small_store(tmp_path / "s.db"))])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.replace("│", " ").split())


def test_summarize_all_prints_the_brief_and_writes_files(tmp_path):
    db = _small_store(tmp_path / "s.db")
    result = runner.invoke(app, ["summarize", "--all", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "### 1. demonstration sites" in result.output
    assert "- build demonstration sites <sub>`abc123:P1` [7–32]</sub>" in result.output
    out = tmp_path / "brief.json"
    assert runner.invoke(app, ["summarize", "--all", "--db", str(db), "-f", "json", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["themes"][0]["practices"][0]["span"] == [7, 32]
    book = tmp_path / "brief.xlsx"
    assert runner.invoke(app, ["summarize", "--all", "--db", str(db), "-f", "xlsx", "-o", str(book)]).exit_code == 0
    assert zipfile.is_zipfile(book)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".reportlens-tmp")]  # no temporary file left


def test_summarize_all_to_a_missing_folder_is_one_line(tmp_path):
    db = _small_store(tmp_path / "s.db")
    result = runner.invoke(app, ["summarize", "--all", "--db", str(db), "-o", str(tmp_path / "no" / "b.md")])
    assert result.exit_code == 1 and "no such folder" in result.output and "Traceback" not in result.output


def test_summarize_one_report_still_works_and_takes_out(tmp_path):
    db = _small_store(tmp_path / "s.db")
    shown = runner.invoke(app, ["summarize", "abc", "--db", str(db)])
    assert shown.exit_code == 0 and shown.output.startswith("# Sample")
    out = tmp_path / "one.md"
    assert runner.invoke(app, ["summarize", "abc", "--db", str(db), "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == shown.output


def test_the_markdown_keeps_a_text_on_its_line_and_out_of_html():
    brief = _many_practices_brief(1)
    brief.themes[0].practices[0].text = "set up <b>help desks</b> | hotlines\nfor 5 < 10 firms"
    [line] = [line for line in brief_markdown(brief).splitlines() if line.startswith("- set up")]
    assert line.startswith("- set up &lt;b>help desks&lt;/b> \\| hotlines for 5 < 10 firms <sub>`cd00ff:P0`")
