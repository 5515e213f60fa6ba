"""Tables whose header states the scale of their money cells (pipeline/figures/tables.py)."""
from __future__ import annotations

from pipeline.figures import extract_figures
from pipeline.figures.tables import table_scales
from pipeline.records import Report


def values(text: str) -> list[float]:
    return [f.value for f in extract_figures(Report(id="t", source="t", title="t", language="en", text=text))]


def test_caption_scale_applies_to_money_cells_only():
    text = ("Table 4: Grants awarded (in millions of dollars)\n\n| State | Amount | Recipients |\n|---|---|---|\n"
            "| Ohio | $3.5 | 1,204 |\n| Utah | $2.25 | 980 |\n")
    found = values(text)
    assert 3.5e6 in found and 2.25e6 in found and 1204 in found and 1204e6 not in found


def test_header_in_a_row_whose_outer_pipes_were_dropped():
    text = "(dollars in thousands) | Fiscal year 2025\nSalaries | $760,649\nOffsets | ($91,366)\n"
    assert {760649000, -91366000} <= set(values(text))


def test_no_scale_without_a_header_nor_outside_the_table():
    text = ("Amounts are in dollars in thousands unless stated.\n\n\n\n\nThe office spent $1,500 on travel.\n\n"
            "| Program | Cost |\n|---|---|\n| Training | $1,500 |\n")
    assert table_scales(text) == []
    assert values(text).count(1500) == 2


def test_an_amount_with_its_own_scale_is_not_scaled_again():
    text = "| (dollars in millions) | Total |\n|---|---|\n| Grants | $2 billion |\n"
    assert values(text) == [2e9]
