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
# The user-editable codebook of named themes (see README); absent in an installed copy without it.
CODEBOOK_PATH = PACKAGE_DIR.parent / "models" / "codebook.json"


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


def analyze_report(report: Report, *, embedder=None, with_summary: bool = True,
                   with_themes: bool = False) -> Analysis:
    """Every extraction stage over one ingested report.

    ``with_themes`` groups the report's own practices into themes (what `reportlens analyze` shows for a
    single file; the batch job themes practices across all stored reports instead). ``embedder`` serves
    the themes and the summary's abstract; by default the process's default embedder (MiniLM).
    """
    from .figures import extract_figures
    from .metadata import describe_report
    from .reading import MAX_ANALYSIS_CHARS, IngestError
    from .structure import extract_structure
    from .summarize import summarize

    if len(report.text) > MAX_ANALYSIS_CHARS:  # refused at once, not after minutes of stages
        raise IngestError(report.source, f"text is {len(report.text):,} characters; reportlens analyses "
                                         f"reports up to {MAX_ANALYSIS_CHARS:,}")
    described = describe_report(report)
    report = report.model_copy(update={k: v for k, v in described.items() if v not in (None, [], "")})
    structure = extract_structure(report)
    analysis = Analysis(
        report=report,
        figures=extract_figures(report),
        stages=structure.stages,
        practices=structure.practices,
        findings=structure.findings,
        recommendations=structure.recommendations,
    )
    if (with_summary or with_themes) and embedder is None:
        from .embed import default_embedder

        embedder = default_embedder()
    if with_themes and analysis.practices:
        theme_practices(analysis, embedder)
    if with_summary:
        analysis.summary = summarize(analysis, embedder)
    return analysis


def theme_practices(analysis: Analysis, embedder) -> None:
    """Group one report's practices into themes (codebook first), setting each practice's theme."""
    from .embed import fit_if_needed
    from .themes import ThemeInput, build_themes, embedding_text, load_codebook

    items = [ThemeInput(id=p.id, report_id=analysis.report.id, text=p.text, detail=p.detail, region=p.region)
             for p in analysis.practices]
    fit_if_needed(embedder, [embedding_text(i) for i in items])
    codebook = load_codebook(CODEBOOK_PATH) if CODEBOOK_PATH.exists() else None
    vectors = embedder.embed([embedding_text(i) for i in items])
    themes = build_themes(items, vectors, codebook=codebook, embedder=embedder)
    by_member = {m: t for t in themes for m in t.members}
    for practice in analysis.practices:
        theme = by_member.get(practice.id)
        if theme is not None:
            practice.theme_id, practice.theme = theme.id, theme.label


def analyze_file(path: str | Path) -> Analysis:
    """Ingest one file and run every stage on it, without touching any store."""
    from .ingest import ingest_file

    return analyze_report(ingest_file(Path(path)), with_themes=True)
