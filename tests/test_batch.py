"""The batch job: incremental re-runs, changed files, duplicates, crash safety and concurrent runs."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from pipeline.batch import run
from pipeline.store import Store

from .conftest import ROOT

REPORT = """{title}

I. Basic situation

By the end of 2001 the county had {n} registered enterprises, up 12% from 2000.

II. Main practices

First, strengthen leadership. The county set up a leading group.
Second, build demonstration sites. Each township chose one site.
"""


def write_reports(folder, n, start=0):
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        (folder / f"report-{i:03d}.txt").write_text(REPORT.format(title=f"Survey of county {i}", n=1000 + i))


def test_ingest_is_incremental(tmp_path):
    src = tmp_path / "in"
    write_reports(src, 3)
    db = tmp_path / "s.db"
    first = run([src], db, analyze=False)
    assert first.count("new") == 3
    second = run([src], db, analyze=False)
    assert second.count("unchanged") == 3 and second.count("new") == 0
    # a changed file is redone, and its old report goes
    (src / "report-001.txt").write_text(REPORT.format(title="Survey of county 1, revised", n=5))
    third = run([src], db, analyze=False)
    assert third.count("updated") == 1 and third.count("unchanged") == 2
    with Store(db) as store:
        titles = sorted(r.title for r in store.reports())
    assert titles == ["Survey of county 0", "Survey of county 1, revised", "Survey of county 2"]


def test_a_file_that_takes_too_long_fails_alone_and_the_batch_goes_on(tmp_path, monkeypatch):
    import pipeline.extract

    real = pipeline.extract.analyze_report

    def stuck_on_county_1(report, **kwargs):
        while "county 1" in report.title:  # a pathological input the stages never finish
            time.sleep(0.01)
        return real(report, **kwargs)

    monkeypatch.setenv("REPORTLENS_EMBEDDER", "tfidf")
    write_reports(tmp_path / "warm", 1)
    run([tmp_path / "warm"], tmp_path / "warm.db")  # load the models before the clock matters
    monkeypatch.setattr(pipeline.extract, "analyze_report", stuck_on_county_1)
    src = tmp_path / "in"
    write_reports(src, 3)
    db = tmp_path / "s.db"
    started = time.perf_counter()
    summary = run([src], db, time_limit_s=1.0)
    assert time.perf_counter() - started < 60
    assert summary.count("new") == 2
    [failed] = summary.failed
    assert failed.path.name == "report-001.txt" and "gave up after 1 s" in failed.error
    with Store(db) as store:
        assert sorted(r.title for r in store.reports()) == ["Survey of county 0", "Survey of county 2"]


def test_loading_the_models_does_not_count_against_a_files_time_limit(tmp_path, monkeypatch):
    import pipeline.batch

    real = pipeline.batch.warm_up

    def slow_model_load(embedder):
        time.sleep(2.0)
        real(embedder)

    monkeypatch.setenv("REPORTLENS_EMBEDDER", "tfidf")
    monkeypatch.setattr(pipeline.batch, "warm_up", slow_model_load)
    src = tmp_path / "in"
    write_reports(src, 2)
    summary = run([src], tmp_path / "s.db", time_limit_s=1.5)
    assert summary.count("new") == 2, [o.error for o in summary.failed]


def test_a_worker_that_timed_out_takes_no_more_files():
    import pipeline.batch

    try:
        pipeline.batch._timed_out_here = True
        work = pipeline.batch.process_file(ROOT / "missing.txt", None, True, "v", 1.0, in_worker=True)
    finally:
        pipeline.batch._timed_out_here = False
    assert work.retry and work.error is None


@pytest.mark.slow
def test_after_a_file_gives_up_in_a_worker_the_next_files_are_analyzed(tmp_path):
    """The models load outside the limit, and a worker that gave up is replaced by a fresh one (an
    interrupted model load used to make every later file of that worker fail: "Only a single
    TORCH_LIBRARY can be used to register the namespace prims")."""
    src = tmp_path / "in"
    write_reports(src, 5)
    paragraph = "In 2001 the county had 1,234 enterprises, up 12% from 2000, and 56 sites. " * 40
    (src / "big.txt").write_text("A Very Long Survey\n\n" + "\n\n".join(
        f"{i}. Section {i}\n\n{paragraph}" for i in range(1, 120)))
    summary = run([src], tmp_path / "s.db", workers=2, time_limit_s=3.0)
    errors = {o.path.name: o.error for o in summary.failed}
    assert list(errors) == ["big.txt"] and "gave up after 3 s" in errors["big.txt"], errors
    assert summary.count("new") == 5


@pytest.mark.parametrize("workers", [1, 2])
def test_identical_content_in_two_files_is_one_report(tmp_path, workers):
    src = tmp_path / "in"
    write_reports(src, 1)
    (src / "copy.txt").write_text((src / "report-000.txt").read_text())
    db = tmp_path / "s.db"
    summary = run([src], db, analyze=False, workers=workers)
    assert summary.count("new") == 1 and summary.count("duplicate") == 1
    [duplicate] = [o for o in summary.outcomes if o.status == "duplicate"]
    [first] = [o for o in summary.outcomes if o.status == "new"]
    assert duplicate.duplicate_of == str(first.path)
    with Store(db) as store:
        assert store.count_reports() == 1
        assert len(store.sources_of(first.report_id)) == 2
    # a re-run finds both unchanged on disk
    assert run([src], db, analyze=False, workers=workers).count("unchanged") == 2
    # a third copy added later is a duplicate of a stored file
    (src / "copy2.txt").write_text((src / "report-000.txt").read_text())
    third = run([src], db, analyze=False)
    [late] = [o for o in third.outcomes if o.status == "duplicate"]
    assert late.path.name == "copy2.txt" and late.duplicate_of.endswith(("copy.txt", "report-000.txt"))


def test_a_named_path_that_does_not_exist_is_a_failed_file(tmp_path):
    src = tmp_path / "in"
    write_reports(src, 1)
    summary = run([tmp_path / "does-not-exist", src], tmp_path / "s.db", analyze=False)
    assert summary.count("failed") == 1 and summary.count("new") == 1
    assert summary.failed[0].error == "no such file or folder"


def test_progress_hears_of_each_file_and_of_the_themes_step(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTLENS_EMBEDDER", "tfidf")
    src = tmp_path / "in"
    write_reports(src, 2)
    files, steps = [], []
    run([src], tmp_path / "s.db", on_file=files.append, on_step=steps.append)
    assert [p.name for p in files] == ["report-000.txt", "report-001.txt"]
    assert steps == ["themes"]


def test_touched_but_identical_file_is_not_redone(tmp_path):
    src = tmp_path / "in"
    write_reports(src, 1)
    db = tmp_path / "s.db"
    run([src], db, analyze=False)
    path = src / "report-000.txt"
    os.utime(path, (time.time() + 10, time.time() + 10))
    summary = run([src], db, analyze=False)
    assert summary.count("unchanged") == 1


def _check_store_complete(db, expected):
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    titles = [r[0] for r in conn.execute("SELECT title FROM reports ORDER BY title")]
    assert titles == sorted(f"Survey of county {i}" for i in range(expected))
    # every stored report has its sections and its source: nothing half-written
    assert conn.execute("SELECT COUNT(*) FROM reports r WHERE NOT EXISTS "
                        "(SELECT 1 FROM sections s WHERE s.report_id = r.id)").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == expected
    conn.close()


def test_sigkill_mid_batch_then_rerun_completes_the_store(tmp_path):
    src = tmp_path / "in"
    write_reports(src, 40)
    db = tmp_path / "s.db"
    env = {**os.environ, "REPORTLENS_EMBEDDER": "tfidf"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(src), "--db", str(db), "--workers", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    stored = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db.exists():
            try:
                conn = sqlite3.connect(db, timeout=1)
                stored = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
                conn.close()
            except sqlite3.Error:
                continue
            if stored >= 3:
                break
    if proc.poll() is not None:
        pytest.fail("the batch finished before it could be killed; give it more files")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 3 <= stored < 40
    rerun = subprocess.run([sys.executable, "-m", "pipeline", "run", str(src), "--db", str(db), "--workers", "1"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    _check_store_complete(db, 40)


def test_two_concurrent_runs_leave_a_consistent_store(tmp_path):
    src = tmp_path / "in"
    write_reports(src, 12)
    db = tmp_path / "s.db"
    env = {**os.environ, "REPORTLENS_EMBEDDER": "tfidf"}
    cmd = [sys.executable, "-m", "pipeline", "run", str(src), "--db", str(db), "--workers", "1"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, results):
        assert proc.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    _check_store_complete(db, 12)


def test_the_sentence_index_from_the_worker_equals_the_stores_own_split(tmp_path, monkeypatch):
    """The batch hands the store the sentence spans its worker computed; they must be the spans the store
    would find itself (reanalyze and older callers still let it split)."""
    import pipeline.batch

    monkeypatch.setenv("REPORTLENS_EMBEDDER", "tfidf")
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(REPORT.format(title="Survey of the old county", n=1200))
    handed = []
    real = pipeline.batch.process_file

    def spy(*args, **kwargs):
        work = real(*args, **kwargs)
        handed.append(work.sentences)
        return work

    monkeypatch.setattr(pipeline.batch, "process_file", spy)
    run([src], tmp_path / "s.db")
    assert handed and handed[0]  # the worker did split the text
    with Store(tmp_path / "s.db") as store:
        [report] = store.reports()
        by_worker = store.conn.execute("SELECT start, end FROM sentences ORDER BY start").fetchall()
        analysis = store.load(report.id)
        store.save(analysis, "v")  # no spans given: the store splits the text itself
        by_store = store.conn.execute("SELECT start, end FROM sentences ORDER BY start").fetchall()
    assert [tuple(r) for r in by_worker] == [tuple(r) for r in by_store] == [tuple(s) for s in handed[0]]
