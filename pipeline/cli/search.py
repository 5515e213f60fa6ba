"""Commands that search the store: themes, search, similar."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..console import fail, stderr_console
from .common import (
    app, DbOption, JsonOption, CsvOption, BomOption, MAX_RESULTS, SinceOption, UntilOption, emit,
    resolve_report, open_store,
)


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
    from ..corpus import updated_theme_listing

    listing = updated_theme_listing(db, rebuild=rebuild, n_themes=n_themes, top=top)
    if as_json:
        emit(listing, as_json=True, as_csv=False)
        return
    if not listing:
        stderr_console().print("no themes: the store has no practices yet (run `reportlens run PATH` first)")
        return
    from rich.console import Console

    from ..render import themes_table

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
    from ..search import KINDS, Filters, QueryError, Searcher

    if kind not in (*KINDS, "text", "all"):
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}, text or all", param_hint="--kind")
    if mode not in ("keyword", "semantic", "hybrid"):
        raise typer.BadParameter("use keyword, semantic or hybrid", param_hint="--mode")
    kinds = list(KINDS) if kind == "all" else [kind]
    filters = Filters(region=region, theme=theme, report=report, report_type=report_type, since=since, until=until)
    store = open_store(db)
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
    from ..search import QueryError, Searcher

    store = open_store(db)
    try:
        source, _, item_id = item.rpartition(":")
        if source and Path(source).is_file():  # FILE:ITEM_ID names the report by a file it was read from
            item = f"{resolve_report(store, db, source)}:{item_id}"
        hits = Searcher(store).similar(item, limit=limit, other_reports=not same_report)
    except QueryError as exc:
        raise fail(str(exc))
    finally:
        store.close()
    _print_hits(hits, "", as_json, as_csv, bom)


def _print_hits(hits, query: str, as_json: bool, as_csv: bool, bom: bool = False, text_hits=()) -> None:
    rows = [_hit_row(hit, flat=as_csv) for hit in [*hits, *text_hits]]
    if as_json or as_csv:
        emit(rows, as_json, as_csv, bom=bom)
        return
    from rich.console import Console

    from ..render import hits_table

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
