"""Reading English figures (pipeline/figures/scan.py) in forms no report was tuned on: spelled-out, negative,
currency-coded, translated scale words, ranges and from-to pairs. Fixtures are written for the test."""
from __future__ import annotations

import pytest

from pipeline.figures import extract_figures
from pipeline.figures.scan import scan_english
from pipeline.records import Report


def figures_of(text: str, language: str = "en"):
    return extract_figures(Report(id="t", source="t", title="t", language=language, text=text))


def values_of(figures) -> set[float]:
    """Every value the figures state: a range gives both bounds."""
    return {v for f in figures for v in (f.value, f.low, f.high) if v is not None}


@pytest.mark.parametrize("text,value,kind,unit", [
    ("Roughly twenty percent of the clinics reported shortages.", 20, "percent", "%"),
    ("One hundred percent of the sampled files were incomplete.", 100, "percent", "%"),
    ("Forty-five per cent of applicants were rejected.", 45, "percent", "%"),
    ("Each visitor paid thirty dollars for the tour.", 30, "money", "USD"),
    ("The ministry set aside seventy-five million euros.", 75e6, "money", "EUR"),
    ("Turnout was 64.3 per cent.", 64.3, "percent", "%"),
])
def test_spelled_and_per_cent(text, value, kind, unit):
    c = next(c for c in scan_english(text) if c.value == value)
    assert (c.kind, c.unit) == (kind, unit)


@pytest.mark.parametrize("text,value", [
    ("Attendance fell by minus five percent.", -5),
    ("Revenue growth was -4.2% in the quarter.", -4.2),
    ("Real wages changed by −1.8 percent.", -1.8),
    ("The balance stood at -$3.5 million at year end.", -3.5e6),
    ("Net migration was minus 12,000 people last year.", -12000),
    ("The program reported a net loss of ($91,366) for the year.", -91366),
    ("| Offsets | ($50,263) | $41,103 |", -50263),
])
def test_negative_numbers(text, value):
    assert value in values_of(figures_of(text))


@pytest.mark.parametrize("text,positive", [
    ("ORR allocated 47 percent ($1.79 billion) to the program.", 1.79e9),  # an aside, not a negative
    ("The fee was £100 ($130) per visit.", 130),                           # a conversion
    ("Enrollment for 2019-2020 was 4,500 students.", 4500),                 # a dash between numbers
    ("Scores ranged 10 -20 points.", 20),
])
def test_not_negative(text, positive):
    values = values_of(figures_of(text))
    assert positive in values and -positive not in values


@pytest.mark.parametrize("text,value,currency", [
    ("Each grant was worth USD 1,000 to the recipient.", 1000, "USD"),
    ("The contract was valued at 1.5 million euros.", 1.5e6, "EUR"),
    ("The project overran by £2bn.", 2e9, "GBP"),
    ("The startup raised $2.5m from investors.", 2.5e6, "USD"),
    ("Fees of CHF 500 were charged.", 500, "CHF"),
    ("The settlement was 40,000 SEK.", 40000, "SEK"),
    ("The ticket cost 500 yen.", 500, "JPY"),
    ("The bank was fined 3 million Swiss francs.", 3e6, "CHF"),
    ("Revenue of NZ$80 million was reported.", 80e6, "NZD"),
    ("Transfers reached 8 billion won.", 8e9, "KRW"),
])
def test_every_named_currency_has_its_iso_code(text, value, currency):
    f = next(f for f in figures_of(text) if f.value == value)
    assert (f.kind, f.unit) == ("money", currency)


@pytest.mark.parametrize("text", [
    "All 50 states reported.",           # ALL is a currency code only in capitals
    "The team won 3 games in a row.",    # 'won' is a currency only after a scale word
    "The parcel weighed 5 pounds.",
])
def test_words_that_are_not_currencies(text):
    assert all(f.kind != "money" for f in figures_of(text))


@pytest.mark.parametrize("text,value,kind,unit", [
    ("The county had 172 10,000 people of working age.", 1.72e6, "count", "people"),
    ("Revenue reached 326.5 100 million yuan.", 32.65e9, "money", "CNY"),
    ("Investment totalled 1.2 100 million yuan.", 1.2e8, "money", "CNY"),
])
def test_translated_scale_words(text, value, kind, unit):
    (f,) = figures_of(text)
    assert (f.value, f.kind, f.unit) == (value, kind, unit)


def test_a_year_before_a_number_is_no_translated_scale():
    assert 2019 * 10000 not in values_of(figures_of("In 2019 10,000 people moved away."))


@pytest.mark.parametrize("text,values", [
    ("Fees ranged from £1,000 to £2,950 per pupil.", {1000, 2950}),
    ("Awards were between $250,000 and $2 million.", {250000, 2e6}),
    ("The number of open cases dropped from 1,433 to 777.", {1433, 777}),
    ("Processing took 9–12 weeks.", {9, 12}),
    ("Between 30% and 40% of the plots were fallow.", {30, 40}),
    ("Between twenty and thirty percent of firms closed.", {20, 30}),
    ("Between 2 and 3 million people were displaced.", {2e6, 3e6}),
])
def test_ranges_keep_both_bounds(text, values):
    assert values <= values_of(figures_of(text))


# --------------------------------------------------------------------------- small counts, hyphenated statistics


@pytest.mark.parametrize("text,value,unit", [
    ("Since January the bureau has had four different directors.", 4, "directors"),
    ("The inspectors visited six regional warehouses in March.", 6, "warehouses"),
    ("Seconded staff worked in the firms for two years.", 2, "years"),
])
def test_small_spelled_counts_of_things_are_figures(text, value, unit):
    c = next(c for c in scan_english(text) if c.value == value)
    assert c.unit == unit


@pytest.mark.parametrize("text", [
    "The plan pursues the two goals of growth and stability.",       # a known set
    "Private enterprise went through three stages of growth.",         # an enumeration
    "She returned to the ministry two years later.",                   # a relative time
    "The reactor at Three Mile Island was shut down.",                 # a name
    "One or more offices responded.",                                  # "one"
    "The review examined the three-year pilot.",                       # a compound
])
def test_small_spelled_numbers_that_are_not_counts(text):
    assert [c for c in scan_english(text) if c.value < 10] == []


def test_a_count_the_report_repeats_as_a_term_is_no_figure():
    text = ("Party work in the two new sectors. Visitors saw two new sectors at work. Growth of two new sectors "
            "was fast. The bureau has four different directors.")
    assert [f.text for f in figures_of(text)] == ["four different directors"]


@pytest.mark.parametrize("text,value,unit", [
    ("The contractor's work suffered a 28-month delay.", 28, "month"),
    ("The office missed its 10-day goal for answering letters.", 10, "day"),
    ("The town runs a 45-megawatt solar farm.", 45, "megawatt"),
    ("The estate covers a 1,200-acre site.", 1200, "acre"),
])
def test_hyphenated_statistics(text, value, unit):
    c = next(c for c in scan_english(text) if c.value == value)
    assert c.unit == unit


@pytest.mark.parametrize("text", ["The county adopted a 5-year plan.", "Applicants have a 30-day window to appeal."])
def test_hyphenated_durations_that_name_a_kind_of_thing(text):
    assert scan_english(text) == []


def test_a_decimal_percent_after_a_year_is_not_a_year_range():
    text = "Staff fell 4.2 percent compared to 2026 and 10.2 percent since the end of 2024."
    assert {4.2, 10.2} <= values_of(figures_of(text))
