"""Shared fixtures: paths to the model report and to ../shared/corpus (tests using it skip when absent)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_REPORT = ROOT / "corpus" / "zhejiang-two-new-organizations.txt"
SHARED = ROOT.parent / "shared"
SHARED_CORPUS = SHARED / "corpus"
INGEST_FIXTURES = ROOT / "tests" / "fixtures" / "ingest"


def top_level(report):
    """The level-1 sections of an ingested report."""
    return [s for s in report.sections if s.level == 1]


def assert_spans_consistent(report):
    """Every section's span and heading span point into the report's text, the heading at its start."""
    for section in report.sections:
        start, end = section.span
        h_start, h_end = section.heading_span
        assert 0 <= start == h_start < h_end <= end <= len(report.text)
        assert report.text[h_start:h_end].startswith(section.heading[:10])


@pytest.fixture
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside the repository")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def model_analysis():
    """The full analysis of the model report (runs the statistical model once per test session)."""
    from pipeline.extract import analyze_file

    return analyze_file(MODEL_REPORT)


def load_scorer():
    """../shared/eval/score.py as a module (the test skips when ../shared is absent)."""
    path = SHARED / "eval" / "score.py"
    if not path.is_file():
        pytest.skip("../shared/eval/score.py is not beside the repository")
    spec = importlib.util.spec_from_file_location("reportlens_shared_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
