"""The figures stage and the ``reportlens_figures`` component: normalization, non-figures, Chinese, and the
score on the model report.

Text-rule tests run on ``spacy.blank("en")``; tests marked ``slow`` load the statistical model once.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import spacy
from hypothesis import given, strategies as st

import pipeline.components  # noqa: F401  (registers the factory)
from pipeline.components.figures import (
    SPAN_ATTRIBUTES,
    non_figure_ranges,
    parse_digits,
    parse_number_words,
    scan_english,
    year_mentions,
)
from pipeline.figures import chinese_sentences, extract_figures, parse_chinese_number
from pipeline.records import Figure, Report

from .conftest import MODEL_REPORT, SHARED, load_scorer

FIXTURES = Path(__file__).parent / "fixtures" / "figures"


def load_jsonl(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def report_of(text: str, language: str = "en") -> Report:
    return Report(id="test", source="test", title="test", language=language, text=text)


@pytest.fixture(scope="module")
def blank_nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("reportlens_figures")
    return nlp


def only(text: str):
    found = scan_english(text)
    assert len(found) == 1, [text[c.start:c.end] for c in found]
    return found[0]


# --------------------------------------------------------------------------- normalization rules


@pytest.mark.parametrize("text,value,kind,unit", [
    ("The total value is 670 billion yuan.", 670_000_000_000, "money", "CNY"),
    ("There were 1,800,100 non-public economic organizations.", 1_800_100, "count", "organizations"),
    ("Of them, 95.6% have party members.", 95.6, "percent", "%"),
    ("The program served two thousand veterans.", 2000, "count", "veterans"),
    ("The agency awarded $289 million in grants.", 289_000_000, "money", "USD"),
    ("SBA approved 3.7 million loans.", 3_700_000, "count", "loans"),
    ("The sector is worth £18.6 billion to the economy.", 18_600_000_000, "money", "GBP"),
    ("The bank commits £6.6bn to the fund.", 6_600_000_000, "money", "GBP"),
    ("The programme has a budget of €10.5 billion.", 10_500_000_000, "money", "EUR"),
    ("Investment reached RMB 5 billion.", 5_000_000_000, "money", "CNY"),
    ("Exports were 20 million US dollars.", 20_000_000, "money", "USD"),
    ("The agency received 1,073 applications.", 1073, "count", "applications"),
    ("Rates rose 3.75 percent for businesses.", 3.75, "percent", "%"),
    ("Support fell by 2 percentage points.", 2, "percent", "percentage points"),
    ("About 54 million gallons of waste were stored.", 54_000_000, "quantity", "gallons"),
    ("Capacity grew to over 1,900 megawatts.", 1900, "quantity", "megawatts"),
    ("Refugees may receive cash for up to 12 months.", 12, "duration", "months"),
    ("Costs were nearly three times as high.", 3, "ratio", "times"),
])
def test_value_kind_and_unit(text, value, kind, unit):
    fig = only(text)
    assert fig.value == pytest.approx(value)
    assert (fig.kind, fig.unit) == (kind, unit)


@pytest.mark.parametrize("text,qualifier", [
    ("SBA received more than 8 million documents.", ">"),
    ("non-public enterprises have exceeded 90% of the total", ">"),
    ("industrial output value exceeding 80% of the city's output", ">"),
    ("SBA approved over $377 billion in funding.", ">"),
    ("there were less than 300 social groups in the province", "<"),
    ("fewer than 40 applicants were rejected", "<"),
    ("loans of under $25,000 were approved", "<"),
    ("each grantee may receive up to $15 million", "<="),
    ("not more than 500 employees work there", "<="),
    ("at least 488 reviews were done", ">="),
    ("not less than 30 percent of funds", ">="),
    ("about 10% of the enterprises", "~"),
    ("around 55,000 people are employed", "~"),
    ("nearly $378 billion was approved", "~"),
    ("almost 3.7 million approved loans", "~"),
    ("approximately 144,000 applicants", "~"),
    ("some 300 batches were received", "~"),
    ("The agency paid $500,000 or less for each", "<="),
    ("accounted for 93.5% of them", "="),
])
def test_qualifier(text, qualifier):
    assert only(text).qualifier == qualifier


@pytest.mark.parametrize("text,low,high,unit", [
    ("The government loses between $233 billion and $521 billion a year.", 233e9, 521e9, "USD"),
    ("Awards were between $250,000 and $2 million each.", 250_000, 2_000_000, "USD"),
    ("Grants ranged from 10 to 20 percent of costs.", 10, 20, "%"),
    ("Salaries of £80,000–£90,000 in finance.", 80_000, 90_000, "GBP"),
    ("Wells between 5,000 and 10,000 feet deep.", 5000, 10_000, "feet"),
    ("Fees rose by 10-20 percent.", 10, 20, "%"),
])
def test_range_is_one_figure_with_low_and_high(text, low, high, unit):
    fig = only(text)
    assert (fig.low, fig.high, fig.value) == (pytest.approx(low), pytest.approx(high), pytest.approx(low))
    assert fig.unit == unit


def test_from_to_with_two_full_amounts_is_two_figures():
    found = scan_english("Funding rose from £370 million to £640 million.")
    assert [f.value for f in found] == [370e6, 640e6]


@pytest.mark.parametrize("text,direction,reference", [
    ("The total value is 670 billion yuan, up 10.5% from 2000.", "up", "from 2000"),
    ("Spending fell by 3 percent compared with 2022.", "down", "compared with 2022"),
    ("Sales increased 12 percent over the previous year.", "up", "over the previous year"),
    ("Output declined 4 percent year-on-year.", "down", "previous year"),
    ("The UKSA has seen a 73% increase in funding from 2018 to 2023.", "up", "from 2018"),
])
def test_change_with_reference(text, direction, reference):
    change = [f for f in scan_english(text) if f.change]
    assert len(change) == 1
    assert (change[0].change, change[0].reference) == (direction, reference)


def test_level_is_not_a_change():
    assert only("The rate increased to 20 percent.").change is None


@pytest.mark.parametrize("text,base", [
    ("The non-public economy accounts for 47% of the province's GDP.", "of the province's GDP"),
    ("$289 million, which is 58 percent of the available funds.", "of the available funds"),
])
def test_share_base(text, base):
    assert [f.base for f in scan_english(text) if f.kind == "percent"] == [base]


@pytest.mark.parametrize("text,expected", [
    ("1,800,100", 1800100), ("10.5", 10.5), ("１２５６", 1256), ("0.2", 0.2)])
def test_parse_digits(text, expected):
    assert float(parse_digits(text)) == expected


@pytest.mark.parametrize("text,expected", [
    ("two thousand", 2000), ("twenty-five", 25), ("one hundred and five", 105), ("three million", 3_000_000),
    ("fifty", 50)])
def test_parse_number_words(text, expected):
    assert parse_number_words(text) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_digits_round_trip(n):
    assert parse_digits(f"{n:,}") == n


@given(st.integers(min_value=1, max_value=999), st.sampled_from(["thousand", "million", "billion", "trillion"]))
def test_scaled_amounts_are_exact(n, scale):
    factor = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}[scale]
    fig = only(f"The fund holds ${n}.5 {scale} in reserve.")
    assert fig.value == (n + 0.5) * factor and fig.unit == "USD"


# --------------------------------------------------------------------------- year attribution


@pytest.mark.parametrize("text,year,phrase", [
    ("By the end of 2001, the province has achieved domestic production.", 2001, "By the end of 2001"),
    ("By May 2002, there were 9,738 social organizations.", 2002, "By May 2002"),
    ("As of September 2025, the agency had paid $5 million.", 2025, "As of September 2025"),
    ("In fiscal year 2024, IRS processed 160 million returns.", 2024, "fiscal year 2024"),
    ("At the end of 1996, the president decided to raise 270 million yuan.", 1996, "At the end of 1996"),
])
def test_year_mentions(text, year, phrase):
    mentions = year_mentions(text)
    assert mentions[0].year == year
    assert mentions[0].phrase.lower().endswith(phrase.lower())


def test_year_of_figure_skips_change_reference(blank_nlp):
    doc = blank_nlp("In 2001 the total value was 670 billion yuan, up 10.5% from 2000.")
    assert [s._.figure_year for s in doc.spans["figures"]] == [2001, 2001]


# --------------------------------------------------------------------------- non-figures


@pytest.mark.parametrize("case", load_jsonl("non_figures_en.jsonl"), ids=lambda c: c["class"])
def test_non_figures_are_not_extracted(case):
    values = [c.value for c in scan_english(case["text"])]
    for forbidden in case["forbidden"]:
        assert all(abs(v - forbidden) > 1e-9 for v in values), (case["text"], values)


@pytest.mark.parametrize("text,label", [
    ("49 U.S.C. § 5302", "citation"), ("Pub. L. No. 117-58", "citation"), ("132 Stat. 5529", "citation"),
    ("IRS Form 8821", "form_number"), ("441 G St. N.W.", "address"), ("Washington, DC 20548", "postal_code"),
    ("GAO-26-107682", "report_number"), ("(202) 512-4800", "phone"), ("the 14th National Congress", "ordinal"),
])
def test_non_figure_patterns_name_the_reason(text, label):
    assert label in {r[2] for r in non_figure_ranges(text)}


# --------------------------------------------------------------------------- the component on a blank pipeline


def test_component_sets_spans_and_attributes(blank_nlp):
    doc = blank_nlp("Shanghai has more than 10,000 foreign-invested enterprises and $2 million in deposits.")
    spans = doc.spans["figures"]
    assert [s.text for s in spans] == ["more than 10,000 foreign-invested enterprises", "$2 million"]
    assert spans[0]._.figure_qualifier == ">" and spans[1]._.figure_unit == "USD"
    assert all(Span_has(name) for name in SPAN_ATTRIBUTES)


def Span_has(name: str) -> bool:
    from spacy.tokens import Span

    return Span.has_extension(name)


def test_component_factory_declares_what_it_assigns():
    meta = spacy.language.Language.get_factory_meta("reportlens_figures")
    assert "doc.spans" in meta.assigns and "span._.figure_value" in meta.assigns


@pytest.mark.parametrize("case", load_jsonl("figures_en.jsonl"), ids=lambda c: c["text"][:40])
def test_annotated_sentences(case):
    found = scan_english(case["text"])
    assert [case["text"][c.start:c.end] for c in found] == [f["text"] for f in case["figures"]]
    for cand, gold in zip(found, case["figures"]):
        assert cand.value == pytest.approx(gold["value"])
        assert cand.kind == gold["kind"]
        for key in ("unit", "qualifier", "low", "high", "base", "reference"):
            if key in gold:
                assert getattr(cand, key) == gold[key], key
        if "change" in gold:
            assert cand.change == gold["change"]


def test_empty_report_and_no_sections():
    assert extract_figures(report_of("   ")) == []
    assert extract_figures(report_of("No numbers at all here.")) == []


# --------------------------------------------------------------------------- Chinese


@pytest.mark.parametrize("text,expected", [("134.9", 134.9), ("１２５６", 1256), ("三", 3), ("一百二十", 120)])
def test_parse_chinese_number(text, expected):
    assert float(parse_chinese_number(text)) == expected


@pytest.mark.parametrize("case", load_jsonl("figures_zh.jsonl"), ids=lambda c: c["text"][:12])
def test_chinese_sentences(case):
    figures = extract_figures(report_of(case["text"], "zh"))
    assert [f.text for f in figures] == [g["text"] for g in case["figures"]]
    for fig, gold in zip(figures, case["figures"]):
        assert fig.value == pytest.approx(gold["value"])
        assert fig.kind == gold["kind"]
        for key in ("unit", "qualifier", "measures"):
            if key in gold:
                assert getattr(fig, key) == gold[key], key
        if "change" in gold:
            assert fig.change is not None and fig.change.direction == gold["change"]


def test_chinese_sentences_keep_every_clause():
    text = "主要表现在，粮食产量跃上1.4万亿斤；高技术制造业增长8.9%。"
    spans = list(chinese_sentences(text))
    assert "".join(text[s:e] for s, e in spans) == text


def test_chinese_year_from_heading():
    text = "一、2024年工作回顾\n\n经济规模稳步扩大，国内生产总值达到134.9万亿元。"
    assert [f.year for f in extract_figures(report_of(text, "zh"))] == [2024]


# --------------------------------------------------------------------------- with the statistical model


@pytest.mark.slow
@pytest.mark.parametrize("text,measures_words", [
    ("There were 1,800,100 non-public economic organizations in the province, with 7,776,200 employees.",
     ["employees", "non-public economic organizations"]),
    ("The gross domestic product achieved by the non-public economy accounts for 47% of the province's GDP.",
     ["non-public economy", "share", "GDP"]),
    ("At present, among the more than 20,000 enterprises with more than 50 employees in Zhejiang Province, "
     "95.6% of them have party members.", ["share", "enterprises", "party members"]),
    ("Shanghai has more than 10,000 foreign-invested enterprises.", ["foreign-invested enterprises", "Shanghai"]),
    ("Interest rate 3.75 percent for businesses; 2.75 percent for nonprofits.", ["interest rate", "nonprofits"]),
    ("GAO analyzed SBA COVID-19 EIDL data on almost 3.7 million approved loans.", ["approved loans", "EIDL data"]),
    # an infinitive of purpose says what the counted rules are for
    ("Today 28 provinces have adopted codes for water utilities to meter every household connection in the "
     "region and to report losses.", ["codes", "to meter household connection"]),
])
def test_measures_from_the_parse(text, measures_words):
    figures = extract_figures(report_of(text))
    last = figures[-1]
    for word in measures_words:
        assert word.lower() in (last.measures or "").lower(), last.measures


@pytest.mark.slow
@pytest.mark.parametrize("text,value,words,absent", [
    # the figure's clause, read as a relative clause on what it counts, with the time frame
    ("From 2019 through 2021, the agency granted temporary visas to about 41,000 students.", 41000,
     ["students", "granted temporary visas", "2019"], []),
    ("For fiscal year 2023, the council allocated $4.5 million to rural clinics.", 4.5e6,
     ["council allocated to rural clinics", "fiscal year 2023"], []),
    ("The ministry allocated 62 percent of the grant to road repairs.", 62,
     ["share of grant", "allocated to road repairs"], []),
    # an appositive of the subject shares its predicate
    ("About 2,400 teachers, around 12 percent of the district's staff, left the profession in 2022.", 12,
     ["district's staff", "left profession"], []),
    ("An estimated 64 percent, or about 3,100 libraries, reported leaking roofs.", 3100,
     ["libraries", "reported leaking roofs"], []),
    # a hyphenated statistic measures the thing it describes; a possessive pronoun names its owner
    ("The bureau missed its 30-day target for answering complaints.", 30,
     ["bureau", "target for answering complaints", "days"], []),
    # a fronted adverbial is no antecedent, a source is not part of what is counted
    ("In contrast, it spent $2 million on audits.", 2e6, ["spent on audits"], ["contrast"]),
    ("Forty percent of clinics reported staff shortages in 2024, according to a survey by the board.", 40,
     ["clinics", "reported staff shortages"], ["survey"]),
])
def test_measures_of_verb_frames(text, value, words, absent):
    figure = next(f for f in extract_figures(report_of(text)) if f.value == value)
    for word in words:
        assert word.lower() in (figure.measures or "").lower(), figure.measures
    for word in absent:
        assert word.lower() not in (figure.measures or "").lower(), figure.measures


@pytest.mark.slow
@pytest.mark.parametrize("text,value,words,absent", [
    # a second percent coordinated with a change is the same change from its own reference
    ("Enrollment fell 3.1 percent compared to 2022 and 7.4 percent since the end of 2019.", 7.4,
     ["enrollment decline", "since the end of 2019"], ["2022"]),
    # parallel survey shares: each takes the clause its own verb opens
    ("Of the surveyed clinics, 41 percent reported staffing gaps and 62 percent reported rising costs.", 62,
     ["reported rising costs"], ["staffing"]),
    # a bound that defines a thing measures that thing
    ("Some 1,200 libraries have a repair backlog of more than $250,000 each.", 250000, ["repair backlog"], []),
    # "an average of N days": the clause of the noun the "of" phrase hangs on
    ("Claims took an average of 16 days to process in 2024.", 16, ["took", "to process"], []),
    # the earlier level of a change ("up from N") measures what the figure does, not its own prep phrase
    ("About 48 percent of teachers reported burnout in 2025, up from an estimated 35 percent in 2021.", 35,
     ["teachers", "reported burnout"], ["estimated"]),
    ("About 48 percent of teachers reported burnout in 2025, up from an estimated 35 percent in 2021.", 48,
     ["teachers", "reported burnout"], ["estimated", "35"]),
    # coordinated counts share the verb, not each other's words
    ("The clinic hired 120 nurses and 45 physicians in 2024.", 45, ["physicians", "clinic hired"], ["and", "nurses"]),
    ("The clinic hired 120 nurses and 45 physicians in 2024.", 120, ["nurses", "clinic hired"], ["physicians"]),
    # a count coordinated with an amount: modifiers joined by "and" before the plural noun, the amount's verb
    ("Since 2010, the office's audits have resulted in over $3.2 billion in savings and almost 4,100 policy and "
     "procedural changes that improved services.", 4100,
     ["policy and procedural changes", "audits have resulted in", "since 2010"], ["savings"]),
    ("Since 2010, the office's audits have resulted in over $3.2 billion in savings and almost 4,100 policy and "
     "procedural changes that improved services.", 3.2e9, ["savings", "resulted in"], ["changes", "improved"]),
])
def test_measures_of_parallel_and_bounding_figures(text, value, words, absent):
    figure = next(f for f in extract_figures(report_of(text)) if f.value == value)
    measures = (figure.measures or "").lower()
    for word in words:
        assert word.lower() in measures, figure.measures
    for word in absent:
        assert not re.search(rf"\b{re.escape(word.lower())}\b", measures), figure.measures


@pytest.mark.slow
def test_year_and_generic_subject_carried_from_previous_sentence():
    text = ("By the end of 2001, the province has achieved domestic production. "
            "The total value is 670 billion yuan, up 10.5% from 2000.")
    money, growth = extract_figures(report_of(text))
    assert (money.year, growth.year) == (2001, 2001)
    assert "domestic production" in money.measures
    assert growth.change.direction == "up" and growth.change.reference == "from 2000"


@pytest.mark.slow
def test_figure_records_point_into_the_text():
    text = "Intro.\n\nThe sector is worth £18.6 billion to the UK economy. 51\n\nSBA reimbursed IRS almost $300,000."
    figures = extract_figures(report_of(text))
    assert [f.id for f in figures] == ["F1", "F2"]
    for fig in figures:
        assert isinstance(fig, Figure)
        assert text[fig.span[0]:fig.span[1]] == fig.text and fig.text in fig.sentence
    assert figures[0].unit == "GBP" and figures[1].qualifier == "~"


@pytest.mark.slow
def test_model_report_score():
    scorer = load_scorer()
    gold = json.loads((SHARED / "eval" / "gold" / "zhejiang-two-new-organizations.json").read_text(encoding="utf-8"))
    text = MODEL_REPORT.read_text(encoding="utf-8")
    report = report_of(text)
    figures = extract_figures(report)
    result = scorer.score_figures([f.model_dump() for f in figures], gold)
    assert result["f1"] >= 0.95, result
    assert result["measures_recall"] >= 0.7, result
    assert result["qualifier_accuracy"] >= 0.95, result
    assert result["unit_accuracy"] == 1.0, result
    assert result["year_accuracy"] >= 0.8, result


@given(st.text(alphabet=st.sampled_from(list("0123456789,.%$£€ -–abcdeMmillionbn()§\n")), max_size=60))
def test_scanning_any_text_never_fails_and_stays_in_bounds(text):
    for cand in scan_english(text):
        assert 0 <= cand.start <= cand.number_start < cand.number_end <= cand.end <= len(text)
        assert cand.value == cand.value  # not NaN
