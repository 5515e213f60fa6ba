"""Inline SVG drawn on the server: stage timelines (one report's, or every report's on one axis), a
figure's values over the years, and heat-map shades. No JavaScript or chart library; every label from a
report is escaped."""
from __future__ import annotations

import math
from typing import Optional, Sequence

from markupsafe import Markup, escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#edc948", "#9c755f")
# A lane is (label, link or None, [(bar label, start year, end year or None, link or None)]).
Bar = tuple[str, Optional[int], Optional[int], Optional[str]]


def format_number(value) -> str:
    """1234567 → 1,234,567; 3.50 → 3.5; anything not a number as it is."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "" if value is None else str(value)
    if math.isfinite(value) and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _bars_with_ends(bars: Sequence[Bar], last_year: Optional[int]) -> list[tuple[str, int, int, Optional[str]]]:
    """Bars that have a start year, each open end closed at the next bar's start or ``last_year``."""
    dated = sorted((b for b in bars if b[1] is not None), key=lambda b: (b[1], b[2] or b[1]))
    out = []
    for i, (label, start, end, href) in enumerate(dated):
        if end is None or end < start:
            following = [b[1] for b in dated[i + 1:] if b[1] > start]
            end = following[0] if following else max(start + 1, last_year or start + 1)
        out.append((label, start, max(end, start), href))
    return out


def timeline(lanes: Sequence[tuple[str, Optional[str], Sequence[Bar]]], last_year: Optional[int] = None,
             width: int = 900, lane_height: int = 22, label_width: int = 230) -> Markup:
    """Lanes of year bars on one horizontal axis; an empty Markup when no bar has a year."""
    drawn = [(label, href, _bars_with_ends(bars, last_year)) for label, href, bars in lanes]
    drawn = [lane for lane in drawn if lane[2]]
    if not drawn:
        return Markup("")
    low = min(b[1] for _, _, bars in drawn for b in bars)
    high = max(b[2] for _, _, bars in drawn for b in bars)
    high = max(high, low + 1)
    plot = width - label_width - 10
    scale = plot / (high - low)
    height = 24 + lane_height * len(drawn)
    out = [f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="timeline {low}–{high}" xmlns="http://www.w3.org/2000/svg">']
    for year in _ticks(low, high):
        x = label_width + (year - low) * scale
        out.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height}" class="grid"/>'
                   f'<text x="{x:.1f}" y="11" class="tick">{year}</text>')
    for row, (label, href, bars) in enumerate(drawn):
        y = 18 + row * lane_height
        text = f'<text x="{label_width - 6}" y="{y + lane_height * 0.65:.1f}" class="lane">{escape(_cut(label, 34))}</text>'
        out.append(f'<a href="{escape(href)}">{text}</a>' if href else text)
        for i, (bar_label, start, end, bar_href) in enumerate(bars):
            x = label_width + (start - low) * scale
            w = max(3.0, (end - start) * scale)
            tip = f"{bar_label} ({start}–{end})"
            rect = (f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{lane_height - 6}" rx="3" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(tip)}</title></rect>')
            out.append(f'<a href="{escape(bar_href)}">{rect}</a>' if bar_href else rect)
    out.append("</svg>")
    return Markup("".join(out))


def stage_timeline(stages: Sequence[Bar], last_year: Optional[int] = None) -> Markup:
    """One report's stages, one lane each."""
    return timeline([(label, href, [(label, start, end, href)]) for label, start, end, href in stages], last_year)


def _ticks(low: int, high: int, target: int = 8) -> list[int]:
    span = max(1, high - low)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 10**9) if span / s <= target)
    first = math.ceil(low / step) * step
    return list(range(first, high + 1, step))


def value_plot(points: Sequence[tuple[int, float, str, Optional[str]]], unit: str = "",
               width: int = 460, height: int = 190) -> Markup:
    """``(year, value, label, link)`` points joined in year order, with year and value axes."""
    points = sorted(p for p in points if p[0] is not None and math.isfinite(p[1]))
    if not points:
        return Markup("")
    left, right, top, bottom = 70, 14, 12, 26
    years = [p[0] for p in points]
    values = [p[1] for p in points]
    y0, y1 = min(min(values), 0.0), max(values)
    y1 = y1 if y1 > y0 else y0 + 1
    x0, x1 = min(years), max(years)
    x1 = x1 if x1 > x0 else x0 + 1

    def x(year: float) -> float:
        return left + (year - x0) / (x1 - x0) * (width - left - right)

    def y(value: float) -> float:
        return top + (1 - (value - y0) / (y1 - y0)) * (height - top - bottom)

    out = [f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label="values over years" xmlns="http://www.w3.org/2000/svg">',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" class="axis"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axis"/>']
    for year in _ticks(x0, x1, 6):
        out.append(f'<text x="{x(year):.1f}" y="{height - 8}" class="tick">{year}</text>')
    for value in (y0, (y0 + y1) / 2, y1):
        out.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" class="vtick">{escape(format_number(value))}</text>'
                   f'<line x1="{left}" y1="{y(value):.1f}" x2="{width - right}" y2="{y(value):.1f}" class="grid"/>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(p[0]):.1f},{y(p[1]):.1f}" for i, p in enumerate(points))
    out.append(f'<path d="{path}" class="line"/>')
    for year, value, label, href in points:
        tip = f"{year}: {format_number(value)} {unit} — {label}".strip()
        dot = f'<circle cx="{x(year):.1f}" cy="{y(value):.1f}" r="4.5" class="dot"><title>{escape(tip)}</title></circle>'
        out.append(f'<a href="{escape(href)}">{dot}</a>' if href else dot)
    out.append("</svg>")
    return Markup("".join(out))


def shade(count: int, most: int) -> str:
    """The background of a heat-map cell holding ``count`` of at most ``most``."""
    if count <= 0 or most <= 0:
        return "transparent"
    return f"rgba(78, 121, 167, {0.15 + 0.85 * math.sqrt(count / most):.2f})"


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"
