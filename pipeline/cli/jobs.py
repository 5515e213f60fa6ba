"""Commands that read files into the store and take reports out of it: analyze, ingest, run, load, remove,
reanalyze."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..console import fail, interrupted, printable, stderr_console
from .common import app, DbOption, ReportIdArgument, PathsArgument, stored_reports, resolve_report, open_store


@app.command()
def analyze(
    file: Path = typer.Argument(..., help="One report file (.txt .md .html .pdf .docx).", show_default=False),
    indent: int = typer.Option(2, help="JSON indentation; 0 for one line."),
) -> None:
    """Run every stage on one file and print its JSON analysis (touches no store)."""
    from ..extract import analyze_file
    from ..ingest import IngestError

    if file.is_dir():
        raise fail(f"{file}: is a folder; analyze takes one file (`reportlens run {file}` takes folders)", 2)
    try:
        analysis = analyze_file(file)
    except IngestError as exc:
        raise fail(str(exc))
    sys.stdout.write(analysis.model_dump_json(indent=indent or None) + "\n")


@app.command()
def ingest(paths: List[Path] = PathsArgument, db: Path = DbOption) -> None:
    """Clean files and store them as reports (no extraction); re-runs skip unchanged files."""
    _batch(paths, db, analyze=False, workers=1, time_limit=900.0)


@app.command()
def run(
    paths: List[Path] = PathsArgument,
    db: Path = DbOption,
    workers: int = typer.Option(0, "--workers", "-w", min=0, max=256,
                                help="Worker processes; 0 = one per core (at most 4)."),
    time_limit: float = typer.Option(900.0, "--time-limit", min=0,
                                     help="Seconds one file may take before it is reported as failed; 0 = no limit."),
    executor: str = typer.Option("local", "--executor", help="local: worker processes here; ray: Ray actors "
                                 "(a cluster with --address; needs the scale extra)."),
    address: Optional[str] = typer.Option(None, "--address", help="The Ray cluster: auto or HOST:PORT "
                                          "(default: RAY_ADDRESS, else a Ray instance started here)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write Parquet shards to this folder instead of the "
                                       "store (`reportlens load DIR` imports them)."),
) -> None:
    """The batch job: ingest and analyze files into the store, redoing only new or changed ones."""
    from ..executors import EXECUTORS

    if executor not in EXECUTORS:
        raise typer.BadParameter(f"use {' or '.join(EXECUTORS)}", param_hint="--executor")
    if address and executor != "ray":
        raise typer.BadParameter("--address is for --executor ray", param_hint="--address")
    if workers == 0 and executor == "local":
        workers = max(1, min(os.cpu_count() or 1, 4))  # with Ray, 0 = one actor per CPU of the cluster
    _batch(paths, db, analyze=True, workers=workers, time_limit=time_limit or None,
           options=dict(executor=executor, address=address, out=out))


@app.command()
def load(
    folder: Path = typer.Argument(..., help="A folder of Parquet shards written by `run --out`.", show_default=False),
    db: Path = DbOption,
) -> None:
    """Import Parquet shards into the store (what it already holds is skipped), then themes as after a run."""
    from ..executors import ScaleError
    from ..shards import load_shards
    from ..store import Store

    try:
        with Store(db) as store:
            loaded = load_shards(folder, store)
    except ScaleError as exc:
        raise fail(str(exc))
    except KeyboardInterrupt:
        raise interrupted(f"; nothing half-written was kept ({stored_reports(db)})") from None
    stderr_console().print(f"{loaded.parts} shards: {loaded.reports} reports stored, {loaded.sources} more files "
                           f"of stored reports, {loaded.unchanged} already in the store → {db}",
                           markup=False, soft_wrap=True)


def _batch(paths: List[Path], db: Path, analyze: bool, workers: int, time_limit: Optional[float] = None,
           options: Optional[dict] = None) -> None:
    from rich.markup import escape
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)
    from rich.table import Table

    from ..batch import STATUSES
    from ..batch import run as run_batch
    from ..executors import ScaleError

    console = stderr_console()
    verb = "analyzing" if analyze else "ingesting"
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[current]}"),
                        console=console, transient=True, disable=not console.is_terminal)
    task = progress.add_task(verb, total=None, current="")

    def on_outcome(outcome) -> None:
        if outcome.status == "failed":
            progress.console.print(printable(f"{outcome.path}: {outcome.error}"), markup=False, soft_wrap=True)
        elif outcome.status == "duplicate":
            progress.console.print(printable(f"{outcome.path}: duplicate of {outcome.duplicate_of}"), markup=False,
                                   soft_wrap=True)
        progress.advance(task)

    def on_step(step: str) -> None:
        # the corpus stages after the files take a while on a large store: say what is going on
        progress.update(task, description="building themes" if step == "themes" else step, current="",
                        refresh=True)

    def on_file(path: Path) -> None:
        progress.update(task, current=escape(printable(path.name)), refresh=True)  # drawn now, not at the next tick

    try:
        with progress:
            summary = run_batch(
                paths, db, analyze=analyze, workers=workers, time_limit_s=time_limit, **(options or {}),
                on_start=lambda n: progress.update(task, total=n), on_outcome=on_outcome,
                on_file=on_file, on_step=on_step,
            )
    except KeyboardInterrupt:
        # each report is stored in one transaction: a report cut off is not in the store at all
        raise interrupted(f"; nothing half-written was kept ({stored_reports(db)})") from None
    except ScaleError as exc:
        raise fail(str(exc))

    # one line that never wraps inside the path (a table title wraps at the table's narrow width)
    where = (options or {}).get("out") or db
    console.print(printable(f"{len(summary.outcomes)} files in {summary.seconds:.1f} s → {where}"), markup=False,
                  soft_wrap=True)
    table = Table()
    for column in ("status", "files"):
        table.add_column(column)
    for status in STATUSES:
        table.add_row(status, str(summary.count(status)))
    console.print(table)
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def remove(
    report: str = typer.Argument(..., help="A report id (or unique prefix), or the path of a file it was read from.",
                                 show_default=False),
    db: Path = DbOption,
) -> None:
    """Remove one report from the store: its items, vectors, index rows and sources; themes lose its practices."""
    store = open_store(db, write=True)
    try:
        report_id = resolve_report(store, db, report)
        title, files = store.load(report_id).report.title, len(store.sources_of(report_id))
        store.delete_report(report_id)
    finally:
        store.close()
    stderr_console().print(f"removed {report_id[:12]} {title!r} ({files} source file{'s' if files != 1 else ''}); "
                    "a later `run` over its folder adds it again", markup=False, soft_wrap=True)


@app.command()
def reanalyze(report_id: str = ReportIdArgument, db: Path = DbOption) -> None:
    """Run every stage again on one stored report with the current code (from its stored text)."""
    from ..batch import reanalyze as reanalyze_report

    store = open_store(db, write=True)
    try:
        full_id = resolve_report(store, db, report_id)
        with stderr_console().status(f"reanalyzing {full_id[:12]}"):
            analysis = reanalyze_report(store, full_id)
    finally:
        store.close()
    counts = ", ".join(f"{len(getattr(analysis, k))} {k}" for k in
                       ("figures", "stages", "practices", "findings", "recommendations"))
    stderr_console().print(f"reanalyzed {full_id[:12]} {analysis.report.title!r}: {counts}", markup=False,
                           soft_wrap=True)
