"""The pages across reports: Search (the CLI's hybrid search and filters), Similar items, Themes (with a
reports × themes heat map), Figures (a measure over the years; every report's stages on one timeline),
and Export (a report's JSON, the JSON Lines, the CSV tables)."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterator, Optional

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..nlp import CHINESE
from .app import render
from .charts import shade, timeline, value_plot
from .marks import item_key, query_matchers, snippet, span_key
from .pages import ITEM_KEY, library, resolve_report

MODES = ("hybrid", "keyword", "semantic")
MAX_LIMIT = 100
MAX_QUERY_CHARS = 500
MAX_PLOTS = 40
# Durations, dates and ranks of different reports are rarely the same quantity over time.
PLOTLESS_KINDS = {"duration", "date", "rank"}


def _year(value: str, name: str, errors: list[str]) -> Optional[int]:
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit() and len(value) <= 4:
        return int(value)
    errors.append(f"{name} must be a year such as 2020, not “{value[:20]}”.")
    return None


async def search(request: Request):
    """The search form and its hits: kind, score, report, a snippet with the matched words marked, and a
    link to the item's highlighted span. Bad filter values give the form back with a 400 and the reason."""
    from ..search import KINDS, Filters, QueryError

    params = request.query_params
    query = params.get("q", "")[:MAX_QUERY_CHARS]
    kind = params.get("kind", "all")
    mode = params.get("mode", "hybrid")
    errors: list[str] = []
    if kind not in (*KINDS, "text", "all"):
        errors.append(f"kind must be one of all, text, {', '.join(KINDS)}.")
    if mode not in MODES:
        errors.append(f"mode must be one of {', '.join(MODES)}.")
    limit_text = params.get("limit", "20").strip()
    limit = int(limit_text) if limit_text.isascii() and limit_text.isdigit() else 0
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(f"limit must be a number from 1 to {MAX_LIMIT}.")
    filters = Filters(region=params.get("region") or None, theme=params.get("theme") or None,
                      report=params.get("report") or None, report_type=params.get("type") or None,
                      since=_year(params.get("since", ""), "since", errors),
                      until=_year(params.get("until", ""), "until", errors))
    lib = library(request)
    context = {"q": query, "kind": kind, "mode": mode, "limit": limit_text, "params": params,
               "kinds": (*KINDS, "text"), "modes": MODES, "errors": errors, "hits": [], "text_hits": [],
               "message": "", "choices": _filter_choices(lib)}
    if errors:
        return render(request, "search.html", context, 400)
    if query.strip():
        try:
            # as the CLI: items of the kinds asked for, and sentences of the reports' text for kind text or
            # all, or for a keyword search
            hits = [] if kind == "text" else lib.searcher.search(
                query, kinds=list(KINDS) if kind == "all" else [kind], mode=mode, filters=filters, limit=limit)
            text_hits = lib.searcher.search_text(query, filters, limit) \
                if kind in ("text", "all") or mode == "keyword" else []
        except QueryError as exc:
            context["message"] = str(exc).capitalize() + "."
        else:
            context["hits"] = _hit_rows(hits, query)
            context["text_hits"] = _hit_rows(text_hits, query)
            context["message"] = "" if hits or text_hits else "No results."
    return render(request, "search.html", context)


def _filter_choices(lib) -> dict[str, list[str]]:
    """What the store holds for the region, theme and type filters (suggestions; any text is allowed)."""
    reports = lib.store.report_listing()
    regions = {r for row in reports for r in [*row["studied_regions"], row["target_region"]] if r}
    return {"region": sorted(regions), "theme": sorted({t["label"] for t in lib.store.themes()}),
            "type": sorted({row["report_type"] for row in reports if row["report_type"]})}


def _hit_rows(hits, query: str) -> list[dict]:
    matchers = query_matchers(query)
    rows = []
    for hit in hits:
        if hit.kind == "text":  # a sentence of the report's text, not an item: linked by its span
            key, url = span_key(*hit.span), f"/reports/{hit.report_id}/spans/{hit.span[0]}-{hit.span[1]}"
        else:
            key = item_key(hit.kind, hit.item_id)
            url = f"/reports/{hit.report_id}/items/{key}"
        detail = hit.detail if hit.detail and hit.detail != hit.text else ""
        rows.append({"hit": hit, "key": key, "kind": key.split("-", 1)[0], "url": url,
                     "text": snippet(hit.text, query, 300, matchers),
                     "detail": snippet(detail, query, 300, matchers) if detail else ""})
    return rows


async def similar(request: Request):
    """Practices of other reports that resemble one practice (by meaning), best first."""
    from ..search import QueryError

    lib = library(request)
    report_id = resolve_report(lib, request.path_params["report_id"])
    key = request.path_params["key"]
    if not ITEM_KEY.fullmatch(key) or not key.startswith("practice-"):
        raise HTTPException(404, f"Similar items are found for practices (practice-P1 …), not for “{key[:60]}”.")
    item_id = key.split("-", 1)[1]
    analysis = lib.store.load(report_id)
    item = next((p for p in analysis.practices if p.id == item_id), None)
    if item is None:
        raise HTTPException(404, f"Report “{analysis.report.title[:120]}” has no item “{key}”.")
    try:
        # Searcher.similar looks an item up by report and id: practice ids are unique within a report.
        hits = lib.searcher.similar(f"{report_id}:{item_id}", limit=20)
    except QueryError as exc:
        raise HTTPException(404, str(exc))
    return render(request, "similar.html", {"report": analysis.report, "item": item, "key": key,
                                            "hits": _hit_rows(hits, "")})


async def themes(request: Request):
    """Themes with their practices, the reports × themes heat map."""
    from ..corpus import theme_listing

    lib = library(request)
    listing = theme_listing(lib.store, top=60)
    reports = {r["id"]: r for r in lib.store.report_listing()}
    counts = defaultdict(dict)
    for theme_id, report_id, count in lib.store.theme_report_counts():
        counts[report_id][theme_id] = count
    most = max((c for row in counts.values() for c in row.values()), default=0)
    rows = [{"report": reports[rid], "cells": [(counts[rid].get(t["id"], 0), shade(counts[rid].get(t["id"], 0), most))
                                               for t in listing]}
            for rid in sorted(counts, key=lambda rid: reports[rid]["title"].lower()) if rid in reports]
    for theme in listing:
        for practice in theme["practices"]:
            rid, _, pid = practice["id"].rpartition(":")
            practice["url"] = f"/reports/{rid}/items/practice-{pid}"
            practice["similar"] = practice["url"] + "/similar"
    return render(request, "themes.html", {"themes": listing, "rows": rows})


def measure_series(figures: list[tuple[str, str, Optional[int], dict]]) -> list[dict]:
    """Figures of the same measure (same words, kind and unit) given by at least two reports for at least
    two years, as plot series, those with the most reports first."""
    groups: dict[tuple, dict] = {}
    for report_id, title, report_year, figure in figures:
        measure = " ".join((figure.get("measures") or "").split()).lower()
        year = figure.get("year") or report_year
        if year is None or figure.get("kind") in PLOTLESS_KINDS or not _names_a_measure(measure, figure.get("unit")):
            continue
        key = (measure, figure.get("kind"), figure.get("unit") or "")
        group = groups.setdefault(key, {"measure": figure["measures"], "kind": figure.get("kind"),
                                        "unit": figure.get("unit") or "", "points": {}})
        group["points"].setdefault((report_id, year), (year, float(figure["value"]), title,
                                                       f"/reports/{report_id}/items/figure-{figure['id']}"))
    series = []
    for group in groups.values():
        points = list(group["points"].values())
        reports = {rid for rid, _ in group["points"]}
        if len(reports) >= 2 and len({p[0] for p in points}) >= 2:
            series.append({**group, "points": sorted(points), "reports": len(reports)})
    series.sort(key=lambda s: (-s["reports"], -len(s["points"]), s["measure"].lower()))
    return series


def _names_a_measure(measure: str, unit: Optional[str]) -> bool:
    """Whether a figure's measure says what is measured, beyond its unit ("years", "states" do not)."""
    if CHINESE.search(measure):
        return len(CHINESE.findall(measure)) >= 2
    words = [w for w in re.findall(r"\w+", measure) if w != (unit or "").lower()]
    return len(words) >= 2


async def figures(request: Request):
    """A plot per measure that several reports give a figure for, and all reports' stages on one timeline."""
    lib = library(request)
    series = measure_series(lib.store.items_of_kind("figures"))[:MAX_PLOTS]
    for s in series:
        s["svg"] = value_plot(s["points"], s["unit"])
    lanes: dict[str, list] = {}
    titles, years = {}, {}
    for report_id, title, report_year, stage in lib.store.items_of_kind("stages"):
        titles[report_id], years[report_id] = title, report_year
        lanes.setdefault(report_id, []).append((stage["label"], stage.get("start_year"), stage.get("end_year"),
                                                f"/reports/{report_id}/items/stage-{stage['id']}"))
    last = max((y for y in years.values() if y), default=None)
    stages_svg = timeline([(titles[rid], f"/reports/{rid}", bars) for rid, bars in lanes.items()], last)
    return render(request, "figures.html", {"series": series, "stages_svg": stages_svg, "stage_reports": len(lanes)})


async def export_page(request: Request):
    from ..export import CSV_PARTS

    lib = library(request)
    return render(request, "export.html", {"rows": lib.store.report_listing(), "parts": CSV_PARTS})


async def export_report(request: Request) -> Response:
    from ..export import to_json

    lib = library(request)
    report_id = resolve_report(lib, request.path_params["report_id"])
    return _download(to_json(lib.store.load(report_id)), f"{report_id}.json", "application/json")


def _all_analyses(lib, build):
    """``build(analyses)`` over every stored report, on a connection of its own (it runs in a worker thread)."""
    from ..store import Store

    with Store.open_readonly(lib.db) as store:
        return build(store.iter_analyses())


def _json_lines(db) -> Iterator[bytes]:
    """Every stored analysis as a JSON line, read one report at a time (Starlette runs this iterator in
    worker threads, one step at a time: the store is its own)."""
    from ..export import to_json_line
    from ..store import Store

    with Store.open_readonly(db) as store:
        for analysis in store.iter_analyses():
            yield to_json_line(analysis).encode("utf-8")


async def export_jsonl(request: Request) -> Response:
    lib = library(request)
    return StreamingResponse(_json_lines(lib.db), media_type="application/x-ndjson; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="reports.jsonl"'})


async def export_csv(request: Request) -> Response:
    """One CSV table as `reportlens export --format csv` writes it; ``?bom=1`` starts it with a byte-order
    mark, so that Excel reads Chinese text as UTF-8."""
    from ..export import CSV_PARTS, csv_text

    table = request.path_params["table"]
    if table not in CSV_PARTS:
        raise HTTPException(404, f"There is no table “{table[:40]}”: use {', '.join(CSV_PARTS)}.")
    bom = request.query_params.get("bom") == "1"
    lib = library(request)
    text = await run_in_threadpool(_all_analyses, lib, lambda analyses: csv_text(analyses, table, bom))
    return _download(text, f"{table}.csv", "text/csv")


async def export_xlsx(request: Request) -> Response:
    """The workbook of `reportlens export --format xlsx`: one sheet per part."""
    from ..export import xlsx_bytes

    lib = library(request)
    data = await run_in_threadpool(_all_analyses, lib, xlsx_bytes)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="reports.xlsx"'})


def _download(text: str, filename: str, media_type: str) -> Response:
    return Response(text.encode("utf-8"), media_type=f"{media_type}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
