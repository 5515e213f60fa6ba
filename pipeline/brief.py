"""The cross-report brief (`reportlens summarize --all`): what the stored reports say across reports.

Per theme, largest first: its reports, its practices (each cited by report id and span) and the most telling
figures inside those practices' spans; per report: its regions, the lessons it draws for the home region (``Summary.lessons``, the
findings of a report that names a studied and a target region) and its top recommendations (by the
importance its summary gives them). Built from the store's records only (nothing is analysed again), in a deterministic order
everywhere, so the same store gives the same brief. Renderers: Markdown for people (capped lists, each
with "and N more"), and tables for spreadsheets (CSV files or one xlsx workbook, one sheet per table).
"""
from __future__ import annotations

import re
from itertools import zip_longest
from pathlib import Path
from typing import Iterable, Optional

from .records import (Brief, BriefFigure, BriefLesson, BriefPractice, BriefRecommendation, BriefReport,
                      BriefReportRef, BriefTheme)

TOP_RECOMMENDATIONS = 3
THEME_FIGURES = 10
# A theme's figures: those inside its practices' spans, a report's key figures first, then measured ones,
# then by kind (amounts and shares say more than counts; dates are no key figure)
_KIND_ORDER = {"money": 0, "percent": 1, "count": 2, "quantity": 2, "ratio": 3, "duration": 4, "rank": 5}
_KEY_FIGURE_FIELDS = ("id", "text", "value", "kind", "unit", "qualifier", "measures", "year", "span")
# What the Markdown shows of each list (the JSON and the tables hold everything).
MD_PRACTICES = 5
MD_FIGURES = 3
MD_LESSONS = 5
MD_TEXT_CHARS = 240


def build_brief(store, top_recommendations: int = TOP_RECOMMENDATIONS) -> Brief:
    """The brief of every report in ``store`` (a ``Store``), from the themes, items and summaries it holds."""
    reports = store.brief_reports()
    order = {r["id"]: i for i, r in enumerate(reports)}
    titles = {r["id"]: r["title"] for r in reports}
    spans = store.item_spans(("findings", "recommendations"))
    key_ids = {(r["id"], f["id"]) for r in reports for f in (r["summary"] or {}).get("key_figures", [])}
    figures = store.figures_by_report()

    by_theme: dict[str, list[dict]] = {}
    for row in store.themed_practices():
        by_theme.setdefault(row["theme_id"], []).append(row)
    themes = []
    for stored in store.themes():
        rows = sorted(by_theme.get(stored["id"], []), key=lambda p: order.get(p["report_id"], len(order)))
        if not rows:
            continue
        report_ids = sorted({p["report_id"] for p in rows}, key=lambda rid: order.get(rid, len(order)))
        themes.append(BriefTheme(
            id=stored["id"], label=stored["label"], codebook=stored.get("codebook"), language=stored.get("language"),
            size=len(rows), reports=[BriefReportRef(id=rid, title=titles.get(rid, "")) for rid in report_ids],
            practices=[BriefPractice(report_id=p["report_id"], id=p["id"], text=p["text"], span=p["span"],
                                     region=p["region"]) for p in rows],
            key_figures=_theme_figures(rows, figures, key_ids, order),
        ))
    themes.sort(key=lambda t: (-t.size, t.label.lower(), t.id))
    themes_of: dict[str, list[str]] = {}
    for theme in themes:
        for ref in theme.reports:
            themes_of.setdefault(ref.id, []).append(theme.id)

    briefs = []
    for r in reports:
        summary = r["summary"] or {}
        lessons = [BriefLesson(studied_region=l["studied_region"], target_region=l["target_region"],
                               finding_id=l["finding"]["id"], text=l["finding"]["text"],
                               span=spans.get((r["id"], "findings", l["finding"]["id"])))
                   for l in summary.get("lessons", [])]
        # the most important first (the summary's score; report order on ties)
        ranked = sorted(summary.get("recommendations", []), key=lambda rec: -rec.get("score", 0.0))
        recommendations = [BriefRecommendation(id=rec["id"], text=rec["text"], target=rec.get("target"),
                                               span=spans.get((r["id"], "recommendations", rec["id"])))
                           for rec in ranked[:top_recommendations]]
        briefs.append(BriefReport(
            id=r["id"], title=r["title"], number=r["number"], year=r["year"], language=r["language"],
            studied_regions=r["studied_regions"], target_region=r["target_region"],
            themes=themes_of.get(r["id"], []), lessons=lessons, recommendations=recommendations))
    themed = sum(t.size for t in themes)
    return Brief(themes=themes, reports=briefs, unthemed_practices=max(0, store.count_practices() - themed))


def _theme_figures(practices: list[dict], figures: dict[str, list[dict]], key_ids: set[tuple[str, str]],
                   order: dict[str, int], limit: int = THEME_FIGURES) -> list[BriefFigure]:
    """The ``limit`` most telling figures inside the spans of a theme's practices (``_KIND_ORDER``), most
    telling first, one report at a time (so that a few show every report they can)."""
    chosen = []
    for rid in dict.fromkeys(p["report_id"] for p in practices):
        spans = [p["span"] for p in practices if p["report_id"] == rid]
        for position, f in enumerate(figures.get(rid, [])):
            if f["kind"] in _KIND_ORDER and any(s <= f["span"][0] and f["span"][1] <= e for s, e in spans):
                rank = ((rid, f["id"]) not in key_ids, f.get("measures") is None, _KIND_ORDER[f["kind"]])
                chosen.append((rank, order.get(rid, len(order)), position, rid, f))
    ranked = _round_robin(sorted(chosen, key=lambda c: c[:3]), lambda c: c[3])[:limit]
    return [BriefFigure(report_id=rid, **{k: f.get(k) for k in _KEY_FIGURE_FIELDS if k in f})
            for *_, rid, f in ranked]


# ------------------------------------------------------------------------------------------------ Markdown


_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")


def _md(text: str, limit: int = MD_TEXT_CHARS) -> str:
    """``text`` on one line, cut at a word near ``limit``, safe inside a Markdown table cell or list line (a
    ``|`` would end the cell; ``<`` before a letter would open an HTML tag)."""
    text = _TAG_LIKE.sub("&lt;", " ".join(text.split()).replace("|", "\\|"))
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[:cut if cut > limit // 2 else limit].rstrip(" ,;:") + " …"
    return text


def _cite(report_id: str, item_id: str, span: Optional[tuple[int, int]]) -> str:
    where = f" [{span[0]}–{span[1]}]" if span else ""
    return f"<sub>`{report_id[:8]}:{item_id}`{where}</sub>"


def _more(total: int, shown: int, what: str) -> list[str]:
    return [f"- … and {total - shown} more {what}"] if total > shown else []


def _round_robin(items: list, key) -> list:
    """``items`` taken one per group in turn (groups in order of first appearance): a capped list shows
    as many of the groups (reports) as it can."""
    groups: dict = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return [item for row in zip_longest(*groups.values()) for item in row if item is not None]


def _figure_text(f: BriefFigure) -> str:
    facts = [x for x in (f.measures, str(f.year) if f.year else None) if x]
    return _md(f.text, 80) + (f" ({_md(', '.join(facts), 120)})" if facts else "")


def brief_markdown(brief: Brief, practices: int = MD_PRACTICES, figures: int = MD_FIGURES,
                   lessons: int = MD_LESSONS) -> str:
    """The brief as Markdown, for people: a table of the themes, then each theme (its reports, its first
    ``practices`` practices taken a report at a time, ``figures`` key figures), then each report (regions,
    themes, ``lessons`` lessons, top recommendations). Every practice, lesson, recommendation and figure
    cites ``report id:item id [start–end]`` (the span into the report's text); the figures are the theme's
    most telling first (``_theme_figures``); longer lists end in
    "and N more" (the JSON and the tables have them all)."""
    labels = {t.id: t.label for t in brief.themes}
    n_practices = sum(t.size for t in brief.themes)
    lines = ["# Brief across reports", "",
             f"{len(brief.reports)} reports · {len(brief.themes)} themes · {n_practices} practices in themes"
             + (f" ({brief.unthemed_practices} in none)" if brief.unthemed_practices else ""), ""]
    if brief.themes:
        lines += ["| # | theme | practices | reports |", "|---|---|---|---|"]
        lines += [f"| {i} | {_md(t.label, 80)} | {t.size} | {len(t.reports)} |"
                  for i, t in enumerate(brief.themes, start=1)]
        lines += ["", "## Themes", ""]
    for i, theme in enumerate(brief.themes, start=1):
        facts = [f"`{theme.id}`", f"{theme.size} practices from {len(theme.reports)} "
                                  f"report{'s' if len(theme.reports) != 1 else ''}"]
        facts += [x for x in (theme.language, "codebook" if theme.codebook else None) if x]
        lines += [f"### {i}. {_md(theme.label, 120)}", "", " · ".join(facts), "",
                  "Reports: " + "; ".join(f"{_md(r.title, 100)} (`{r.id[:8]}`)" for r in theme.reports), ""]
        shown = sorted(_round_robin(theme.practices, lambda p: p.report_id)[:practices],
                       key=lambda p: theme.practices.index(p))
        for p in shown:
            region = f" ({_md(p.region, 60)})" if p.region else ""
            lines.append(f"- {_md(p.text)}{region} {_cite(p.report_id, p.id, p.span)}")
        lines += _more(theme.size, len(shown), "practices")
        if theme.key_figures:
            chosen = theme.key_figures[:figures]
            lines += ["", "Key figures:", ""]
            lines += [f"- {_figure_text(f)} {_cite(f.report_id, f.id, f.span)}" for f in chosen]
            lines += _more(len(theme.key_figures), len(chosen), "figures")
        lines.append("")
    if brief.reports:
        lines += ["## Reports", ""]
    for r in brief.reports:
        facts = [f"`{r.id[:8]}`", *(x for x in (r.number, str(r.year) if r.year else None) if x), r.language]
        if r.studied_regions:
            facts.append("studied: " + _md(", ".join(r.studied_regions), 160))
        if r.target_region:
            facts.append("for: " + _md(r.target_region, 60))
        lines += [f"### {_md(r.title, 160)}", "", " · ".join(facts), ""]
        if r.themes:
            lines += ["Themes: " + "; ".join(_md(labels[t], 80) for t in r.themes), ""]
        if r.lessons:
            homes = ", ".join(dict.fromkeys(l.target_region for l in r.lessons))
            lines += [f"Lessons for {_md(homes, 60)}:", ""]
            lines += [f"- {_md(l.studied_region, 40)} → {_md(l.target_region, 40)}: {_md(l.text)} "
                      f"{_cite(r.id, l.finding_id, l.span)}" for l in r.lessons[:lessons]]
            lines += _more(len(r.lessons), min(lessons, len(r.lessons)), "lessons")
            lines.append("")
        if r.recommendations:
            lines += ["Top recommendations:", ""]
            for rec in r.recommendations:
                target = f" (→ {_md(rec.target, 60)})" if rec.target else ""
                lines.append(f"- {_md(rec.text, 400)}{target} {_cite(r.id, rec.id, rec.span)}")
            lines.append("")
        if not (r.themes or r.lessons or r.recommendations):
            lines += ["_No practice in a theme, no lesson and no recommendation extracted._", ""]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------- spreadsheets

TABLE_COLUMNS = {
    "themes": ["theme_rank", "theme_id", "theme_label", "theme_size", "theme_reports", "language", "report_id",
               "report_title", "practice_id", "region", "text", "start", "end"],
    "figures": ["theme_rank", "theme_id", "theme_label", "report_id", "report_title", "figure_id", "value", "kind",
                "unit", "qualifier", "measures", "year", "text", "start", "end"],
    "reports": ["report_id", "number", "year", "title", "language", "studied_regions", "target_region", "themes",
                "lessons", "recommendations"],
    "lessons": ["report_id", "report_title", "studied_region", "target_region", "finding_id", "text", "start",
                "end"],
    "recommendations": ["report_id", "report_title", "rank", "recommendation_id", "target", "text", "start", "end"],
}


def _span_cells(span: Optional[tuple[int, int]]) -> dict:
    return {"start": span[0], "end": span[1]} if span else {"start": None, "end": None}


def brief_tables(brief: Brief) -> dict[str, list[dict]]:
    """The brief as flat tables (the keys of ``TABLE_COLUMNS``): one row per theme × practice, theme × key
    figure, report, lesson and top recommendation."""
    titles = {r.id: r.title for r in brief.reports}
    labels = {t.id: t.label for t in brief.themes}
    tables: dict[str, list[dict]] = {name: [] for name in TABLE_COLUMNS}
    for rank, t in enumerate(brief.themes, start=1):
        theme = {"theme_rank": rank, "theme_id": t.id, "theme_label": t.label}
        for p in t.practices:
            tables["themes"].append({**theme, "theme_size": t.size, "theme_reports": len(t.reports),
                                     "language": t.language, "report_id": p.report_id,
                                     "report_title": titles.get(p.report_id, ""), "practice_id": p.id,
                                     "region": p.region, "text": p.text, **_span_cells(p.span)})
        for f in t.key_figures:
            tables["figures"].append({**theme, "report_id": f.report_id, "report_title": titles.get(f.report_id, ""),
                                      "figure_id": f.id, "value": f.value, "kind": f.kind, "unit": f.unit,
                                      "qualifier": f.qualifier, "measures": f.measures, "year": f.year,
                                      "text": f.text, **_span_cells(f.span)})
    for r in brief.reports:
        tables["reports"].append({"report_id": r.id, "number": r.number, "year": r.year, "title": r.title,
                                  "language": r.language, "studied_regions": "; ".join(r.studied_regions),
                                  "target_region": r.target_region, "themes": "; ".join(labels[t] for t in r.themes),
                                  "lessons": len(r.lessons), "recommendations": len(r.recommendations)})
        base = {"report_id": r.id, "report_title": r.title}
        tables["lessons"] += [{**base, "studied_region": l.studied_region, "target_region": l.target_region,
                               "finding_id": l.finding_id, "text": l.text, **_span_cells(l.span)} for l in r.lessons]
        tables["recommendations"] += [{**base, "rank": i, "recommendation_id": rec.id, "target": rec.target,
                                       "text": rec.text, **_span_cells(rec.span)}
                                      for i, rec in enumerate(r.recommendations, start=1)]
    return tables


CSV_PREFIX = "brief-"


def write_brief_csv(brief: Brief, out_dir: Path, bom: bool = False) -> list[Path]:
    """One CSV file per table in ``out_dir`` (``brief-themes.csv`` ...), each written atomically; ``bom``
    starts each with a UTF-8 byte-order mark (for Excel)."""
    from .export import BOM, _csv, write_atomic

    written = []
    for name, rows in brief_tables(brief).items():
        path = out_dir / f"{CSV_PREFIX}{name}.csv"
        write_atomic(path, (BOM if bom else "") + _csv(rows, TABLE_COLUMNS[name]))
        written.append(path)
    return written


def brief_xlsx(brief: Brief) -> bytes:
    """The brief's tables as one workbook, a sheet per table (the same brief gives the same bytes)."""
    from .export import workbook_bytes

    tables = brief_tables(brief)
    return workbook_bytes((name, tables[name], TABLE_COLUMNS[name]) for name in TABLE_COLUMNS)


def write_brief(brief: Brief, fmt: str, out: Optional[Path], bom: bool = False, stdout=None) -> Optional[str]:
    """Write the brief in ``fmt`` (md, json, csv, xlsx) to ``out`` (a file; a folder for csv) atomically,
    or to ``stdout`` (md, json). Returns what was written, in words, when it went to a file."""
    from .export import check_out_path, remove_stale_temps, write_atomic

    if out is None:
        stdout.write(brief_text(brief, fmt))
        return None
    check_out_path(out, "folder" if fmt == "csv" else "file")
    remove_stale_temps(out if fmt == "csv" else out.parent)
    if fmt == "csv":
        return "wrote " + ", ".join(str(p) for p in write_brief_csv(brief, out, bom=bom))
    write_atomic(out, brief_xlsx(brief) if fmt == "xlsx" else brief_text(brief, fmt))
    return f"wrote {out}"


def brief_text(brief: Brief, fmt: str) -> str:
    if fmt == "json":
        return brief.model_dump_json(indent=2) + "\n"
    return brief_markdown(brief)


def citations(markdown: str) -> Iterable[tuple[str, str, int, int]]:
    """(report id prefix, item id, start, end) of every citation in a brief's Markdown (for checks)."""
    for m in re.finditer(r"`([0-9a-f]+):([^`]+)` \[(\d+)–(\d+)\]", markdown):
        yield m.group(1), m.group(2), int(m.group(3)), int(m.group(4))

