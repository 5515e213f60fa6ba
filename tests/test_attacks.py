"""Attacks on reliability (issue 14): files that change or vanish under the batch, symlink loops, hostile
report text reaching the terminal. Each test failed before its fix."""
from __future__ import annotations

import os

import pytest

import pipeline.ingest
from pipeline.batch import run
from pipeline.store import Store

REPORT = """{title}

I. Basic situation

By the end of 2001 the county had {n} registered enterprises, up 12% from 2000.

II. Main practices

First, strengthen leadership. The county set up a leading group.
Second, build demonstration sites. Each township chose one site.
"""


def write_report(path, title, n=1000):
    path.write_text(REPORT.format(title=title, n=n))


@pytest.fixture(autouse=True)
def fast_embedder(monkeypatch):
    monkeypatch.setenv("REPORTLENS_EMBEDDER", "tfidf")


# -- defect 1: a file changed after it was read and before its report was saved ------------------------
@pytest.mark.parametrize("analyze", [False, True])
def test_a_file_changed_between_read_and_save_is_not_stored_as_unchanged(tmp_path, monkeypatch, analyze):
    src = tmp_path / "in"
    src.mkdir()
    target = src / "report.txt"
    write_report(target, "Survey of the old county")
    real_ingest = pipeline.ingest.ingest_file

    def ingest_then_edit(path):
        report = real_ingest(path)
        # the author saves a new version while the worker is still busy with the old one
        write_report(target, "Survey of the new county, revised", n=2000)
        os.utime(target, ns=(os.stat(target).st_atime_ns, os.stat(target).st_mtime_ns + 5_000_000_000))
        return report

    monkeypatch.setattr(pipeline.ingest, "ingest_file", ingest_then_edit)
    first = run([src], tmp_path / "s.db", analyze=analyze)
    [outcome] = first.outcomes
    assert outcome.status == "failed" and "changed while it was being read" in outcome.error
    assert "\n" not in outcome.error

    monkeypatch.setattr(pipeline.ingest, "ingest_file", real_ingest)
    second = run([src], tmp_path / "s.db", analyze=analyze)
    assert [o.status for o in second.outcomes] == ["new"]
    with Store(tmp_path / "s.db") as store:
        assert [r.title for r in store.reports()] == ["Survey of the new county, revised"]


def test_a_file_changed_after_an_earlier_run_stored_it_is_redone_not_left_stale(tmp_path, monkeypatch):
    """The same race on a file the store already holds: the old stat must not be replaced by the new one
    while the old content stays."""
    src = tmp_path / "in"
    src.mkdir()
    target = src / "report.txt"
    write_report(target, "Survey of the county, first edition")
    db = tmp_path / "s.db"
    assert run([src], db, analyze=False).count("new") == 1
    write_report(target, "Survey of the county, second edition", n=1500)
    os.utime(target, ns=(os.stat(target).st_atime_ns, os.stat(target).st_mtime_ns + 5_000_000_000))
    real_ingest = pipeline.ingest.ingest_file

    def ingest_then_edit(path):
        report = real_ingest(path)
        write_report(target, "Survey of the county, third edition", n=3000)
        os.utime(target, ns=(os.stat(target).st_atime_ns, os.stat(target).st_mtime_ns + 5_000_000_000))
        return report

    monkeypatch.setattr(pipeline.ingest, "ingest_file", ingest_then_edit)
    assert [o.status for o in run([src], db, analyze=False).outcomes] == ["failed"]
    monkeypatch.setattr(pipeline.ingest, "ingest_file", real_ingest)
    assert [o.status for o in run([src], db, analyze=False).outcomes] == ["updated"]
    with Store(db) as store:
        assert [r.title for r in store.reports()] == ["Survey of the county, third edition"]
