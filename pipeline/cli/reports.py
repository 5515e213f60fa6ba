"""Commands that show stored reports: list, show, summarize (and the brief across reports), export, schema,
sources."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ..console import printable, stderr_console
from .common import (
    app, DbOption, JsonOption, CsvOption, BomOption, SinceOption, UntilOption, ReportIdArgument, emit,
    resolve_report, load_report, open_store,
)


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
    store = open_store(db)
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
    emit([{"id": r.id, "number": r.number, "year": r.year, "title": r.title, "source": r.source,
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
    from ..render import render_report

    analysis = load_report(db, report_id)
    if as_json:
        sys.stdout.write(analysis.model_dump_json() + "\n")
        return
    from rich.console import Console

    render_report(analysis, Console())


@app.command()
def summarize(
    report_id: Optional[str] = typer.Argument(
        None, help="A report id, a unique prefix of one, or a file the report was read from (or --all).",
        show_default=False),
    all_reports: bool = typer.Option(False, "--all", help="A brief across every stored report: themes with "
                                     "their reports, practices and figures; each report's lessons for the home "
                                     "region and top recommendations."),
    db: Path = DbOption,
    fmt: str = typer.Option("md", "--format", "-f", help="md (for people) or json (for tools); with --all also "
                            "csv (a folder of tables) and xlsx (a workbook, a sheet per table)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file (a folder for csv) instead "
                                       "of stdout; needed for csv and xlsx."),
    bom: bool = BomOption,
) -> None:
    """Print the structured summary of one stored report: abstract, key figures, practices, findings,
    recommendations in full, lessons (Markdown shows a long report's most important ones; json has all);
    or with --all the brief across all of them."""
    if (report_id is None) == (not all_reports):
        raise typer.BadParameter("give a REPORT_ID or --all (one of them)", param_hint="REPORT_ID/--all")
    formats = ("md", "json", "csv", "xlsx") if all_reports else ("md", "json")
    if fmt not in formats:
        raise typer.BadParameter(f"use {', '.join(formats[:-1])} or {formats[-1]}"
                                 + ("" if all_reports else " (csv and xlsx: with --all)"), param_hint="--format")
    if fmt in ("csv", "xlsx") and out is None:
        raise typer.BadParameter(f"--format {fmt} writes " + ("a folder of tables: give --out DIR" if fmt == "csv"
                                 else "a workbook: give --out FILE.xlsx"), param_hint="--out")
    if all_reports:
        from ..brief import build_brief, write_brief
        from ..export import check_out_path

        if out is not None:
            check_out_path(out, "folder" if fmt == "csv" else "file")  # before reading the store
        store = open_store(db)
        try:
            brief = build_brief(store)
        finally:
            store.close()
        message = write_brief(brief, fmt, out, bom=bom, stdout=sys.stdout)
        if message:
            stderr_console().print(message, markup=False, soft_wrap=True)
        return
    from ..render import summary_markdown

    analysis = load_report(db, report_id)
    if fmt == "json":
        payload = {"report": {"id": analysis.report.id, "title": analysis.report.title,
                              "source": analysis.report.source},
                   "summary": analysis.summary.model_dump(mode="json") if analysis.summary else None}
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    else:
        text = summary_markdown(analysis)
    if out is None:
        sys.stdout.write(text)
    else:
        from ..export import check_out_path, write_atomic

        check_out_path(out, "file")
        write_atomic(out, text)
        stderr_console().print(f"wrote {out}", markup=False, soft_wrap=True)


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
    from ..export import FORMATS, check_out_path, export_analyses

    if fmt not in FORMATS:
        raise typer.BadParameter("use json, jsonl, csv or xlsx", param_hint="--format")
    if fmt in ("json", "csv") and out is None:
        raise typer.BadParameter(f"--format {fmt} writes files: give --out DIR", param_hint="--out")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("--format xlsx writes a workbook: give --out FILE.xlsx", param_hint="--out")
    if out is not None:
        check_out_path(out, "file" if fmt in ("jsonl", "xlsx") else "folder")  # before reading the store
    store = open_store(db)
    try:
        message = export_analyses(store.iter_analyses(), fmt, out, bom=bom, stdout=sys.stdout)
    finally:
        store.close()
    if out is not None:
        stderr_console().print(message, markup=False, soft_wrap=True)


@app.command()
def schema(
    write: bool = typer.Option(False, "--write", help="Write schema/report.schema.json and schema/brief.schema.json "
                               "instead of printing."),
    brief: bool = typer.Option(False, "--brief", help="The schema of `summarize --all --format json` instead."),
) -> None:
    """Print the JSON Schema of an exported report, or of the brief (generated from the records)."""
    from ..export import BRIEF_SCHEMA_PATH, SCHEMA_PATH, brief_schema_text, schema_text, write_atomic

    if write:
        for path, text in ((SCHEMA_PATH, schema_text()), (BRIEF_SCHEMA_PATH, brief_schema_text())):
            write_atomic(path, text)
            stderr_console().print(f"wrote {path}", markup=False)
    else:
        sys.stdout.write(brief_schema_text() if brief else schema_text())


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

    store = open_store(db)
    try:
        rows = store.source_rows(resolve_report(store, db, report_id))
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

    emit(rows, as_json, as_csv, table, bom)
