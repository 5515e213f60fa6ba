"""The Reports page (every report, sorted and filtered) and the Report page (the cleaned text with every
item marked, beside the practice tree, figures, stages, findings, recommendations and summary).

An item's stable URL is ``/reports/{report id}/items/{kind}-{item id}`` (``…/items/recommendation-R4``);
``/reports/{report id}#recommendation-R4`` selects the same item without a round trip. A span of text that
is no item (a sentence a search found) has ``/reports/{report id}/spans/{start}-{end}``.
"""
from __future__ import annotations

import re
from typing import Optional

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..records import Analysis
from .app import Library, render
from .charts import stage_timeline
from .marks import KIND_WORDS, Mark, analysis_marks, item_key, marked_text, span_key

# Report ids are hex digests; item keys a kind word and an id of letters, digits and dots. Anything else
# is a 404 before it reaches the store.
REPORT_ID = re.compile(r"[0-9a-f]{4,64}")
ITEM_KEY = re.compile(r"(figure|stage|practice|finding|recommendation)-([A-Za-z0-9][A-Za-z0-9._]{0,40})")
SPAN = re.compile(r"(\d{1,9})-(\d{1,9})")
SORTS = {"title": lambda r: (r["title"].lower(), r["id"]),
         "type": lambda r: ((r["report_type"] or "~").lower(), r["title"].lower()),
         "language": lambda r: (r["language"], r["title"].lower()),
         "year": lambda r: (r["year"] is None, r["year"] or 0, r["title"].lower()),
         **{kind: (lambda k: lambda r: (r["counts"][k], r["title"].lower()))(kind) for kind in KIND_WORDS}}
LABEL_CHARS = 160


def library(request: Request) -> Library:
    """The app's library, refreshed if the store changed since the last request."""
    lib: Library = request.app.state.library
    lib.fresh()
    return lib


def resolve_report(lib: Library, report_id: str) -> str:
    """The full id of a report from an id or a unique prefix of one; a 404 for anything else."""
    if not REPORT_ID.fullmatch(report_id):
        raise HTTPException(404, f"There is no report with id “{report_id[:80]}”.")
    try:
        return lib.store.resolve_id(report_id)
    except KeyError:
        raise HTTPException(404, f"There is no report with id “{report_id}” (or the prefix is ambiguous).")


async def reports(request: Request):
    """Every report with its type, language, year, regions and counts; ``sort``, ``order``, ``q`` (words of
    the title, source or regions), ``language`` and ``type`` narrow and order the table."""
    lib = library(request)
    params = request.query_params
    rows = lib.store.report_listing()
    words = params.get("q", "").strip().lower()
    language = params.get("language", "")
    report_type = params.get("type", "")
    languages = sorted({r["language"] for r in rows})
    types = sorted({r["report_type"] for r in rows if r["report_type"]})
    if words:
        rows = [r for r in rows if all(w in _haystack(r) for w in words.split())]
    if language:
        rows = [r for r in rows if r["language"] == language]
    if report_type:
        rows = [r for r in rows if r["report_type"] == report_type]
    sort = params.get("sort", "title")
    sort = sort if sort in SORTS else "title"
    descending = params.get("order") == "desc"
    rows.sort(key=SORTS[sort], reverse=descending)
    return render(request, "reports.html", {
        "rows": rows, "sort": sort, "descending": descending, "q": params.get("q", ""), "language": language,
        "report_type": report_type, "languages": languages, "types": types, "kinds": list(KIND_WORDS)})


def _haystack(row: dict) -> str:
    return " ".join([row["title"], row["source"], row["report_type"] or "", row["target_region"] or "",
                     *row["studied_regions"]]).lower()


async def report(request: Request):
    """One report: its text with every item marked, and the panels. With ``key`` in the path the page
    opens with that item selected (a 404 if the report has no such item)."""
    lib = library(request)
    report_id = resolve_report(lib, request.path_params["report_id"])
    analysis = lib.store.load(report_id)
    span = _span(request.path_params.get("span"), len(analysis.report.text))
    view = report_view(analysis, span)
    selected: Optional[str] = span_key(*span) if span else request.path_params.get("key")
    if selected is not None and not span and (not ITEM_KEY.fullmatch(selected) or selected not in view["items"]):
        raise HTTPException(404, f"Report “{analysis.report.title[:120]}” has no item “{selected[:60]}”.")
    return render(request, "report.html", {**view, "selected": selected or ""})


def _span(value: Optional[str], size: int) -> Optional[tuple[int, int]]:
    """``START-END`` of a span URL as offsets into a text of ``size`` characters; a 404 when it is not one."""
    if value is None:
        return None
    match = SPAN.fullmatch(value)
    if not match or not int(match[1]) < int(match[2]) <= size:
        raise HTTPException(404, f"“{value[:40]}” is not a span of this report (START-END, 0 ≤ START < END ≤ {size}).")
    return int(match[1]), int(match[2])


def report_view(analysis: Analysis, span: Optional[tuple[int, int]] = None) -> dict:
    """Everything the report template shows, computed from the stored analysis; ``span`` (a sentence a
    search found) is marked too, selectable like an item."""
    r = analysis.report
    marks = analysis_marks(analysis)
    items: dict[str, dict] = {}
    if span:
        key = span_key(*span)
        marks = sorted([*marks, Mark(key, "span", *span)], key=lambda m: (m.start, -m.end, m.key))
        items[key] = {"kind": "text", "id": f"{span[0]}–{span[1]}", "label": _short(r.text[span[0]:span[1]]),
                      "start": span[0], "end": span[1]}
    for kind, word in KIND_WORDS.items():
        for item in getattr(analysis, kind):
            key = item_key(kind, item.id)
            items[key] = {"kind": word, "id": item.id, "label": _short(item.text), "start": item.span[0],
                          "end": item.span[1]}
    order = [m.key for m in marks if m.kind != "span"]
    finding_ids = {f.id for f in analysis.findings}
    practice_ids = {p.id for p in analysis.practices}

    def support_key(ref: str) -> Optional[str]:
        if ref in finding_ids:
            return item_key("findings", ref)
        if ref in practice_ids:
            return item_key("practices", ref)
        return None

    recommendations = [{"item": rec, "key": item_key("recommendations", rec.id),
                        "supports": [(ref, support_key(ref)) for ref in rec.supports]}
                       for rec in analysis.recommendations]
    built_on: dict[str, list[str]] = {}
    for rec in analysis.recommendations:
        for ref in rec.supports:
            if support_key(ref):
                built_on.setdefault(support_key(ref), []).append(item_key("recommendations", rec.id))
    stages = [{"label": s.label, "start": s.start_year, "end": s.end_year, "key": item_key("stages", s.id),
               "item": s} for s in analysis.stages]
    return {
        "analysis": analysis, "report": r, "text_html": marked_text(r.text, marks), "items": items,
        "order": order, "practice_tree": practice_tree(analysis),
        "figures": [(item_key("figures", f.id), f) for f in analysis.figures],
        "stages": stages, "stage_svg": stage_timeline([(s["label"], s["start"], s["end"], "#" + s["key"])
                                                       for s in stages], r.year),
        "findings": [(item_key("findings", f.id), f, built_on.get(item_key("findings", f.id), []))
                     for f in analysis.findings],
        "recommendations": recommendations, "summary": analysis.summary,
        "counts": {word: len(getattr(analysis, kind)) for kind, word in KIND_WORDS.items()},
    }


def practice_tree(analysis: Analysis) -> list[dict]:
    """Practices as nested nodes under their groups: ``[{"group", "nodes": [{"key", "item", "children"}]}]``."""
    nodes = {p.id: {"key": item_key("practices", p.id), "item": p, "children": []} for p in analysis.practices}
    groups: dict[str, list[dict]] = {}
    for p in analysis.practices:
        parent = nodes.get(p.parent) if p.parent else None
        if parent is not None:
            parent["children"].append(nodes[p.id])
        else:
            groups.setdefault(p.group or "", []).append(nodes[p.id])
    return [{"group": group, "nodes": members} for group, members in groups.items()]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
