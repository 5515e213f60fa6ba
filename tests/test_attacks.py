"""Attacks on reliability (issue 14): files that change or vanish under the batch, symlink loops, hostile
report text reaching the terminal. Each defect has a test that failed before its fix; a few more guard the
fixes against regressions seen on the way."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipeline.ingest
from pipeline.batch import run
from pipeline.store import Store

from .test_batch import REPORT  # the same small report in the model's house style


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


# -- defect 2: a symlink loop, or a file removed mid-run, fails alone; the batch goes on ------------------
def test_a_symlink_loop_in_a_folder_is_one_failed_file_and_the_others_are_stored(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_report(src / "a.txt", "Survey of county A")
    os.symlink("loop.txt", src / "loop.txt")  # points at itself
    os.symlink("ping.md", src / "pong.md")
    os.symlink("pong.md", src / "ping.md")
    write_report(src / "z.txt", "Survey of county Z", n=7)
    summary = run([src], tmp_path / "s.db")
    by_name = {o.path.name: o for o in summary.outcomes}
    assert {n: o.status for n, o in by_name.items()} == {
        "a.txt": "new", "loop.txt": "failed", "ping.md": "failed", "pong.md": "failed", "z.txt": "new"}
    for name in ("loop.txt", "ping.md", "pong.md"):
        assert by_name[name].error == "symlink loop"
    with Store(tmp_path / "s.db") as store:
        assert sorted(r.title for r in store.reports()) == ["Survey of county A", "Survey of county Z"]
    # and again, with the two reports stored
    again = run([src], tmp_path / "s.db")
    assert sorted(o.status for o in again.outcomes) == ["failed"] * 3 + ["unchanged"] * 2


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_removed_between_discovery_and_reading_fails_alone(tmp_path, workers):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        write_report(src / f"{name}.txt", f"Survey of county {name.upper()}", n=ord(name))
    summary = run([src], tmp_path / "s.db", analyze=False, workers=workers,
                  on_start=lambda n: (src / "b.txt").unlink())
    assert {o.path.name: o.status for o in summary.outcomes} == {"a.txt": "new", "b.txt": "failed", "c.txt": "new"}
    [failed] = summary.failed
    assert failed.error == "file not found"


def test_a_file_removed_after_it_was_read_is_not_stored_and_the_batch_goes_on(tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        write_report(src / f"{name}.txt", f"Survey of county {name.upper()}", n=ord(name))
    real_ingest = pipeline.ingest.ingest_file

    def ingest_then_remove(path):
        report = real_ingest(path)
        if path.name == "b.txt":
            path.unlink()
        return report

    monkeypatch.setattr(pipeline.ingest, "ingest_file", ingest_then_remove)
    summary = run([src], tmp_path / "s.db", analyze=False)
    assert {o.path.name: o.status for o in summary.outcomes} == {"a.txt": "new", "b.txt": "failed", "c.txt": "new"}
    assert summary.failed[0].error == "removed while it was being read"
    with Store(tmp_path / "s.db") as store:
        assert sorted(r.title for r in store.reports()) == ["Survey of county A", "Survey of county C"]


def test_the_store_names_a_symlink_loop_without_resolving_it(tmp_path):
    from pipeline.store import source_key

    os.symlink("loop.txt", tmp_path / "loop.txt")
    assert source_key(tmp_path / "loop.txt") == str(tmp_path / "loop.txt")
    with Store(tmp_path / "s.db") as store:
        assert store.source(tmp_path / "loop.txt") is None


# -- defect 3: report text that looks like rich markup is printed as it is -----------------------------
MARKUP_TITLE = "[/bold] Survey of [red]the county[/red] [link=file:///etc]"


def _markup_store(path):
    """A store whose report-derived text (title, regions, type, practices, source file) is rich markup."""
    from pipeline.vectors import index_items

    from .test_search import BagOfWordsEmbedder, report

    analysis = report("f00dfeed01", MARKUP_TITLE, ["Build [/] demonstration sites [bold]for[/bold] parties",
                                                   "Train cadres [/italic] at the school"],
                      regions=("[/red]Zhejiang",), rtype="[/dim] investigation report",
                      findings=["Demonstration sites [/] raised membership"])
    analysis.report.source = "[/bold]file[red].txt"
    source = path.parent / "[red]report[bold].txt"
    source.write_text("x")
    with Store(path) as store:
        store.save(analysis, "v", source=source)
        index_items(store, BagOfWordsEmbedder())
    return path


@pytest.mark.parametrize("args, shown", [
    (["list"], "[/bold] Survey of [red]the"),
    (["list"], "[/dim] investigation report"),
    (["themes"], "[/red]Zhejiang"),
    (["search", "demonstration", "--mode", "keyword", "--kind", "all"], "Build [/] demonstration sites"),
    (["search", "membership", "--mode", "keyword", "--kind", "all"], "[/red]Zhejiang"),
    (["show", "f00dfeed01"], "[/bold] Survey of [red]the"),
    (["sources", "f00dfeed01"], "[red]report[bold].txt"),
    (["export", "--format", "json", "--out", "{tmp}/[red]out[bold]"], "[red]out[bold]"),
])
def test_report_text_that_looks_like_rich_markup_is_printed_as_it_is(tmp_path, args, shown):
    from typer.testing import CliRunner

    from pipeline.cli import app

    db = _markup_store(tmp_path / "s.db")
    args = [a.format(tmp=tmp_path) for a in args]
    result = CliRunner().invoke(app, args + ["--db", str(db)], env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert shown in result.output


# -- defect 4 (part): only regular files are read -----------------------------------------------------
def _read_in_a_child(path) -> str:
    """The one-line reason ``read_document`` refuses ``path`` with, read in a child process with its memory
    and time bounded (what this guards against would otherwise block the tests or take all the memory)."""
    import resource
    import subprocess
    import sys

    from .conftest import ROOT

    def bounded():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    code = ("import sys\nfrom pipeline.reading import IngestError, read_document\n"
            "try:\n    read_document(sys.argv[1])\nexcept IngestError as exc:\n    print(exc.reason)\n")
    child = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=20,
                           preexec_fn=bounded, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == 0, child.stderr[-500:]
    return child.stdout.strip()


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_symlink_to_a_device_is_refused_without_reading_it(tmp_path):
    os.symlink("/dev/zero", tmp_path / "zero.txt")
    assert _read_in_a_child(tmp_path / "zero.txt") == "not a regular file (a device, pipe or socket)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.md")
    assert _read_in_a_child(tmp_path / "pipe.md") == "not a regular file (a device, pipe or socket)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_in_a_folder_fails_alone_and_the_batch_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_report(src / "a.txt", "Survey of county A")
    os.mkfifo(src / "pipe.txt")
    summary = run([src], tmp_path / "s.db", analyze=False, time_limit_s=5)
    assert {o.path.name: o.status for o in summary.outcomes} == {"a.txt": "new", "pipe.txt": "failed"}
    assert summary.failed[0].error == "not a regular file (a device, pipe or socket)"


# -- defect 7 (part): file names with newlines or terminal escapes are not printed raw --------------------
def test_a_file_name_with_a_newline_or_a_terminal_escape_is_printed_escaped(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    src = tmp_path / "in"
    src.mkdir()
    (src / "evil\x1b[2J\nname\u202e.txt").write_text("")  # clears the screen; turns the rest of the line around
    result = CliRunner().invoke(app, ["run", str(src), "--db", str(tmp_path / "s.db")], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "evil\\x1b[2J\\nname\\u202e.txt: empty file" in result.output


# -- defect 5 (part): numbers too large for SQLite are a usage error, or a limit that means "all" -----------
HUGE = "99999999999999999999"


@pytest.mark.parametrize("args, exit_code", [
    (["search", "demonstration", "--since", HUGE], 2),
    (["search", "demonstration", "--until", HUGE], 2),
    (["list", "--since", HUGE], 2),
    (["themes", "--themes", HUGE], 2),
    (["run", "{tmp}", "--workers", HUGE], 2),
    (["search", "demonstration", "--limit", HUGE, "--mode", "keyword"], 0),
    (["similar", "f00dfeed01:P1", "--limit", HUGE], 1),  # this store has no vectors: one line
])
def test_numbers_too_large_for_sqlite_are_no_traceback(tmp_path, args, exit_code):
    from typer.testing import CliRunner

    from pipeline.cli import app

    db = _markup_store(tmp_path / "s.db")
    args = [a.format(tmp=tmp_path) for a in args]
    result = CliRunner().invoke(app, args + ["--db", str(db)], env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "OverflowError" not in result.output


# -- defect 6 (part): an unreadable subfolder is one failed line, never skipped in silence -------------
def _refuse_listing(monkeypatch, folder):
    """As root no folder is unreadable: make listing ``folder`` fail as it does for another user."""
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_subfolder_fails_and_the_other_files_are_stored(tmp_path, monkeypatch):
    src = tmp_path / "in"
    (src / "locked").mkdir(parents=True)
    write_report(src / "a.txt", "Survey of county A")
    write_report(src / "locked" / "b.txt", "Survey of county B")
    _refuse_listing(monkeypatch, src / "locked")
    summary = run([src], tmp_path / "s.db", analyze=False)
    assert {o.path.name: o.status for o in summary.outcomes} == {"a.txt": "new", "locked": "failed"}
    [failed] = summary.failed
    assert failed.error.startswith("cannot read folder: permission denied")


def test_an_unreadable_folder_makes_run_exit_1_with_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeline.cli import app

    src = tmp_path / "in"
    (src / "locked").mkdir(parents=True)
    write_report(src / "a.txt", "Survey of county A")
    _refuse_listing(monkeypatch, src / "locked")
    result = CliRunner().invoke(app, ["run", str(src), "--db", str(tmp_path / "s.db"), "--workers", "1"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "locked" in line]
    assert len(lines) == 1 and "permission denied" in lines[0]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads every folder; the monkeypatched test above covers it")
def test_a_folder_without_read_permission_fails(tmp_path):
    src = tmp_path / "in"
    (src / "locked").mkdir(parents=True)
    write_report(src / "a.txt", "Survey of county A")
    os.chmod(src / "locked", 0)
    try:
        summary = run([src], tmp_path / "s.db", analyze=False)
    finally:
        os.chmod(src / "locked", 0o755)
    assert [o.path.name for o in summary.failed] == ["locked"]


def test_a_folder_without_read_permission_fails_for_a_user_who_cannot_read_it(tmp_path):
    """Real permissions, as root too: the listing runs as user nobody (setpriv, util-linux)."""
    import shutil
    import subprocess
    import sys

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to act as another user")
    import tempfile

    outer = tempfile.TemporaryDirectory()  # pytest's own temporary folders are private to root
    base = Path(outer.name) / "in"
    (base / "locked").mkdir(parents=True)
    (base / "a.txt").write_text("text")
    os.chmod(base / "locked", 0)
    for folder in (outer.name, base):
        os.chmod(folder, 0o755)
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from pipeline.reading import iter_input_files; "
            "print(list(iter_input_files([sys.argv[1]], on_error=lambda d, why: print('failed', d.name, why))))")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                           code, str(base), repo], capture_output=True, text=True, timeout=60)
    outer.cleanup()
    if done.returncode != 0:
        pytest.skip(f"user nobody cannot run this checkout's Python: {done.stderr.strip().splitlines()[-1:]}")
    assert done.stdout.splitlines()[0] == "failed locked cannot read folder: permission denied"
    assert "a.txt" in done.stdout.splitlines()[1]


def test_iterating_without_a_callback_raises_for_an_unreadable_folder(tmp_path, monkeypatch):
    from pipeline.reading import IngestError, iter_input_files

    (tmp_path / "locked").mkdir()
    _refuse_listing(monkeypatch, tmp_path / "locked")
    with pytest.raises(IngestError, match="locked: cannot read folder"):
        list(iter_input_files([tmp_path]))


# -- defect 6 (part): worker processes end with the batch that started them -----------------------------
_ORPHAN_SCRIPT = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pipeline.batch import _init_worker

pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_init_worker,
                           initargs=(1,))
pool.submit(time.sleep, 600)  # a worker busy with a long file
time.sleep(1.0)
print(*pool._processes, flush=True)
time.sleep(600)
"""


def test_a_worker_exits_soon_after_its_batch_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        [worker] = [int(pid) for pid in parent.stdout.readline().split()]
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(worker):
            time.sleep(0.2)
        assert not _alive(worker), "the worker outlived its parent"
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False
