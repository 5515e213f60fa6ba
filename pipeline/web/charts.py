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


def compact_number(value: float) -> str:
    """An axis label: 134,900,000,000,000 → 134.9T, 12,560,000 → 12.56M, 65.5 → 65.5."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e4, "K")):
        if abs(value) >= size:
            return f"{value / size:.4g}{suffix}"
    return format_number(round(value, 2))


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


def _stack(bars: list[tuple[str, int, int, Optional[str]]]) -> list[int]:
    """The sub-row of each bar in its lane: the first where it overlaps no earlier bar."""
    row_ends: list[int] = []
    rows = []
    for _, start, end, _ in bars:
        row = next((i for i, last in enumerate(row_ends) if last <= start), len(row_ends))
        if row == len(row_ends):
            row_ends.append(end)
        row_ends[row] = max(end, start + 1)
        rows.append(row)
    return rows


def timeline(lanes: Sequence[tuple[str, Optional[str], Sequence[Bar]]], last_year: Optional[int] = None,
             width: int = 900, bar_height: int = 18, label_width: int = 230) -> Markup:
    """Lanes of year bars on one horizontal axis, overlapping bars of a lane stacked; an empty Markup
    when no bar has a year."""
    drawn = [(label, href, _bars_with_ends(bars, last_year)) for label, href, bars in lanes]
    drawn = [(label, href, bars, _stack(bars)) for label, href, bars in drawn if bars]
    if not drawn:
        return Markup("")
    low = min(b[1] for _, _, bars, _ in drawn for b in bars)
    high = max(b[2] for _, _, bars, _ in drawn for b in bars)
    high = max(high, low + 1)
    scale = (width - label_width - 10) / (high - low)
    height = 22 + sum((max(rows) + 1) * bar_height + 6 for *_, rows in drawn)
    out = [f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="timeline {low}–{high}" xmlns="http://www.w3.org/2000/svg">']
    for year in _ticks(low, high):
        x = label_width + (year - low) * scale
        out.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height}" class="grid"/>'
                   f'<text x="{x:.1f}" y="11" class="tick">{year}</text>')
    y = 18
    for label, href, bars, rows in drawn:
        text = (f'<text x="{label_width - 6}" y="{y + bar_height * 0.7:.1f}" class="lane">'
                f'{escape(_cut(label, label_width - 12))}</text>')
        out.append(f'<a href="{escape(href)}">{text}</a>' if href else text)
        for i, ((bar_label, start, end, bar_href), row) in enumerate(zip(bars, rows)):
            x = label_width + (start - low) * scale
            w = max(3.0, (end - start) * scale)
            top = y + row * bar_height
            tip = f"{bar_label} ({start}–{end})"
            rect = (f'<rect x="{x:.1f}" y="{top + 1}" width="{w:.1f}" height="{bar_height - 3}" rx="3" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(tip)}</title></rect>')
            if _text_width(bar_label) + 8 < w:
                rect += (f'<text x="{x + 4:.1f}" y="{top + bar_height * 0.7:.1f}" class="bar">'
                         f'{escape(bar_label)}</text>')
            out.append(f'<a href="{escape(bar_href)}">{rect}</a>' if bar_href else rect)
        y += (max(rows) + 1) * bar_height + 6
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
        out.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" class="vtick">{escape(compact_number(value))}</text>'
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


def _text_width(text: str) -> float:
    """About how wide ``text`` is at 11 px, in px (a CJK character is about twice a Latin one)."""
    return sum(11.0 if ord(ch) >= 0x2E80 else 6.2 for ch in text)


def _cut(text: str, width: float) -> str:
    """``text`` cut to about ``width`` px at 11 px, with an ellipsis when cut."""
    if _text_width(text) <= width:
        return text
    while text and _text_width(text) + 8 > width:
        text = text[:-1]
    return text + "…"
