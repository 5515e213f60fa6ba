"""reportlens: turn investigation, inspection and audit reports into structured, verifiable data.

Public API (imported lazily so that `import pipeline` stays cheap):

- ``analyze(path) -> Analysis``: ingest one file and run every stage, touching no store;
- ``analyze_text(text) -> Analysis``: the same for a string;
- ``run(paths, db_path, workers=1) -> RunSummary``: the incremental batch job into a SQLite store;
- ``Store``: the store; the record types live in ``pipeline.records``.
"""
from __future__ import annotations

import os

# Never reach for a model hub: everything this project loads ships inside an installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# Loading bars and notices of the Hugging Face libraries would clutter stderr on every run.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "analyze_text", "run", "Store"]


def analyze(path):
    """Ingest one file and run every stage on it; returns a `pipeline.records.Analysis`."""
    from .extract import analyze_file

    return analyze_file(path)


def analyze_text(text: str, source: str = "<text>", fmt: str = "text"):
    """Run every stage on a string; returns a `pipeline.records.Analysis`."""
    from .extract import analyze_report
    from .ingest import ingest_text

    return analyze_report(ingest_text(text, source=source, fmt=fmt))


def run(paths, db_path="reportlens.db", **options):
    """The incremental batch job; see `pipeline.batch.run`."""
    from .batch import run as run_batch

    return run_batch(paths, db_path, **options)


def __getattr__(name):
    if name == "Store":
        from .store import Store

        return Store
    raise AttributeError(name)
