"""Commands about the installation and the web view: doctor, serve."""
from __future__ import annotations

from pathlib import Path

import typer

from ..console import fail
from .common import app, DbOption


@app.command()
def doctor(db: Path = DbOption) -> None:
    """Check the installation: packages, models load offline, SQLite FTS5, and the store."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..doctor import run_checks

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
    from ..store import StoreError

    if not db.exists():
        raise fail(f"{db}: no store here; create one with `reportlens run PATH --db {db}`")
    from ..web import ServeError, serve as serve_web  # the web stack loads only for this command

    try:
        serve_web(db, host=host, port=port)
    except (StoreError, ServeError) as exc:
        raise fail(str(exc))
