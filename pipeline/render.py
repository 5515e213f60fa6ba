"""Readable terminal views of stored records (used by `reportlens show`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .records import Analysis

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console


def _fmt_number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def render_report(analysis: Analysis, console: "Console", max_figures: int = 40) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table
    from rich.tree import Tree

    r = analysis.report
    facts = [f"[bold]id[/bold] {r.id}", f"[bold]source[/bold] {escape(r.source)}",
             f"[bold]language[/bold] {r.language}   [bold]type[/bold] {escape(r.report_type or '-')}"
             + (f"   [bold]year[/bold] {r.year}" if r.year else "")]
    if r.studied_regions:
        facts.append(f"[bold]studied[/bold] {escape(', '.join(r.studied_regions))}")
    if r.target_region:
        facts.append(f"[bold]for[/bold] {escape(r.target_region)}")
    facts.append(f"[bold]length[/bold] {len(r.text):,} characters")
    console.print(Panel("\n".join(facts), title=escape(r.title), title_align="left"))

    if r.sections:
        tree = Tree("[bold]Sections[/bold]")
        stack: list[tuple[int, Tree]] = [(0, tree)]
        for s in r.sections:
            while stack[-1][0] >= s.level:
                stack.pop()
            node = stack[-1][1].add(f"{escape(s.heading)} [dim]({s.kind}, {s.span[0]}–{s.span[1]})[/dim]")
            stack.append((s.level, node))
        console.print(tree)

    if analysis.figures:
        table = Table(title=f"Figures ({len(analysis.figures)})", title_justify="left")
        for column in ("value", "kind", "unit", "measures", "year", "text"):
            table.add_column(column, overflow="fold")
        for f in analysis.figures[:max_figures]:
            value = ("" if f.qualifier == "=" else f.qualifier + " ") + _fmt_number(f.value)
            table.add_row(value, f.kind, escape(f.unit or ""), escape(f.measures or ""),
                          str(f.year or ""), escape(f.text))
        console.print(table)
        if len(analysis.figures) > max_figures:
            console.print(f"[dim]… and {len(analysis.figures) - max_figures} more (use --json)[/dim]")

    if analysis.stages:
        table = Table(title="Stages", title_justify="left")
        for column in ("#", "stage", "from", "to"):
            table.add_column(column, overflow="fold")
        for s in analysis.stages:
            start = s.start or ""
            end = s.end or ""
            if s.start_year and str(s.start_year) not in start:
                start = f"{start} ({s.start_year})"
            if s.end_year and str(s.end_year) not in end:
                end = f"{end} ({s.end_year})"
            table.add_row(str(s.order), escape(s.label), escape(start), escape(end))
        console.print(table)

    if analysis.practices:
        tree = Tree(f"[bold]Practices ({len(analysis.practices)})[/bold]")
        nodes = {}
        groups: dict[str, Tree] = {}
        for p in analysis.practices:
            parent = nodes.get(p.parent) if p.parent else None
            if parent is None:
                group = p.group or ""
                if group not in groups:
                    groups[group] = tree.add(f"[italic]{escape(group)}[/italic]") if group else tree
                parent = groups[group]
            label = escape(p.text)
            if p.theme:
                label += f" [dim]· {escape(p.theme)}[/dim]"
            nodes[p.id] = parent.add(label)
        console.print(tree)

    for title, items in (("Findings", analysis.findings), ("Recommendations", analysis.recommendations)):
        if not items:
            continue
        tree = Tree(f"[bold]{title} ({len(items)})[/bold]")
        for item in items:
            target = getattr(item, "target", None)
            tree.add(escape(item.text) + (f" [dim]→ {escape(target)}[/dim]" if target else ""))
        console.print(tree)


def _md_escape(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|").strip()


# A long report's Markdown summary shows its most important findings (headlines), recommendations (in full,
# about five wrapped lines each) and top-level practices, so the whole fits on two screens (tests/test_render.py)
TOP_N = 5
TOP_RECOMMENDATIONS = 4
ALL_UP_TO = 8  # a report with at most this many shows them all


def top_items(items: list, n: int = TOP_N, all_up_to: int = ALL_UP_TO) -> list:
    """All ``items`` when there are few, else the ``n`` most important (by ``score``), in reading order."""
    if len(items) <= all_up_to:
        return list(items)
    ranked = sorted(range(len(items)), key=lambda i: (-items[i].score, i))[:n]
    return [items[i] for i in sorted(ranked)]


def _full(text: str, detail: str) -> str:
    return f"**{text.strip()}** {detail.strip()}".strip() if detail.strip() else text.strip()


def _clip(text: str, width: int) -> str:
    """A label cut at a word to ``width`` characters (what a figure measures is a label, not report text)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:text.rfind(" ", 0, width) if " " in text[:width] else width] + " …"


def _span(span) -> str:
    return f" <sub>[{span[0]}–{span[1]}]</sub>" if span else ""


def summary_markdown(analysis: Analysis) -> str:
    """The structured summary of one report as Markdown, for people; every line cites a span."""
    r = analysis.report
    s = analysis.summary
    lines = [f"# {_md_escape(r.title)}", ""]
    facts = [f"`{r.id}`", r.language]
    if r.report_type:
        facts.append(r.report_type)
    if r.year:
        facts.append(str(r.year))
    if r.studied_regions:
        facts.append("studied: " + ", ".join(r.studied_regions))
    if r.target_region:
        facts.append("for: " + r.target_region)
    lines += [" · ".join(facts), ""]
    if s is None:
        return "\n".join(lines + ["_No summary stored for this report; re-run `reportlens run`._", ""])
    more_hint = f"`reportlens summarize {r.id} --format json` lists them all, in full"
    if s.abstract:
        lines += ["## Abstract", ""]
        lines += [f"> {_md_escape(a.text)} <sub>[{a.span[0]}–{a.span[1]}]</sub>" for a in s.abstract]
        lines.append("")
    if s.key_figures:
        lines += ["## Key figures", "", "| figure | measures | year | text |", "|---|---|---|---|"]
        for f in s.key_figures:
            value = ("" if f.qualifier == "=" else f.qualifier + " ") + _fmt_number(f.value) + \
                (f" {f.unit}" if f.unit else "")
            lines.append(f"| {_md_escape(value)} | {_md_escape(_clip(f.measures or '', 50))} | {f.year or ''} "
                         f"| {_md_escape(f.text)} |")
        lines.append("")
    if s.stages:
        lines += ["## Stages", ""]
        for st in s.stages:
            bounds = " – ".join(x for x in (st.start or "…", st.end or "…"))
            lines.append(f"{st.order}. **{_md_escape(st.label)}** ({_md_escape(bounds)})")
        lines.append("")
    if s.practice_tree:
        lines += ["## Practices", ""]

        def walk(nodes, depth):
            for node in nodes:
                theme = f" _[{_md_escape(node.theme)}]_" if node.theme else ""
                lines.append(f"{'  ' * depth}- {_md_escape(node.text)}{theme}")
                walk(node.children, depth + 1)

        roots = s.practice_tree if len(s.practice_tree) <= ALL_UP_TO else s.practice_tree[:TOP_N]
        walk(roots, 0)
        if len(roots) < len(s.practice_tree):
            lines += ["", f"_{len(s.practice_tree) - len(roots)} more practices: {more_hint}._"]
        lines.append("")
    if s.findings:
        shown = top_items(s.findings)
        lines += [f"## Findings ({len(s.findings)})" if len(shown) < len(s.findings) else "## Findings", ""]
        # a finding's headline states it (its detail is the evidence, in the JSON); a recommendation is shown
        # whole, since its later sentences carry the plan elements it requires
        lines += [f"- {_md_escape(f.text)}{_span(f.span)}" for f in shown]
        if len(shown) < len(s.findings):
            lines += ["", f"_{len(s.findings) - len(shown)} more findings: {more_hint}._"]
        lines.append("")
    if s.recommendations:
        shown = top_items(s.recommendations, TOP_RECOMMENDATIONS)
        lines += [f"## Recommendations ({len(s.recommendations)})" if len(shown) < len(s.recommendations)
                  else "## Recommendations", ""]
        for rec in shown:
            target = f" (→ {_md_escape(rec.target)})" if rec.target else ""
            lines.append(f"- {_md_escape(_full(rec.text, rec.detail))}{target}{_span(rec.span)}")
            for ref in rec.supported_by:
                lines.append(f"  - builds on: {_md_escape(ref.text)}")
        if len(shown) < len(s.recommendations):
            lines += ["", f"_{len(s.recommendations) - len(shown)} more recommendations: {more_hint}._"]
        lines.append("")
    if s.lessons:
        lines += ["## Lessons", ""]
        lines += [f"- {_md_escape(l.studied_region)} → {_md_escape(l.target_region)}: {_md_escape(l.finding.text)}"
                  for l in s.lessons]
        lines.append("")
    return "\n".join(lines)


def highlight_pattern(query: str):
    """A regex of what to mark in a hit: words of three letters or more (with their endings), and the
    character bigrams of Chinese terms (what the Chinese index matched on)."""
    import re

    from .nlp import CHINESE, cjk_bigrams
    from .search import query_terms

    words, grams = [], set()
    for term in query_terms(query):
        if CHINESE.search(term):
            grams.update(cjk_bigrams(term).split())
        elif len(term) > 2:
            words.append(term)
    alternatives = []
    if words:
        alternatives.append(r"\b(?:" + "|".join(re.escape(t) for t in words) + r")\w*")
    if grams:
        alternatives.append("|".join(re.escape(g) for g in sorted(grams, key=lambda g: (-len(g), g))))
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def snippet(text: str, pattern, width: int = 220) -> str:
    """``text`` cut to about ``width`` characters around the first match of ``pattern`` (whole when short)."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    match = pattern.search(text) if pattern else None
    start = max(0, (match.start() if match else 0) - width // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    return ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")


def _score(value: float) -> str:
    return f"{value:.3g}"


def hits_table(hits, query: str, title: str | None = None):
    """Search hits as a table: rank, kind, score, the item (a snippet, the query's words marked, with its
    id and span), report, region and theme."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, title=title, title_justify="left")
    pattern = highlight_pattern(query) if query else None
    # the item gets the room: the report, regions and theme are cut short on a narrow terminal
    table.add_column("#", style="dim", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("score", style="dim", no_wrap=True)
    table.add_column("item", overflow="fold", min_width=24)
    table.add_column("report · region · theme", overflow="fold", max_width=40)
    for hit in hits:
        item = Text(snippet(hit.text, pattern))
        detail = " ".join(hit.detail.split())
        if pattern and detail and not pattern.search(hit.text) and pattern.search(detail):
            item.append("\n" + snippet(detail, pattern, 160), style="italic")
        if pattern:
            item.highlight_regex(pattern, style="bold yellow")
        ref = hit.report_id[:8] if hit.kind == "text" else f"{hit.report_id[:8]}:{hit.item_id}"
        item.append(f"\n{ref} [{hit.span[0]}–{hit.span[1]}]", style="dim")
        where = Text(hit.report_title, style="cyan")
        if hit.regions:
            where.append("\n" + ", ".join(hit.regions))
        if hit.theme:
            where.append("\n" + hit.theme, style="magenta")
        table.add_row(str(hit.rank), hit.kind.rstrip("s") if hit.kind != "text" else "text", _score(hit.score),
                      item, where)
    return table


def themes_table(listing: list[dict]):
    """Themes with size, reports, regions and their most typical practices."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=True)
    for column in ("theme", "size", "reports", "regions", "typical practices"):
        table.add_column(column, overflow="fold")
    for theme in listing:
        label = Text(theme["label"], style="bold")
        if theme.get("codebook"):
            label.append("\ncodebook", style="dim")
        label.append(f"\n{theme['id']}", style="dim")
        practices = Text()
        for i, p in enumerate(theme["practices"]):
            if i:
                practices.append("\n")
            practices.append(f"• {p['text']}")
            practices.append(f"  ({p['report'][:40]}{', ' + p['region'] if p.get('region') else ''})", style="dim")
        table.add_row(label, str(theme["size"]), str(len(theme["reports"])), Text(", ".join(theme["regions"][:4])),
                      practices)
    return table
