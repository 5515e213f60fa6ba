"""Runs the extraction stages over one ingested report and assembles its `Analysis`.

Order matters: metadata first (regions and report type feed the extractors), then figures, then the
structure (practices, stages, findings, recommendations). ``ANALYSIS_VERSION`` fingerprints the code and
rule files that produce an analysis, so a batch re-run redoes a stored report only when they changed.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from .records import Analysis, Report

PACKAGE_DIR = Path(__file__).parent


@lru_cache(maxsize=1)
def analysis_version() -> str:
    """A fingerprint of the package's code and data: any change to them makes stored analyses stale."""
    from . import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json", ".jsonl", ".txt", ".tsv", ".cfg"} \
                and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def analyze_report(report: Report) -> Analysis:
    """Every extraction stage over one ingested report."""
    from .figures import extract_figures
    from .metadata import describe_report
    from .structure import extract_structure

    described = describe_report(report)
    report = report.model_copy(update={k: v for k, v in described.items() if v not in (None, [], "")})
    structure = extract_structure(report)
    return Analysis(
        report=report,
        figures=extract_figures(report),
        stages=structure.stages,
        practices=structure.practices,
        findings=structure.findings,
        recommendations=structure.recommendations,
    )


def analyze_file(path: str | Path) -> Analysis:
    """Ingest one file and run every stage on it, without touching any store."""
    from .ingest import ingest_file

    return analyze_report(ingest_file(Path(path)))
