"""What every command shares: the typer app, the shared options, printing rows, opening the store and
finding a report in it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from .. import __version__
from ..console import CommandGroup, fail, interrupted


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


def emit(rows: list[dict], as_json: bool, as_csv: bool, table=None, bom: bool = False) -> None:
    """Print ``rows`` as JSON Lines, CSV, or (the default, for people) ``table(rows)``: the one place the
    shared output options take effect."""
    if as_json and as_csv:
        raise typer.BadParameter("give --json or --csv, not both", param_hint="--json/--csv")
    if as_json or (table is None and not as_csv):
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif as_csv:
        from ..export import csv_table

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


def stored_reports(db: Path) -> str:
    from ..store import Store, StoreError

    try:
        with Store(db, readonly=True) as store:
            n = store.count_reports()
    except StoreError:
        return f"no store at {db}"
    return f"the store {db} holds {n} report{'s' if n != 1 else ''} finished before"


def resolve_report(store, db: Path, given: str) -> str:
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


def load_report(db: Path, report_id: str):
    store = open_store(db)
    try:
        return store.load(resolve_report(store, db, report_id))
    except KeyError as exc:
        raise fail(f"{db}: {exc.args[0]}")
    finally:
        store.close()


def open_store(db: Path, write: bool = False):
    """The store at ``db`` for a command; a missing, empty or foreign file is an error, never a new store.
    Commands that only read open it read-only."""
    from ..store import Store

    if write:
        Store(db, readonly=True).close()  # is there a store at all? (creating one is `run`'s job)
    return Store(db, readonly=not write)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # outside a command (the commands' own: CommandGroup)
        interrupted()
        sys.exit(130)
