"""Typed records passed between the stages; the JSON contract and its JSON Schema come from here.

Every extracted item carries provenance: ``span`` is a ``[start, end)`` character range into
``Report.text`` (the cleaned text, the single coordinate system) and ``sentence`` is the sentence
that holds it, so a reader can check each item against the report.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

Span = tuple[int, int]

SectionKind = Literal["situation", "practices", "findings", "recommendations", "method", "other"]
FigureKind = Literal["money", "percent", "count", "quantity", "duration", "ratio", "rank", "date"]
Qualifier = Literal["=", ">", ">=", "<", "<=", "~"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Section(Record):
    """A part of the report: its heading and the span of the whole part (heading included)."""

    heading: str
    level: int = Field(1, ge=1, description="1 = top-level part")
    kind: SectionKind = "other"
    span: Span
    heading_span: Optional[Span] = None


class Report(Record):
    id: str = Field(description="stable id derived from the cleaned text")
    source: str = Field(description="the file the report was read from")
    title: str
    language: str = Field(description="ISO 639-1 code: 'en', 'zh', ...")
    report_type: Optional[str] = None
    year: Optional[int] = Field(None, description="year the report came out, or the latest year it mentions")
    number: Optional[str] = Field(None, description="the report's own number, e.g. GAO-26-107551 or HL Paper 190")
    studied_regions: list[str] = Field(default_factory=list)
    target_region: Optional[str] = None
    visit_dates: list[str] = Field(default_factory=list)
    visited_organizations: list[str] = Field(default_factory=list)
    text: str = Field(description="the cleaned text; every span points into it")
    sections: list[Section] = Field(default_factory=list)


class Item(Record):
    """Something extracted from the text, with its provenance."""

    id: str
    text: str
    span: Span
    sentence: str = ""


class Change(Record):
    direction: Literal["up", "down"]
    reference: Optional[str] = Field(None, description="what it is compared with, e.g. 'from 2000'")


class Figure(Item):
    value: float
    kind: FigureKind
    unit: Optional[str] = None
    qualifier: Qualifier = "="
    low: Optional[float] = None
    high: Optional[float] = None
    change: Optional[Change] = None
    measures: Optional[str] = None
    base: Optional[str] = None
    year: Optional[int] = None
    date: Optional[str] = None
    region: Optional[str] = None


class Stage(Item):
    label: str
    order: int
    start: Optional[str] = None
    end: Optional[str] = None
    start_year: Optional[int] = None
    end_year: Optional[int] = None


class Practice(Item):
    detail: str = ""
    level: int = 1
    parent: Optional[str] = None
    group: Optional[str] = None
    region: Optional[str] = None
    actor: Optional[str] = None
    theme: Optional[str] = Field(None, description="label of the practice's theme")
    theme_id: Optional[str] = None


class Finding(Item):
    detail: str = ""


class Recommendation(Item):
    detail: str = ""
    target: Optional[str] = None
    supports: list[str] = Field(default_factory=list, description="ids of findings or practices it builds on")


class AbstractSentence(Record):
    text: str
    span: Span
    score: float = Field(description="selection score: TextRank centrality plus the report's structure (in its "
                                     "summary or findings, a finding's headline, a key figure; pipeline/abstract.py)")


class KeyFigure(Record):
    id: str
    text: str
    value: float
    kind: FigureKind
    unit: Optional[str] = None
    qualifier: Qualifier = "="
    measures: Optional[str] = None
    year: Optional[int] = None
    span: Span


class StageSummary(Record):
    order: int
    label: str
    start: Optional[str] = None
    end: Optional[str] = None


class PracticeNode(Record):
    id: str
    text: str
    theme: Optional[str] = None
    theme_id: Optional[str] = None
    group: Optional[str] = None
    children: list["PracticeNode"] = Field(default_factory=list)


class ItemRef(Record):
    id: str
    text: str


class FindingSummary(Record):
    """A finding in a summary: its headline and the rest of it, where it is, and how important it is."""

    id: str
    text: str
    detail: str = Field("", description="the rest of the finding after its headline sentence")
    span: Optional[Span] = None
    score: float = Field(0.0, description="importance among the report's findings and recommendations "
                                          "(pipeline/summarize.py importance)")


class RecommendationSummary(Record):
    """A recommendation in full: ``text`` is its headline sentence, ``detail`` the rest (the plan elements
    it requires, the reasoning); ``text`` + ``detail`` is the whole recommendation at ``span``."""

    id: str
    text: str
    detail: str = Field("", description="the rest of the recommendation after its headline sentence")
    span: Optional[Span] = None
    score: float = Field(0.0, description="importance among the report's findings and recommendations "
                                          "(pipeline/summarize.py importance)")
    target: Optional[str] = None
    supported_by: list[ItemRef] = Field(default_factory=list)


class Lesson(Record):
    """A lesson carried from the studied place to the home place (only when the report names both)."""

    studied_region: str
    target_region: str
    finding: ItemRef


class Summary(Record):
    """Structured findings of one report, every piece extracted from the text and traceable to a span."""

    abstract: list[AbstractSentence] = Field(default_factory=list)
    key_figures: list[KeyFigure] = Field(default_factory=list)
    stages: list[StageSummary] = Field(default_factory=list)
    practice_tree: list[PracticeNode] = Field(default_factory=list)
    findings: list[FindingSummary] = Field(default_factory=list)
    recommendations: list[RecommendationSummary] = Field(default_factory=list)
    lessons: list[Lesson] = Field(default_factory=list)


class Analysis(Record):
    """Everything reportlens knows about one report: the JSON contract of `reportlens analyze`."""

    schema_version: str = SCHEMA_VERSION
    report: Report
    figures: list[Figure] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    practices: list[Practice] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    summary: Optional[Summary] = None


# -- the cross-report brief (`reportlens summarize --all`, pipeline/brief.py) ---------------------------


class BriefReportRef(Record):
    id: str
    title: str


class BriefPractice(Record):
    """A practice of a theme, cited by its report and span."""

    report_id: str
    id: str
    text: str
    span: Span
    region: Optional[str] = Field(None, description="the practice's own region, when it names one")


class BriefFigure(KeyFigure):
    """A figure of a theme: one inside the span of one of its practices."""

    report_id: str


class BriefTheme(Record):
    id: str
    label: str
    codebook: Optional[str] = None
    language: Optional[str] = None
    size: int = Field(description="practices in the theme")
    reports: list[BriefReportRef] = Field(default_factory=list, description="in the order of Brief.reports")
    practices: list[BriefPractice] = Field(default_factory=list, description="by report, then document order")
    key_figures: list[BriefFigure] = Field(
        default_factory=list, description="the most telling figures inside its practices' spans, a report at a time")


class BriefLesson(Record):
    """A finding of a report that names a studied and a home (target) region: a lesson for the home region."""

    studied_region: str
    target_region: str
    finding_id: str
    text: str
    span: Optional[Span] = None


class BriefRecommendation(Record):
    id: str
    text: str
    target: Optional[str] = None
    span: Optional[Span] = None


class BriefReport(Record):
    id: str
    title: str
    number: Optional[str] = None
    year: Optional[int] = None
    language: str
    studied_regions: list[str] = Field(default_factory=list)
    target_region: Optional[str] = None
    themes: list[str] = Field(default_factory=list, description="ids of the themes its practices are in, by size")
    lessons: list[BriefLesson] = Field(default_factory=list)
    recommendations: list[BriefRecommendation] = Field(
        default_factory=list, description="its top recommendations, in the order of its summary")


class Brief(Record):
    """What every stored report says, across reports: themes by size with their reports, practices and key
    figures; each report's lessons for the home region and its top recommendations."""

    schema_version: str = SCHEMA_VERSION
    themes: list[BriefTheme] = Field(default_factory=list, description="largest first")
    reports: list[BriefReport] = Field(default_factory=list, description="by title, then id")
    unthemed_practices: int = Field(0, description="practices in no theme (not in the brief)")
