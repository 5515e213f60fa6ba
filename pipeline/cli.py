"""The `reportlens` command line: a thin typer layer over the library.

Data goes to stdout, messages and progress to stderr; progress bars only on a terminal; NO_COLOR is
honoured (rich reads it). Exit codes: 0 ok, 1 some input failed or a runtime error, 2 usage error.
Heavy libraries (spaCy, torch) are imported inside the commands that need them, so `--help` is instant.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .console import CommandGroup, fail, interrupted, printable, stderr_console


app = typer.Typer(
    cls=CommandGroup,
    name="reportlens",
    help="Turn investigation, inspection and audit reports into structured, searchable, verifiable data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DbOption = typer.Option(
    "reportlens.db", "--db", envvar="REPORTLENS_DB", help="SQLite store to read and write.", show_default=True
)
# The shared output options: every command that prints data takes the same flags, declared once here.
JsonOption = typer.Option(False, "--json", help="Print the data as JSON Lines (one object per line).")
CsvOption = typer.Option(False, "--csv", help="Print the data as CSV with a header row.")
BomOption = typer.Option(False, "--bom", help="Start CSV with a UTF-8 byte-order mark (for Excel, Chinese text).")
MAX_RESULTS = 100_000
# Years and counts are bounded, so no number a user types overflows SQLite's integers (a usage error instead)
SinceOption = typer.Option(None, "--since", min=1, max=9999, help="Only reports that came out in or after this year.")
UntilOption = typer.Option(None, "--until", min=1, max=9999, help="Only reports that came out in or before this year.")
ReportIdArgument = typer.Argument(..., help="A report id, a unique prefix of one, or a file the report was read from.",
                                  show_default=False)
PathsArgument = typer.Argument(..., help="Files or folders (searched recursively) of .txt .md .html .pdf .docx.",
                               show_default=False)


def _emit(rows: list[dict], as_json: bool, as_csv: bool, table=None, bom: bool = False) -> None:
    """Print ``rows`` as JSON Lines, CSV, or (the default, for people) ``table(rows)``: the one place the
    shared output options take effect."""
    if as_json and as_csv:
        raise typer.BadParameter("give --json or --csv, not both", param_hint="--json/--csv")
    if as_json or (table is None and not as_csv):
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif as_csv:
        from .export import csv_table

        sys.stdout.write(("\ufeff" if bom else "") + csv_table(rows))
    else:
        from rich.console import Console

        Console().print(table(rows))


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"reportlens {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """reportlens: read reports, extract figures, practices, stages, findings and recommendations."""


@app.command()
def analyze(
    file: Path = typer.Argument(..., help="One report file (.txt .md .html .pdf .docx).", show_default=False),
    indent: int = typer.Option(2, help="JSON indentation; 0 for one line."),
) -> None:
    """Run every stage on one file and print its JSON analysis (touches no store)."""
    from .extract import analyze_file
    from .ingest import IngestError

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
    from .executors import EXECUTORS

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
    from .executors import ScaleError
    from .shards import load_shards
    from .store import Store

    try:
        with Store(db) as store:
            loaded = load_shards(folder, store)
    except ScaleError as exc:
        raise fail(str(exc))
    except KeyboardInterrupt:
        raise interrupted(f"; nothing half-written was kept ({_stored_reports(db)})") from None
    stderr_console().print(f"{loaded.parts} shards: {loaded.reports} reports stored, {loaded.sources} more files "
                           f"of stored reports, {loaded.unchanged} already in the store → {db}",
                           markup=False, soft_wrap=True)


def _batch(paths: List[Path], db: Path, analyze: bool, workers: int, time_limit: Optional[float] = None,
           options: Optional[dict] = None) -> None:
    from rich.markup import escape
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)
    from rich.table import Table

    from .batch import STATUSES
    from .batch import run as run_batch
    from .executors import ScaleError

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
        raise interrupted(f"; nothing half-written was kept ({_stored_reports(db)})") from None
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


def _stored_reports(db: Path) -> str:
    from .store import Store, StoreError

    try:
        with Store(db, readonly=True) as store:
            n = store.count_reports()
    except StoreError:
        return f"no store at {db}"
    return f"the store {db} holds {n} report{'s' if n != 1 else ''} finished before"


@app.command("list")
def list_reports(
    db: Path = DbOption,
    sort: str = typer.Option("title", "--sort", help="title, year, number or id (years: newest first)."),
    since: Optional[int] = SinceOption,
    until: Optional[int] = UntilOption,
    number: Optional[str] = typer.Option(None, "--number", help="Only reports whose number holds this, e.g. GAO-26."),
    as_json: bool = JsonOption,
    as_csv: bool = CsvOption,
    bom: bool = BomOption,
) -> None:
    """List the reports in the store: number, year, title, language, type and counts of extracted items."""
    if sort not in ("title", "year", "number", "id"):
        raise typer.BadParameter("use title, year, number or id", param_hint="--sort")
    store = _open_store(db)
    try:
        rows = list(store.reports())
    finally:
        store.close()
    rows = [r for r in rows if (since is None or (r.year or 0) >= since) and (until is None or (r.year or 9999) <= until)
            and (number is None or number.lower() in (r.number or "").lower())]
    keys = {"title": lambda r: (r.title.lower(), r.id), "id": lambda r: r.id,
            "year": lambda r: (r.year is None, -(r.year or 0), r.title.lower()),
            "number": lambda r: (r.number is None, _natural(r.number or ""), r.title.lower())}
    rows.sort(key=keys[sort])
    _emit([{"id": r.id, "number": r.number, "year": r.year, "title": r.title, "source": r.source,
            "language": r.language, "report_type": r.report_type, **r.counts} for r in rows],
          as_json, as_csv, _reports_table, bom)


def _natural(text: str) -> list:
    """A sort key that orders the numbers inside text by value (GAO-26-99 before GAO-26-100)."""
    import re

    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _reports_table(rows: list[dict]):
    from rich.table import Table
    from rich.text import Text

    table = Table(caption="items: figures/practices/findings/recommendations", caption_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("number", overflow="fold", max_width=14)
    table.add_column("year", no_wrap=True)
    table.add_column("title · type", overflow="fold", min_width=20)
    table.add_column("lang", no_wrap=True)
    table.add_column("items", no_wrap=True, justify="right")
    for r in rows:
        title = Text(r["title"])
        if r["report_type"]:
            title.append("\n" + r["report_type"], style="dim")
        table.add_row(r["id"][:8], Text(r["number"] or ""), str(r["year"] or ""), title, Text(r["language"]),
                      "/".join(str(r[k]) for k in ("figures", "practices", "findings", "recommendations")))
    return table


@app.command()
def show(
    report_id: str = ReportIdArgument,
    db: Path = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """A readable view of one stored report: title, sections, figures, practice tree, stages, findings."""
    from .render import render_report

    analysis = _load_report(db, report_id)
    if as_json:
        sys.stdout.write(analysis.model_dump_json() + "\n")
        return
    from rich.console import Console

    render_report(analysis, Console())


@app.command()
def summarize(
    report_id: str = ReportIdArgument,
    db: Path = DbOption,
    fmt: str = typer.Option("md", "--format", "-f", help="md (for people) or json (for tools)."),
) -> None:
    """Print the structured summary of one stored report: abstract, key figures, practices, lessons."""
    from .render import summary_markdown

    if fmt not in ("md", "json"):
        raise typer.BadParameter("use md or json", param_hint="--format")
    analysis = _load_report(db, report_id)
    if fmt == "json":
        payload = {"report": {"id": analysis.report.id, "title": analysis.report.title,
                              "source": analysis.report.source},
                   "summary": analysis.summary.model_dump(mode="json") if analysis.summary else None}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(summary_markdown(analysis))


@app.command()
def export(
    db: Path = DbOption,
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Folder (json, csv) or file (jsonl, xlsx); jsonl without it goes to stdout."),
    fmt: str = typer.Option("json", "--format", "-f",
                            help="json: one file per report; jsonl; csv: figures, practices, findings and "
                                 "recommendations; xlsx: one workbook, a sheet per part."),
    bom: bool = BomOption,
) -> None:
    """Export every stored report: the full JSON contract, JSON Lines, CSV tables or an Excel workbook."""
    from .export import FORMATS, check_out_path, export_analyses

    if fmt not in FORMATS:
        raise typer.BadParameter("use json, jsonl, csv or xlsx", param_hint="--format")
    if fmt in ("json", "csv") and out is None:
        raise typer.BadParameter(f"--format {fmt} writes files: give --out DIR", param_hint="--out")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("--format xlsx writes a workbook: give --out FILE.xlsx", param_hint="--out")
    if out is not None:
        check_out_path(out, "file" if fmt in ("jsonl", "xlsx") else "folder")  # before reading the store
    store = _open_store(db)
    try:
        message = export_analyses(store.iter_analyses(), fmt, out, bom=bom, stdout=sys.stdout)
    finally:
        store.close()
    if out is not None:
        stderr_console().print(message, markup=False, soft_wrap=True)


@app.command()
def schema(
    write: bool = typer.Option(False, "--write", help="Write schema/report.schema.json instead of printing."),
) -> None:
    """Print the JSON Schema of an exported report (generated from the records)."""
    from .export import SCHEMA_PATH, schema_text, write_atomic

    if write:
        write_atomic(SCHEMA_PATH, schema_text())
        stderr_console().print(f"wrote {SCHEMA_PATH}", markup=False)
    else:
        sys.stdout.write(schema_text())


@app.command()
def themes(
    db: Path = DbOption,
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-cluster every practice instead of assigning new ones."),
    n_themes: Optional[int] = typer.Option(
        None, "--themes", min=1, max=10_000,
        help="Number of discovered themes in all, shared among the report languages by their number of "
             "practices (at least one each; codebook themes come in addition). Default: automatic."),
    top: int = typer.Option(3, "--top", min=0, help="Practices shown per theme."),
    as_json: bool = JsonOption,
) -> None:
    """List the themes of practices across all stored reports (updating them first when needed)."""
    from .corpus import updated_theme_listing

    listing = updated_theme_listing(db, rebuild=rebuild, n_themes=n_themes, top=top)
    if as_json:
        _emit(listing, as_json=True, as_csv=False)
        return
    if not listing:
        stderr_console().print("no themes: the store has no practices yet (run `reportlens run PATH` first)")
        return
    from rich.console import Console

    from .render import themes_table

    Console().print(themes_table(listing))


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for, in plain words.", show_default=False),
    db: Path = DbOption,
    kind: str = typer.Option("practices", "--kind", "-k",
                             help="practices, findings, recommendations, figures, stages, text (sentences of "
                                  "the reports), or all."),
    mode: str = typer.Option("hybrid", "--mode", "-m",
                             help="keyword (BM25; also searches the reports' text), semantic (MiniLM) or "
                                  "hybrid (RRF)."),
    region: Optional[str] = typer.Option(None, "--region", help="Only reports or items about this region."),
    theme: Optional[str] = typer.Option(None, "--theme", help="Only practices of this theme (id or label words)."),
    report: Optional[str] = typer.Option(None, "--report", help="Only this report (id prefix or title words)."),
    report_type: Optional[str] = typer.Option(None, "--type", help="Only reports of this type, e.g. audit."),
    since: Optional[int] = SinceOption,
    until: Optional[int] = UntilOption,
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=MAX_RESULTS, clamp=True,
                              help="How many results (of items, and of text); more than there are gives all."),
    as_json: bool = JsonOption,
    as_csv: bool = CsvOption,
    bom: bool = BomOption,
) -> None:
    """Search the extracted items (and the reports' text) of every stored report, by keyword and meaning."""
    from .search import KINDS, Filters, QueryError, Searcher

    if kind not in (*KINDS, "text", "all"):
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}, text or all", param_hint="--kind")
    if mode not in ("keyword", "semantic", "hybrid"):
        raise typer.BadParameter("use keyword, semantic or hybrid", param_hint="--mode")
    kinds = list(KINDS) if kind == "all" else [kind]
    filters = Filters(region=region, theme=theme, report=report, report_type=report_type, since=since, until=until)
    store = _open_store(db)
    searcher = Searcher(store)
    try:
        hits = [] if kind == "text" else searcher.search(query, kinds=kinds, mode=mode, limit=limit, filters=filters)
        text_hits = searcher.search_text(query, filters, limit) if kind in ("text", "all") or mode == "keyword" else []
    except QueryError as exc:
        raise fail(str(exc))
    finally:
        searcher.close()
        store.close()
    _print_hits(hits, query, as_json, as_csv, bom, text_hits)


@app.command()
def similar(
    item: str = typer.Argument(..., help="REPORT_ID:ITEM_ID of an item, as `search` prints it; the report id may "
                                         "be a unique prefix (3f2a9c:P6).", show_default=False),
    db: Path = DbOption,
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=MAX_RESULTS, clamp=True, help="How many results."),
    same_report: bool = typer.Option(False, "--same-report", help="Include items of the same report."),
    as_json: bool = JsonOption,
    as_csv: bool = CsvOption,
    bom: bool = BomOption,
) -> None:
    """Items of other reports that resemble this one, with their cosine: who else did something like it."""
    from .search import QueryError, Searcher

    store = _open_store(db)
    try:
        source, _, item_id = item.rpartition(":")
        if source and Path(source).is_file():  # FILE:ITEM_ID names the report by a file it was read from
            item = f"{_report_id(store, db, source)}:{item_id}"
        hits = Searcher(store).similar(item, limit=limit, other_reports=not same_report)
    except QueryError as exc:
        raise fail(str(exc))
    finally:
        store.close()
    _print_hits(hits, "", as_json, as_csv, bom)


def _print_hits(hits, query: str, as_json: bool, as_csv: bool, bom: bool = False, text_hits=()) -> None:
    rows = [_hit_row(hit, flat=as_csv) for hit in [*hits, *text_hits]]
    if as_json or as_csv:
        _emit(rows, as_json, as_csv, bom=bom)
        return
    from rich.console import Console

    from .render import hits_table

    if not hits and not text_hits:
        stderr_console().print("no results")
        return
    console = Console()
    if hits:
        console.print(hits_table(hits, query))
    if text_hits:
        console.print(hits_table(text_hits, query, title="In the reports' text"))


def _hit_row(hit, flat: bool = False) -> dict:
    """A hit as JSON has it; ``flat`` (for CSV): the span as start and end, the regions as one cell."""
    row = hit.as_dict()
    if flat:
        start, end = row.pop("span")
        row = {**row, "start": start, "end": end, "regions": "; ".join(row["regions"])}
    return row


@app.command()
def remove(
    report: str = typer.Argument(..., help="A report id (or unique prefix), or the path of a file it was read from.",
                                 show_default=False),
    db: Path = DbOption,
) -> None:
    """Remove one report from the store: its items, vectors, index rows and sources; themes lose its practices."""
    store = _open_store(db, write=True)
    try:
        report_id = _report_id(store, db, report)
        title, files = store.load(report_id).report.title, len(store.sources_of(report_id))
        store.delete_report(report_id)
    finally:
        store.close()
    stderr_console().print(f"removed {report_id[:12]} {title!r} ({files} source file{'s' if files != 1 else ''}); "
                    "a later `run` over its folder adds it again", markup=False, soft_wrap=True)


@app.command()
def sources(
    report_id: str = ReportIdArgument,
    db: Path = DbOption,
    as_json: bool = JsonOption,
    as_csv: bool = CsvOption,
    bom: bool = BomOption,
) -> None:
    """The files merged into one report (files with identical cleaned content are one report)."""
    import datetime

    store = _open_store(db)
    try:
        rows = store.source_rows(_report_id(store, db, report_id))
    finally:
        store.close()
    for row in rows:
        row["modified"] = datetime.datetime.fromtimestamp(row["mtime_ns"] / 1e9).isoformat(timespec="seconds")
        row["seen_at"] = datetime.datetime.fromtimestamp(row["seen_at"]).isoformat(timespec="seconds")

    def table(rows):
        from rich.table import Table
        from rich.text import Text

        t = Table()
        for column in ("path", "size", "modified", "last seen"):
            t.add_column(column, overflow="fold")
        for r in rows:
            t.add_row(Text(printable(r["path"])), f"{r['size']:,}", r["modified"], r["seen_at"])
        return t

    _emit(rows, as_json, as_csv, table, bom)


@app.command()
def reanalyze(report_id: str = ReportIdArgument, db: Path = DbOption) -> None:
    """Run every stage again on one stored report with the current code (from its stored text)."""
    from .batch import reanalyze as reanalyze_report

    store = _open_store(db, write=True)
    try:
        full_id = _report_id(store, db, report_id)
        with stderr_console().status(f"reanalyzing {full_id[:12]}"):
            analysis = reanalyze_report(store, full_id)
    finally:
        store.close()
    counts = ", ".join(f"{len(getattr(analysis, k))} {k}" for k in
                       ("figures", "stages", "practices", "findings", "recommendations"))
    stderr_console().print(f"reanalyzed {full_id[:12]} {analysis.report.title!r}: {counts}", markup=False,
                           soft_wrap=True)


def _report_id(store, db: Path, given: str) -> str:
    """The full id of the report ``given`` names: an id, a unique id prefix, or a file it was read from."""
    path = Path(given)
    if path.is_file():
        found = store.report_of_source(path)
        if found is None:
            raise fail(f"{path}: no report in {db} was read from this file")
        return found
    try:
        return store.resolve_id(given)
    except KeyError as exc:
        raise fail(f"{db}: {exc.args[0]}")


@app.command()
def doctor(db: Path = DbOption) -> None:
    """Check the installation: packages, models load offline, SQLite FTS5, and the store."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .doctor import run_checks

    checks = run_checks(db)
    table = Table()
    for column in ("check", "", "detail", "s"):
        table.add_column(column, overflow="fold")
    for c in checks:
        table.add_row(c.name, "[green]ok[/green]" if c.ok else "[red]FAIL[/red]", Text(c.detail), f"{c.seconds:.1f}")
    Console().print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def serve(
    db: Path = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback: only this machine)."),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="Port to listen on."),
) -> None:
    """Browse, verify and search the store in a local web page (read-only); prints its URL."""
    from .store import StoreError

    if not db.exists():
        raise fail(f"{db}: no store here; create one with `reportlens run PATH --db {db}`")
    from .web import ServeError, serve as serve_web  # the web stack loads only for this command

    try:
        serve_web(db, host=host, port=port)
    except (StoreError, ServeError) as exc:
        raise fail(str(exc))


def _load_report(db: Path, report_id: str):
    store = _open_store(db)
    try:
        return store.load(_report_id(store, db, report_id))
    except KeyError as exc:
        raise fail(f"{db}: {exc.args[0]}")
    finally:
        store.close()


def _open_store(db: Path, write: bool = False):
    """The store at ``db`` for a command; a missing, empty or foreign file is an error, never a new store.
    Commands that only read open it read-only."""
    from .store import Store

    if write:
        Store(db, readonly=True).close()  # is there a store at all? (creating one is `run`'s job)
    return Store(db, readonly=not write)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # outside a command (the commands' own: CommandGroup)
        interrupted()
        sys.exit(130)
