from __future__ import annotations

import sqlite3

import pytest

from pipeline.records import Analysis, Figure, Practice, Report, Section
from pipeline.store import MIGRATIONS, Store, StoreError


def make_analysis(report_id: str = "r1", text: str = "First, build sites. Output grew 5%.") -> Analysis:
    report = Report(id=report_id, source="x.txt", title="A report", language="en", text=text,
                    studied_regions=["Zhejiang"], target_region="Shanghai",
                    sections=[Section(heading="Practices", level=1, kind="practices", span=(0, len(text)))])
    return Analysis(
        report=report,
        figures=[Figure(id="F1", text="5%", span=(32, 34), sentence="Output grew 5%.", value=5, kind="percent",
                        unit="%", measures="output")],
        practices=[Practice(id="P1", text="build sites", span=(7, 18), level=1)],
    )


def test_save_and_load_round_trip(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save(make_analysis(), "v1")
        loaded = store.load("r1")
    assert loaded == make_analysis()
    assert loaded.figures[0].value == 5


def test_schema_is_migrated_once_and_versioned(tmp_path):
    db = tmp_path / "s.db"
    with Store(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        store.save(make_analysis(), "v1")
    with Store(db) as store:  # reopening must not re-run migrations or lose data
        assert store.schema_version == len(MIGRATIONS)
        assert store.count_reports() == 1


def test_wal_mode(tmp_path):
    with Store(tmp_path / "s.db") as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_resave_replaces_items(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save(make_analysis(), "v1")
        changed = make_analysis()
        changed.practices = []
        store.save(changed, "v2")
        assert store.load("r1").practices == []
        assert store.analysis_version("r1") == "v2"
        assert next(store.reports()).counts["practices"] == 0


def test_failed_write_keeps_what_was_stored(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save(make_analysis(), "v1")
        broken = make_analysis()
        broken.practices = [broken.practices[0], broken.practices[0]]  # duplicate id violates UNIQUE
        with pytest.raises(StoreError, match="cannot write report r1"):
            store.save(broken, "v2")
        assert store.load("r1") == make_analysis()
        assert store.analysis_version("r1") == "v1"


def test_corrupt_store_gives_clear_error(tmp_path):
    db = tmp_path / "bad.db"
    db.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError) as info:
        Store(db)
    assert str(db) in str(info.value) and "not a reportlens store or is corrupt" in str(info.value)


def test_a_store_locked_at_open_is_retried_until_it_frees(tmp_path, monkeypatch):
    # Another process switching a cold store to WAL or migrating it can make SQLite say "locked" at once,
    # without waiting on busy_timeout (seen in CI with two concurrent runs): opening must wait and retry.
    real_migrate = Store._migrate
    calls = []

    def flaky_migrate(self):
        calls.append(1)
        if len(calls) <= 2:
            raise sqlite3.OperationalError("database is locked")
        real_migrate(self)

    monkeypatch.setattr(Store, "_migrate", flaky_migrate)
    with Store(tmp_path / "s.db") as store:
        assert store.schema_version == len(MIGRATIONS)
    assert len(calls) == 3


def test_a_store_that_stays_locked_gives_a_clear_error(tmp_path, monkeypatch):
    import pipeline.store as store_module

    def locked(self):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)
    monkeypatch.setattr(Store, "_migrate", locked)
    with pytest.raises(StoreError) as info:
        Store(tmp_path / "s.db")
    assert str(tmp_path / "s.db") in str(info.value) and "locked by another process" in str(info.value)


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this reportlens"):
        Store(db)


def test_changed_source_drops_its_old_report(tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("one")
    with Store(tmp_path / "s.db") as store:
        store.save(make_analysis("old"), "v1", source=src)
        assert store.source(src).report_id == "old"
        src.write_text("two, longer")
        store.save(make_analysis("new"), "v1", source=src)
        assert store.source(src).report_id == "new"
        assert not store.has_report("old")


def test_resolve_id_by_prefix(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save(make_analysis("abc123"), "v1")
        store.save(make_analysis("abd456"), "v1")
        assert store.resolve_id("abc") == "abc123"
        with pytest.raises(KeyError, match="ambiguous"):
            store.resolve_id("ab")
        with pytest.raises(KeyError, match="no report"):
            store.resolve_id("zz")


def test_embedding_cache_round_trip(tmp_path):
    import numpy as np

    with Store(tmp_path / "s.db") as store:
        store.cache_embeddings({"k1": np.array([0.5, 0.25], dtype=np.float32)}, "m")
        found = store.cached_embeddings(["k1", "k2"], "m")
        assert list(found) == ["k1"] and found["k1"].tolist() == [0.5, 0.25]
        assert store.cached_embeddings(["k1"], "other-model") == {}


def test_themes_are_stored_and_merged_into_loaded_practices(tmp_path):
    from pipeline.summarize import summarize

    with Store(tmp_path / "s.db") as store:
        analysis = make_analysis()
        analysis.summary = summarize(analysis)
        store.save(analysis, "v1")
        assert store.unthemed_practices() == {("r1", "P1")}
        store.replace_themes([{"id": "T9", "label": "sites"}], {("r1", "P1"): "T9"})
        loaded = store.load("r1")
        assert (loaded.practices[0].theme_id, loaded.practices[0].theme) == ("T9", "sites")
        assert loaded.summary.practice_tree[0].theme == "sites"
        assert store.themes() == [{"id": "T9", "label": "sites"}]
        assert store.unthemed_practices() == set()
        # re-saving the report (re-analysis) drops its stale assignments
        store.save(make_analysis(), "v2")
        assert store.unthemed_practices() == {("r1", "P1")}


def test_migration_from_version_1_backfills_the_search_index(tmp_path):
    from pipeline.store import _statements

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("""INSERT INTO reports (id, source, title, language, text, created_at, updated_at)
                    VALUES ('r1', 's', 't', 'en', 'x', 0, 0)""")
    conn.execute("""INSERT INTO items (report_id, kind, item_id, ord, text, start, end, data)
                    VALUES ('r1', 'practices', 'P1', 0, 'build demonstration sites', 0, 1, '{}')""")
    conn.commit()
    conn.close()
    with Store(db) as store:
        assert store.schema_version == len(MIGRATIONS) >= 2
        hits = store.conn.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH 'demonstration'").fetchall()
        assert len(hits) == 1
