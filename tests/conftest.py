"""Shared fixtures: paths to the model report and to ../shared/corpus (tests using it skip when absent)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_REPORT = ROOT / "corpus" / "zhejiang-two-new-organizations.txt"
SHARED = ROOT.parent / "shared"
SHARED_CORPUS = SHARED / "corpus"


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
