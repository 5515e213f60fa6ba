"""The batch job: ingest files, run the stages, and store the results, incrementally and in parallel.

A file is redone only when it is new, when it changed on disk (size or modification time) and its
cleaned content is new, or when the analysis code changed since it was stored. Workers (processes) do
the reading and the NLP; only the parent writes, one transaction per report, so a crash or a kill
loses at most the reports in flight and a re-run picks up where the last one stopped.
"""
from __future__ import annotations

import os
import time
import traceback
from contextlib import ExitStack, contextmanager
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import active_children, get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, Optional

from .records import Analysis

Status = Literal["new", "updated", "unchanged", "duplicate", "failed"]
STATUSES: tuple[Status, ...] = ("new", "updated", "unchanged", "duplicate", "failed")


@dataclass
class FileOutcome:
    path: Path
    status: Status
    report_id: Optional[str] = None
    title: Optional[str] = None
    error: Optional[str] = None
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    duplicate_of: Optional[str] = None  # the file that already holds this content ("duplicate")


@dataclass
class RunSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    themes: Optional[object] = None  # corpus.ThemeRefresh when the corpus stages ran

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


@dataclass
class _Work:
    """What a worker sends back: a finished analysis, or the id of content already stored, or an error."""

    path: Path
    analysis: Optional[Analysis] = None
    known_id: Optional[str] = None
    title: Optional[str] = None
    error: Optional[str] = None
    seconds: float = 0.0
    embeddings: Optional[tuple[str, dict]] = None  # (model, vectors by text key) of the analysis's items
    timed_out: bool = False  # the worker gave up on this file: its process may hold half-done state
    retry: bool = False  # a worker that timed out before declined this file: give it to a fresh worker
    stat: Optional[tuple[int, int]] = None  # (size, mtime in ns) of the file just before it was read
    sentences: Optional[list[tuple[int, int]]] = None  # the text's sentence spans, for the store's index


# Longest a single file may take before it is given up (reported as failed; the batch goes on).
DEFAULT_TIME_LIMIT = 900.0


class FileTimeout(BaseException):
    """A file took longer than the batch's per-file time limit (a BaseException, so that no handler of
    ordinary errors inside the stages swallows it)."""


@contextmanager
def time_limit(seconds: Optional[float]) -> Iterator[None]:
    """Raise ``FileTimeout`` in this thread after ``seconds`` (a real-time interval timer). A no-op without
    a limit, off the main thread, or where the platform has no ``setitimer``."""
    import signal
    import threading

    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise FileTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def untimed() -> Iterator[None]:
    """Stop the clock of an enclosing ``time_limit`` for the duration of the block, then restart it with
    the time that was left (model loading is the process's cost, not the file's)."""
    import signal
    import threading

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    remaining = signal.setitimer(signal.ITIMER_REAL, 0)[0]
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


_WARM_UP_TEXT = """Warm-up report

I. Main practices

First, the county built 12 demonstration sites in 2001, up 5% from 2000. We recommend that it train cadres.
"""
_warmed_up: set[str] = set()  # names of the embedders this process has warmed up with


def warm_up(embedder) -> None:
    """Load the models and everything the stages import lazily, once per process, by analyzing a tiny
    report: a time limit must not fire inside an import (an interrupted ``import torch`` cannot be
    retried in that process: "Only a single TORCH_LIBRARY can be used ...")."""
    if embedder.name in _warmed_up:
        return
    from .extract import analyze_report
    from .ingest import ingest_text

    analyze_report(ingest_text(_WARM_UP_TEXT, source="<warm-up>"), embedder=embedder)
    embedder.embed(["warm up"])
    _warmed_up.add(embedder.name)


# Set in a worker process once a file timed out in it: an interrupted stage may have left module state
# half-built, so that process takes no more files (the parent replaces it).
_timed_out_here = False


def process_file(path: Path, db_path: Optional[str], analyze: bool, version: str,
                 time_limit_s: Optional[float] = DEFAULT_TIME_LIMIT, in_worker: bool = False,
                 known_ids: Optional[frozenset[str]] = None) -> _Work:
    """Ingest one file and, unless the store already holds this content at this version, analyze it,
    within ``time_limit_s`` seconds (loading the models does not count). Without a store (``db_path``
    None: a Ray worker on another machine, or Parquet output), ``known_ids`` are the report ids stored
    at this version."""
    global _timed_out_here
    if _timed_out_here:
        return _Work(path, retry=True)
    started = time.perf_counter()
    try:
        with time_limit(time_limit_s):
            return _process_file(path, db_path, analyze, version, started, known_ids)
    except FileTimeout:
        _timed_out_here = in_worker
        return _Work(path, error=f"gave up after {time_limit_s:g} s (raise the limit with --time-limit)",
                     seconds=time.perf_counter() - started, timed_out=True)


def _process_file(path: Path, db_path: Optional[str], analyze: bool, version: str, started: float,
                  known_ids: Optional[frozenset[str]] = None) -> _Work:
    from .extract import analyze_report
    from .ingest import IngestError, ingest_file
    from .reading import os_error_reason
    from .store import Store

    try:
        # The stat goes with the content: taken before reading, it is what the store records, and the
        # parent compares it with the file again before saving (a file saved again meanwhile is not stored).
        try:
            stat = disk_stat(path)
        except OSError as exc:  # removed since it was found, or a symlink loop
            return _Work(path, error=os_error_reason(exc), seconds=time.perf_counter() - started)
        report = ingest_file(path)
        with ExitStack() as stack:
            # one connection for the whole file: the stored-version check, then the vector cache
            store = stack.enter_context(Store(db_path)) if db_path is not None else None
            if store is not None and store.has_report(report.id):
                stored_version = store.analysis_version(report.id)
                if not analyze or stored_version == version:
                    return _Work(path, known_id=report.id, title=report.title, stat=stat,
                                 seconds=time.perf_counter() - started)
            elif store is None and known_ids is not None and report.id in known_ids:
                return _Work(path, known_id=report.id, title=report.title, stat=stat,
                             seconds=time.perf_counter() - started)
            if not analyze:
                return _Work(path, analysis=Analysis(report=report), stat=stat,
                             seconds=time.perf_counter() - started)
            from .embed import default_embedder
            from .vectors import analysis_embeddings

            embedder = default_embedder()
            with untimed():
                warm_up(embedder)
            analysis = analyze_report(report, embedder=embedder)
            # Encode the items for search here, on this worker's core, rather than all at once after the
            # batch; texts the store already has vectors for are not encoded again.
            vectors = analysis_embeddings(analysis, embedder, store)
            # split here, where the stages already did it (cached): the parent would take its core from a worker
            from .nlp import sentence_spans
            from .store.index import index_language

            sentences = sentence_spans(report.text, language=index_language(report.language))
        return _Work(path, analysis=analysis, embeddings=(embedder.name, vectors) if vectors else None,
                     stat=stat, sentences=sentences, seconds=time.perf_counter() - started)
    except IngestError as exc:
        return _Work(path, error=exc.reason, seconds=time.perf_counter() - started)
    except MemoryError:
        return _Work(path, error="out of memory while processing", seconds=time.perf_counter() - started)
    except Exception as exc:  # a bug must not sink the batch: report it on one line and go on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return _Work(path, error=f"internal error {type(exc).__name__}: {exc} "
                                 f"(at {Path(where.filename).name}:{where.lineno})",
                     seconds=time.perf_counter() - started)


def run(
    paths: Iterable[str | Path],
    db_path: str | Path,
    *,
    analyze: bool = True,
    workers: int = 1,
    time_limit_s: Optional[float] = DEFAULT_TIME_LIMIT,
    executor: str = "local",
    address: Optional[str] = None,
    out: Optional[str | Path] = None,
    on_start: Optional[Callable[[int], None]] = None,
    on_outcome: Optional[Callable[[FileOutcome], None]] = None,
    on_file: Optional[Callable[[Path], None]] = None,
    on_step: Optional[Callable[[str], None]] = None,
) -> RunSummary:
    """Bring the store at ``db_path`` up to date with the files under ``paths``.

    ``analyze=False`` only ingests (clean and store). A file that takes longer than ``time_limit_s``
    seconds is reported as failed and the batch goes on (``None``: no limit). ``on_start`` gets the number of files found,
    ``on_outcome`` each file's outcome as it completes (for progress display).

    ``executor``: where files are read and analysed, ``"local"`` (``workers`` processes here) or ``"ray"``
    (a Ray cluster at ``address``, ``"auto"`` or ``HOST:PORT``; None starts one on this machine). Either
    way this process writes the results, one transaction per report. ``out``: a folder to write Parquet
    shards to instead of the store (``shards.ShardWriter``; `reportlens load` imports them).
    """
    from .executors import mapper
    from .extract import analysis_version
    from .ingest import iter_input_files
    from .reading import os_error_reason
    from .store import Store, source_key

    started = time.perf_counter()
    summary = RunSummary()
    version = analysis_version() if analyze else None
    paths = [Path(p) for p in paths]
    missing = [p for p in paths if not p.exists()]
    unreadable: list[tuple[Path, str]] = []  # folders that could not be listed: failed, not skipped
    files = list(iter_input_files((p for p in paths if p.exists()),
                                  on_error=lambda folder, why: unreadable.append((folder, why))))
    if on_start:
        on_start(len(files) + len(missing) + len(unreadable))

    def finish(outcome: FileOutcome) -> None:
        summary.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    for path in missing:
        finish(FileOutcome(path, "failed", error="no such file or folder"))
    for folder, reason in unreadable:
        finish(FileOutcome(folder, "failed", error=f"{reason} (the files in it were not looked at)"))
    if out is not None:
        from .shards import ShardWriter

        sink = ShardWriter(out)
    else:
        sink = Store(db_path)
    with sink as store:
        todo: list[Path] = []
        for path in files:
            try:
                disk_stat(path)
            except OSError as exc:  # a symlink loop, or removed since it was found: this file alone fails
                finish(FileOutcome(path, "failed", error=os_error_reason(exc)))
                continue
            stored = store.source(path)
            if stored and _unchanged_on_disk(path, stored.size, stored.mtime_ns) \
                    and (not analyze or stored.analysis_version == version):
                finish(FileOutcome(path, "unchanged", report_id=stored.report_id))
            else:
                todo.append(path)

        holders: dict[str, str] = {}  # report id -> the file of this run that brought it

        def holder_of(report_id: str, path: Path) -> Optional[str]:
            """Another file that holds this content, when ``path`` did not hold it before."""
            if report_id in holders:
                return holders[report_id]
            stored = store.source(path)
            if stored is not None and stored.report_id == report_id:
                return None
            others = [s for s in store.sources_of(report_id) if s != source_key(path)]
            return others[0] if others else None

        # the store's own workers look the stored versions up; others get the ids stored at this version
        db = str(db_path) if out is None else None
        known = store.report_ids_at(version) if analyze and (executor != "local" or db is None) else None
        map_files = mapper(executor, address)
        for work in map_files(todo, db, analyze, version or "", workers, time_limit_s, on_file, known_ids=known):
            if work.error is not None:
                finish(FileOutcome(work.path, "failed", error=work.error, seconds=work.seconds))
                continue
            changed = _changed_since_read(work)
            if changed:
                finish(FileOutcome(work.path, "failed", error=changed, seconds=work.seconds))
                continue
            report_id = work.known_id if work.known_id is not None else work.analysis.report.id
            other = holder_of(report_id, work.path)
            if work.known_id is not None or report_id in holders:
                # the store already has this content at this version (from another file, or this one)
                store.record_source(work.path, report_id, work.stat)
                finish(FileOutcome(work.path, "duplicate" if other else "unchanged", report_id=report_id,
                                   title=work.title or (work.analysis and work.analysis.report.title),
                                   seconds=work.seconds, duplicate_of=other))
                continue
            analysis = work.analysis
            existed = store.has_report(analysis.report.id) or store.source(work.path) is not None
            store.save(analysis, version, source=work.path, embeddings=work.embeddings, source_stat=work.stat,
                       sentences=work.sentences)
            holders[report_id] = str(work.path)
            finish(FileOutcome(
                work.path, "duplicate" if other else "updated" if existed else "new", report_id=report_id,
                title=analysis.report.title, seconds=work.seconds, duplicate_of=other,
                counts={k: len(getattr(analysis, k)) for k in
                        ("figures", "stages", "practices", "findings", "recommendations")},
            ))
        if out is None and analyze and (summary.count("new") or summary.count("updated") or store.unthemed_practices()):
            from .corpus import index_and_theme

            if on_step:
                on_step("themes")
            summary.themes = index_and_theme(store)
    summary.seconds = time.perf_counter() - started
    return summary


def reanalyze(store, report_id: str) -> Analysis:
    """Run every stage again on one stored report (its stored text and sections, so the source files may
    be gone) with the current code, store the result, and bring item vectors and themes up to date."""
    from .corpus import index_and_theme
    from .embed import default_embedder
    from .extract import analysis_version, analyze_report
    from .records import Report
    from .vectors import analysis_embeddings

    stored = store.load(report_id).report
    # only what ingestion gives: the metadata stage fills in the rest afresh
    report = Report(id=stored.id, source=stored.source, title=stored.title, language=stored.language,
                    text=stored.text, sections=stored.sections)
    embedder = default_embedder()
    analysis = analyze_report(report, embedder=embedder)
    vectors = analysis_embeddings(analysis, embedder, store)
    store.save(analysis, analysis_version(), embeddings=(embedder.name, vectors) if vectors else None)
    index_and_theme(store, embedder)
    return analysis


def disk_stat(path: Path) -> tuple[int, int]:
    """(size, modification time in ns) of a file, what the store compares to tell it changed. Raises OSError."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def _changed_since_read(work: _Work) -> Optional[str]:
    """Why the file of ``work`` no longer holds what was read from it (changed or gone), or None."""
    if work.stat is None:
        return None
    try:
        now = disk_stat(work.path)
    except OSError:
        return "removed while it was being read"
    if now != work.stat:
        return "changed while it was being read (not stored; run again to take the new content)"
    return None


def _unchanged_on_disk(path: Path, size: int, mtime_ns: int) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return stat.st_size == size and stat.st_mtime_ns == mtime_ns




# The local executor's process handling lives in executors/local.py; these names stay importable from here.
from .executors.local import PARENT_CHECK_SECONDS, _init_worker, exit_with_parent  # noqa: E402,F401
from .executors.local import map_files as _map  # noqa: E402,F401
