"""The CLI: help for every command, cheap start-up, exit codes, and the batch commands end to end."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
import sys

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

from .conftest import MODEL_REPORT, ROOT

runner = CliRunner()
COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands]


def test_every_command_has_help():
    assert {"analyze", "ingest", "run", "list", "show"} <= set(COMMANDS)
    for name in COMMANDS:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage" in result.output
        command = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == name)
        assert command.callback.__doc__, f"{name} has no help text"


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from pipeline.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('spacy', 'torch', 'sentence_transformers', 'sklearn') if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)


def test_usage_error_exits_2():
    assert runner.invoke(app, ["analyze"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


def test_analyze_bad_input_is_one_clear_line(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02 binary")
    for target, reason in ((tmp_path / "bin.txt", "binary file"), (tmp_path, "is a folder"),
                           (tmp_path / "missing.txt", "not found")):
        result = runner.invoke(app, ["analyze", str(target)])
        assert result.exit_code in (1, 2)
        assert reason in result.output and "Traceback" not in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("reportlens ")


def test_show_without_store_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["show", "abc", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no store here" in result.output


def test_ingest_mixed_folder_reports_bad_files_and_keeps_good_ones(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("A Good Report\n\nThe province built 12 new demonstration sites in 2001.\n")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    db = tmp_path / "s.db"
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(db)])
    assert result.exit_code == 1
    assert "empty.txt" in result.output and "binary.pdf" in result.output
    assert "Traceback" not in result.output
    listed = runner.invoke(app, ["list", "--db", str(db), "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines() if line.strip()]
    assert [r["title"] for r in rows] == ["A Good Report"]
    # a second run redoes nothing and still reports the bad files
    again = runner.invoke(app, ["ingest", str(folder), "--db", str(db)])
    assert again.exit_code == 1
    assert "unchanged" in again.output


@pytest.mark.slow
def test_analyze_model_report_prints_the_contract():
    result = subprocess.run([sys.executable, "-m", "pipeline", "analyze", str(MODEL_REPORT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == "1"
    assert set(doc) >= {"report", "figures", "stages", "practices", "findings", "recommendations"}
    report = doc["report"]
    assert report["title"] == ("Investigation Report on the Work of Party Building in the Two New "
                               "Organizations in Zhejiang Province")
    for chrome in ("Work report > Investigation report", "recommended article", "popular articles"):
        assert chrome not in report["text"]
    top = [s for s in report["sections"] if s["level"] == 1]
    assert [s["kind"] for s in top][:3] == ["situation", "findings", "recommendations"]
    for item in doc["figures"] + doc["practices"]:
        start, end = item["span"]
        assert 0 <= start < end <= len(report["text"])


@pytest.mark.slow
def test_run_then_show(tmp_path):
    db = tmp_path / "s.db"
    first = runner.invoke(app, ["run", str(MODEL_REPORT), "--db", str(db), "--workers", "1"])
    assert first.exit_code == 0, first.output
    rows = [json.loads(x) for x in runner.invoke(app, ["list", "--db", str(db), "--json"]).output.splitlines()]
    assert len(rows) == 1 and rows[0]["figures"] > 10 and rows[0]["practices"] > 5
    shown = runner.invoke(app, ["show", rows[0]["id"][:8], "--db", str(db)])
    assert shown.exit_code == 0
    assert "Investigation Report on the Work of Party Building" in shown.output
    assert "Practices" in shown.output and "Recommendations" in shown.output
    second = runner.invoke(app, ["run", str(MODEL_REPORT), "--db", str(db), "--workers", "1"])
    assert second.exit_code == 0
    assert "unchanged" in second.output


def _small_store(path):
    """A store of two small reports, written without the NLP stages."""
    from pipeline.store import Store

    from .test_export import sample

    with Store(path) as store:
        store.save(sample("abc123"), "v1")
        store.save(sample("abd456"), "v1")
    return path


@pytest.mark.parametrize("fmt, make, reason", [
    ("jsonl", lambda p: p / "missing" / "deeper" / "all.jsonl", "no such folder"),
    ("json", lambda p: (p / "afile").write_text("x") and p / "afile", "is a file"),
    ("csv", lambda p: (p / "afile").write_text("x") and p / "afile", "is a file"),
    ("jsonl", lambda p: (p / "adir").mkdir() or p / "adir", "is a folder"),
])
def test_export_to_a_bad_out_path_is_one_line(tmp_path, fmt, make, reason):
    db = _small_store(tmp_path / "s.db")
    out = make(tmp_path)
    result = runner.invoke(app, ["export", "--db", str(db), "--format", fmt, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(out) in lines[0] and reason in lines[0], result.output


@pytest.mark.parametrize("command", [["list"], ["show", "abc"], ["search", "sites"], ["summarize", "abc"],
                                     ["similar", "abc:P1"], ["export", "--format", "jsonl"], ["themes"]])
@pytest.mark.parametrize("content", [None, b""])
def test_read_commands_on_a_missing_or_empty_db_say_there_is_no_store(tmp_path, command, content):
    db = tmp_path / "none.db"
    if content is not None:
        db.write_bytes(content)
    result = runner.invoke(app, [*command, "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert "no store here" in result.output and "Traceback" not in result.output
    assert (db.read_bytes() == content) if content is not None else not db.exists()
    assert not (tmp_path / "none.db-wal").exists()


def test_read_commands_leave_the_store_file_untouched(tmp_path):
    db = _small_store(tmp_path / "s.db")
    before = db.read_bytes()
    for command in (["list"], ["show", "abc"], ["export", "--format", "jsonl"]):
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 0, (command, result.output)
    assert db.read_bytes() == before


def test_run_on_a_missing_path_counts_it_as_failed(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path / "does-not-exist"), "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 1
    assert "does-not-exist: no such file or folder" in result.output
    assert re.search(r"failed\s*│\s*1", result.output), result.output


def test_duplicates_are_reported_with_the_file_they_copy(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("A Good Report\n\nThe province built 12 new demonstration sites in 2001.\n")
    (folder / "b.txt").write_text((folder / "a.txt").read_text())
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 0, result.output
    assert f"b.txt: duplicate of {folder / 'a.txt'}" in result.output
    assert re.search(r"duplicate\s*│\s*1", result.output)


def test_the_end_of_run_line_keeps_the_store_path_whole(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("A Good Report\n\nThe province built 12 new demonstration sites in 2001.\n")
    db = tmp_path / ("a-store-with-a-rather-long-name-" * 3 + "fresh.db")
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(db)], env={"COLUMNS": "150"})
    assert result.exit_code == 0, result.output
    assert f"→ {db}\n" in result.output, result.output


def test_progress_on_a_terminal_shows_the_current_file_eta_and_the_themes_step(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "county-survey.txt").write_text("A Good Report\n\nFirst, the province built 12 new demonstration "
                                              "sites in 2001.\n")
    result = runner.invoke(app, ["run", str(folder), "--db", str(tmp_path / "s.db"), "--workers", "1"],
                           env={"FORCE_COLOR": "1", "REPORTLENS_EMBEDDER": "tfidf", "COLUMNS": "150"})
    assert result.exit_code == 0, result.output
    assert "county-survey.txt" in result.output and "eta" in result.output
    assert "building themes" in result.output


def _numbered_store(path):
    from pipeline.store import Store

    from .test_export import sample

    with Store(path) as store:
        for rid, number, year, title in (("r1", "GAO-26-100", 2026, "Grants"), ("r2", "GAO-06-99", 2006, "Energy"),
                                         ("r3", "HL Paper 190", 2025, "[Space] economy"), ("r4", None, None, "Notes")):
            analysis = sample(rid)
            analysis.report = analysis.report.model_copy(update={"number": number, "year": year, "title": title})
            store.save(analysis, "v1")
    return path


def test_list_shows_year_and_number_and_sorts_and_filters_by_them(tmp_path):
    db = _numbered_store(tmp_path / "s.db")

    def listed(*args):
        result = runner.invoke(app, ["list", "--db", str(db), "--json", *args])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines()]

    assert [r["title"] for r in listed()] == ["[Space] economy", "Energy", "Grants", "Notes"]
    assert [r["number"] for r in listed("--sort", "number")] == ["GAO-06-99", "GAO-26-100", "HL Paper 190", None]
    assert [r["year"] for r in listed("--sort", "year")] == [2026, 2025, 2006, None]
    assert [r["id"] for r in listed("--since", "2010")] == ["r3", "r1"]
    assert [r["id"] for r in listed("--until", "2010")] == ["r2"]
    assert [r["id"] for r in listed("--number", "gao-26")] == ["r1"]
    table = runner.invoke(app, ["list", "--db", str(db)], env={"COLUMNS": "200"})
    assert "GAO-26-100" in table.output and "2026" in table.output and "[Space] economy" in table.output
    csv_out = runner.invoke(app, ["list", "--db", str(db), "--csv", "--bom"]).output
    assert csv_out.startswith("\ufeffid,number,year,title")


def test_json_and_csv_together_is_a_usage_error(tmp_path):
    db = _numbered_store(tmp_path / "s.db")
    assert runner.invoke(app, ["list", "--db", str(db), "--json", "--csv"]).exit_code == 2


def _search_store(path):
    """Two reports with practices, findings and text, their item vectors from a bag-of-words stand-in."""
    from pipeline.store import Store
    from pipeline.vectors import index_items

    from .test_search import BagOfWordsEmbedder, report

    with Store(path) as store:
        store.save(report("e5b2ebcaf2", "Zhejiang visit", ["Build demonstration sites for party building",
                                                          "Train party cadres at the county school"],
                          findings=["Demonstration sites raised membership in private firms"]), "v")
        store.save(report("a1b2c3d4e5", "Jiangsu visit", ["Set up demonstration sites in industrial parks"],
                          regions=("Jiangsu",)), "v")
        index_items(store, BagOfWordsEmbedder())
    return path


def test_keyword_search_shows_kind_score_report_snippet_and_the_reports_text(tmp_path):
    db = _search_store(tmp_path / "s.db")
    result = runner.invoke(app, ["search", "demonstration sites", "--db", str(db), "--mode", "keyword",
                                 "--kind", "all"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "kind" in result.output and "score" in result.output and "Zhejiang visit" in result.output
    assert "finding" in result.output and "practice" in result.output
    assert "In the reports' text" in result.output
    rows = [json.loads(line) for line in runner.invoke(
        app, ["search", "membership", "--db", str(db), "--mode", "keyword", "--json"]).output.splitlines()]
    [text_hit] = [r for r in rows if r["kind"] == "text"]
    assert "membership" in text_hit["text"] and text_hit["report_id"] == "e5b2ebcaf2"
    from pipeline.store import Store

    with Store(db) as store:
        full = store.load("e5b2ebcaf2").report.text
    assert full[text_hit["span"][0]:text_hit["span"][1]] == text_hit["text"]


def test_search_marks_the_matched_words(tmp_path):
    db = _search_store(tmp_path / "s.db")
    result = runner.invoke(app, ["search", "cadres", "--db", str(db), "--mode", "keyword"],
                           env={"FORCE_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0
    assert "\x1b[1;33mcadres" in result.output  # bold yellow


def test_similar_takes_a_unique_id_prefix_and_shows_scores(tmp_path, monkeypatch):
    import pipeline.search

    from .test_search import BagOfWordsEmbedder

    monkeypatch.setattr(pipeline.search.Searcher, "embedder", property(lambda self: BagOfWordsEmbedder()))
    db = _search_store(tmp_path / "s.db")
    result = runner.invoke(app, ["similar", "e5b2:P1", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    [hit] = [json.loads(line) for line in result.output.splitlines()]
    assert hit["report_id"] == "a1b2c3d4e5" and 0 < hit["score"] <= 1
    table = runner.invoke(app, ["similar", "e5b2:P1", "--db", str(db)], env={"COLUMNS": "200"})
    assert "score" in table.output and f"{hit['score']:.3g}" in table.output
    missing = runner.invoke(app, ["similar", "ffff:P1", "--db", str(db)])
    assert missing.exit_code == 1 and "no report with id 'ffff'" in missing.output


def test_search_csv(tmp_path):
    db = _search_store(tmp_path / "s.db")
    result = runner.invoke(app, ["search", "sites", "--db", str(db), "--mode", "keyword", "--csv"])
    rows = list(__import__("csv").DictReader(result.output.splitlines()))
    assert rows and {"kind", "score", "report_title", "start", "end"} <= set(rows[0])


def test_export_csv_with_bom_and_xlsx(tmp_path):
    db = _small_store(tmp_path / "s.db")
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "csv", "--bom", "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["figures.csv", "findings.csv", "practices.csv",
                                                                  "recommendations.csv"]
    assert (tmp_path / "t" / "figures.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    book = tmp_path / "all.xlsx"
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "xlsx", "--out", str(book)])
    assert result.exit_code == 0, result.output
    assert book.read_bytes().startswith(b"PK")
    assert runner.invoke(app, ["export", "--db", str(db), "--format", "xlsx"]).exit_code == 2


def test_remove_takes_the_report_and_everything_of_it(tmp_path):
    from pipeline.corpus import refresh_themes
    from pipeline.store import Store

    from .test_search import BagOfWordsEmbedder

    db = _search_store(tmp_path / "s.db")
    with Store(db) as store:
        refresh_themes(store, embedder=BagOfWordsEmbedder(), n_themes=2)
    result = runner.invoke(app, ["remove", "e5b2", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "removed e5b2ebcaf2" in result.output
    with Store(db) as store:
        assert [r.id for r in store.reports()] == ["a1b2c3d4e5"]
        count = lambda sql: store.conn.execute(sql).fetchone()[0]  # noqa: E731
        assert count("SELECT COUNT(*) FROM items WHERE report_id = 'e5b2ebcaf2'") == 0
        assert count("SELECT COUNT(*) FROM item_vectors") == count("SELECT COUNT(*) FROM items") == 1
        assert count("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH 'cadres'") == 0
        assert count("SELECT COUNT(*) FROM sentences_fts WHERE sentences_fts MATCH 'cadres'") == 0
        assert count("SELECT COUNT(*) FROM sentences WHERE report_id = 'e5b2ebcaf2'") == 0
        assert count("SELECT COUNT(*) FROM practice_themes WHERE report_id = 'e5b2ebcaf2'") == 0
        themes = store.themes()
        assert themes and all(not m.startswith("e5b2ebcaf2:") for t in themes for m in t["members"])
        assert sum(t["size"] for t in themes) == 1
    again = runner.invoke(app, ["remove", "e5b2", "--db", str(db)])
    assert again.exit_code == 1 and "no report with id 'e5b2'" in again.output


def test_sources_lists_the_files_merged_into_a_report_and_remove_takes_a_path(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("A Good Report\n\nThe province built 12 new demonstration sites in 2001.\n")
    (folder / "b.txt").write_text((folder / "a.txt").read_text())
    db = tmp_path / "s.db"
    assert runner.invoke(app, ["ingest", str(folder), "--db", str(db)]).exit_code == 0
    [row] = [json.loads(x) for x in runner.invoke(app, ["list", "--db", str(db), "--json"]).output.splitlines()]
    listed = runner.invoke(app, ["sources", row["id"][:6], "--db", str(db), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [Path(json.loads(x)["path"]).name for x in listed.output.splitlines()] == ["a.txt", "b.txt"]
    result = runner.invoke(app, ["remove", str(folder / "b.txt"), "--db", str(db)])
    assert result.exit_code == 0 and "2 source files" in result.output
    assert runner.invoke(app, ["list", "--db", str(db), "--json"]).output == ""


@pytest.mark.slow
def test_reanalyze_runs_the_stages_again_on_the_stored_text(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("A Survey of the County\n\nII. Main practices\n\nFirst, build demonstration "
                                  "sites. Each township chose one site.\nSecond, train cadres.\n")
    db = tmp_path / "s.db"
    env = {"REPORTLENS_EMBEDDER": "tfidf"}
    assert runner.invoke(app, ["ingest", str(folder), "--db", str(db)], env=env).exit_code == 0
    [row] = [json.loads(x) for x in runner.invoke(app, ["list", "--db", str(db), "--json"]).output.splitlines()]
    assert row["practices"] == 0
    (folder / "a.txt").unlink()  # the stored text is enough
    result = runner.invoke(app, ["reanalyze", row["id"][:6], "--db", str(db)], env=env)
    assert result.exit_code == 0, result.output
    [after] = [json.loads(x) for x in runner.invoke(app, ["list", "--db", str(db), "--json"]).output.splitlines()]
    assert after["practices"] >= 2


def test_output_options_are_one_shared_set():
    import typer.main

    commands = typer.main.get_command(app).commands
    helps: dict[str, set] = {}
    for name, command in commands.items():
        for param in command.params:
            if param.opts[0] in ("--json", "--csv", "--bom"):
                helps.setdefault(param.opts[0], set()).add(param.help)
    assert {k: len(v) for k, v in helps.items()} == {"--json": 1, "--csv": 1, "--bom": 1}
    with_json = {n for n, c in commands.items() if any(p.opts[0] == "--json" for p in c.params)}
    assert {"list", "show", "search", "similar", "themes", "sources"} <= with_json
