"""The batch on Ray and through Parquet shards gives the store a local run gives (issue 17).

One local Ray instance (2 CPUs) serves the whole module: Ray takes seconds to start. The corpus is six
reports written for these tests (tests/fixtures/scale/ and tests/fixtures/reports/), a second file with
the content of one of them, and a file that is not what its suffix says.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install -e '.[scale]')")
pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install -e '.[scale]')")

from pipeline.batch import run  # noqa: E402
from pipeline.export import write_jsonl  # noqa: E402
from pipeline.store import Store  # noqa: E402

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
BAD = "not-a-pdf.pdf"


@pytest.fixture(scope="module")
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scale") / "in"
    folder.mkdir()
    for path in sorted((FIXTURES / "scale").iterdir()):
        shutil.copy(path, folder / path.name)
    shutil.copy(FIXTURES / "reports" / "rural_revitalization_investigation.txt", folder)
    # the same content under a name that sorts first: the report must name it whichever file came first
    shutil.copy(folder / "transit-inquiry.md", folder / "a-copy-of-transit-inquiry.md")
    (folder / BAD).write_text("minutes of the meeting, saved as text\n")
    return folder


def exported(db: Path) -> str:
    out = io.StringIO()
    with Store(db) as store:
        write_jsonl(store.iter_analyses(), out)
    return out.getvalue()


def outcomes(summary) -> dict[str, tuple]:
    return {o.path.name: (o.status if o.status != "duplicate" else "new", o.report_id, o.error)
            for o in summary.outcomes}


@pytest.fixture(scope="module")
def local_run(corpus, tmp_path_factory):
    db = tmp_path_factory.mktemp("local") / "s.db"
    summary = run([corpus], db, workers=2)
    return summary, exported(db)


def test_a_ray_run_stores_what_a_local_run_stores(ray_session, corpus, local_run, tmp_path):
    local_summary, local_export = local_run
    summary = run([corpus], tmp_path / "s.db", executor="ray", workers=2)
    assert exported(tmp_path / "s.db") == local_export
    assert local_export.count("\n") == 6
    # the same outcome for every file (which of the two identical files is the duplicate depends on arrival)
    assert outcomes(summary) == outcomes(local_summary)
    [failed] = summary.failed
    assert failed.path.name == BAD and failed.error.startswith("not a PDF") and "\n" not in failed.error
    # the report of the two identical files names the first of them in path order
    with Store(tmp_path / "s.db") as store:
        sources = {a.report.source for a in store.iter_analyses()}
    assert str(corpus / "a-copy-of-transit-inquiry.md") in sources
    assert str(corpus / "transit-inquiry.md") not in sources
    # a re-run skips every file, as locally
    again = run([corpus], tmp_path / "s.db", executor="ray", workers=2)
    assert {o.status for o in again.outcomes} == {"unchanged", "failed"}
    assert exported(tmp_path / "s.db") == local_export


def _analyzer_busy() -> list[int]:
    """Pids of the Ray actor processes running a file now (Ray titles them ``ray::Analyzer.process``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if title.startswith(b"ray::Analyzer.process"):
                pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the Ray worker to kill in /proc")
def test_a_worker_killed_mid_file_is_retried_and_the_store_is_complete(ray_session, corpus, local_run, tmp_path):
    killed: list[int] = []
    done = threading.Event()

    def killer() -> None:
        while not done.is_set() and not killed:
            busy = _analyzer_busy()
            if busy:
                os.kill(busy[0], signal.SIGKILL)  # one worker of this test's Ray instance, by its pid
                killed.append(busy[0])
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        summary = run([corpus], tmp_path / "s.db", executor="ray", workers=2)
    finally:
        done.set()
        thread.join()
    assert killed, "no Ray worker was seen running a file"
    assert [o.path.name for o in summary.failed] == [BAD]
    assert exported(tmp_path / "s.db") == local_run[1]


def test_parquet_shards_load_into_the_same_store_in_any_order_and_twice(ray_session, corpus, local_run, tmp_path,
                                                                       monkeypatch):
    import pipeline.executors.local as local_executor
    from pipeline.shards import load_shards, shard_parts

    # shards from the Ray executor, a few reports per shard
    monkeypatch.setattr("pipeline.shards.SHARD_REPORTS", 3)
    summary = run([corpus], None, executor="ray", workers=2, out=tmp_path / "shards")
    assert [o.path.name for o in summary.failed] == [BAD]
    assert len(shard_parts(tmp_path / "shards")) == 3  # 7 files: 3 + 3 + 1
    assert not (tmp_path / "s.db").exists()

    with Store(tmp_path / "s.db") as store:
        loaded = load_shards(tmp_path / "shards", store)
    assert (loaded.reports, loaded.sources) == (6, 1)
    assert exported(tmp_path / "s.db") == local_run[1]
    dump = "\n".join(sqlite3.connect(tmp_path / "s.db").iterdump())
    with Store(tmp_path / "s.db") as store:
        again = load_shards(tmp_path / "shards", store)
    assert (again.reports, again.sources, again.unchanged) == (0, 0, 7)
    assert "\n".join(sqlite3.connect(tmp_path / "s.db").iterdump()) == dump  # loading twice changed nothing

    # the same files arriving in the opposite order (the local executor, results reversed): the same export
    real = local_executor.map_files
    monkeypatch.setattr(local_executor, "map_files", lambda *a, **k: reversed(list(real(*a, **k))))
    run([corpus], None, workers=1, out=tmp_path / "reversed")
    with Store(tmp_path / "r.db") as store:
        load_shards(tmp_path / "reversed", store)
    assert exported(tmp_path / "r.db") == local_run[1]

    # a run over shards already written reads nothing again
    rerun = run([corpus], None, executor="ray", workers=2, out=tmp_path / "shards")
    assert {o.status for o in rerun.outcomes} == {"unchanged", "failed"}
    assert len(shard_parts(tmp_path / "shards")) == 3


def test_a_driver_killed_mid_batch_leaves_whole_reports_and_a_rerun_finishes(ray_session, corpus, local_run,
                                                                              tmp_path):
    import subprocess
    import sys

    db = tmp_path / "s.db"
    # a second driver on this module's Ray instance (--address), killed once it has stored a report
    address = ray.get_runtime_context().gcs_address
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH", "")])}
    driver = subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(corpus), "--db", str(db),
                               "--executor", "ray", "--address", address, "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stored = 0
    try:
        deadline = time.monotonic() + 300
        while driver.poll() is None and time.monotonic() < deadline and not stored:
            time.sleep(0.05)
            if db.exists():
                try:
                    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                        stored = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
                except sqlite3.OperationalError:  # not created yet, or migrating
                    pass
    finally:
        driver.kill()
        driver.wait()
    assert 1 <= stored < 6, "the driver was not killed mid-batch"
    local_lines = set(local_run[1].splitlines())
    with Store(db) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        partial = io.StringIO()
        write_jsonl(store.iter_analyses(), partial)
    # each report there is whole: every item the local run found (before themes: no theme on practices yet)
    import json

    kinds = ("figures", "stages", "practices", "findings", "recommendations")
    local = {r["report"]["id"]: r for r in map(json.loads, local_lines)}
    partial_reports = [json.loads(line) for line in partial.getvalue().splitlines()]
    assert 1 <= len(partial_reports) < 6
    for report in partial_reports:
        expected = local[report["report"]["id"]]
        assert report["report"]["text"] == expected["report"]["text"]
        assert {k: len(report[k]) for k in kinds} == {k: len(expected[k]) for k in kinds}
    rerun = run([corpus], db, executor="ray", workers=2)
    assert [o.path.name for o in rerun.failed] == [BAD]
    assert {o.status for o in rerun.outcomes} >= {"unchanged", "new"}
    assert set(exported(db).splitlines()) == local_lines and exported(db) == local_run[1]


def test_a_file_over_the_time_limit_on_a_ray_actor_fails_alone_and_a_rerun_stores_it(ray_session, corpus, local_run,
                                                                                   tmp_path):
    # a limit no analysis meets (loading the models does not count): every readable file gives up
    summary = run([corpus], tmp_path / "s.db", executor="ray", workers=2, time_limit_s=0.001)
    gave_up = [o for o in summary.failed if o.path.name != BAD]
    assert gave_up and all(o.error.startswith("gave up after 0.001 s") and "\n" not in o.error for o in gave_up)
    assert not summary.count("new")
    # the actors that timed out were replaced, and the batch went on: nothing half-done is in the store
    summary = run([corpus], tmp_path / "s.db", executor="ray", workers=2)
    assert [o.path.name for o in summary.failed] == [BAD]
    assert exported(tmp_path / "s.db") == local_run[1]


def test_the_command_on_a_ray_instance_of_its_own_prints_only_its_own_lines(corpus, tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    files = [str(corpus / name) for name in ("county-water-audit.txt", BAD)]
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", *files, "--db", str(tmp_path / "s.db"),
                           "--executor", "ray", "--workers", "1"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1  # one file failed
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[0].startswith(f"{corpus / BAD}: not a PDF")  # the bad file, on one line, first
    assert lines[1].startswith("2 files in ") and not any("Ray" in line or "token" in line.lower() for line in lines)
