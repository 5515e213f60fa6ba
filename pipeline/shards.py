"""Parquet shards: a batch's results as files instead of rows of the store, and loading them into a store.

`reportlens run PATHS --out DIR` writes each finished report to a shard of DIR (pyarrow), so that a cluster
run needs no shared SQLite file; `reportlens load DIR` then imports the shards into a store, where themes
and search indexes are computed as after any batch. A shard is a pair of files written atomically, the
items first and the reports last (a part whose reports file is missing was cut off, and is ignored):

- ``part-NNNNN-XXXXXXXX.reports.parquet``: one row per file: report id, the file as found and as resolved,
  its size and mtime, the analysis version, the report (JSON of ``records.Report``), its summary and
  sentence spans (JSON), the embedder of the item vectors. A file whose content another file of the run
  brought (or an earlier shard holds) has no report JSON: the row only records that it holds that report.
- ``part-NNNNN-XXXXXXXX.items.parquet``: one row per item: report id, kind, item id, order, text, detail,
  span (start, end), fields (the item's JSON) and its vector (float32, null without one).

Writing skips what DIR already holds (the same file unchanged at this analysis version, or its content),
so a run cut off is finished by running it again. Loading skips what the store already holds: loading the
same shards twice changes nothing. pyarrow is imported only here (``pip install -e '.[scale]'``).
"""
from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

from .executors import ScaleError
from .records import Analysis, Report
from .store.schema import ITEM_KINDS, item_columns, source_key

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# Reports per shard: a shard is written when this many are done (and at the end). A run cut off loses
# at most the reports not yet written.
SHARD_REPORTS = 100
REPORTS_SUFFIX = ".reports.parquet"
ITEMS_SUFFIX = ".items.parquet"


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ScaleError("Parquet shards need pyarrow: pip install -e '.[scale]'") from None
    return pa, pq


def _schemas():
    pa, _ = _pyarrow()
    reports = pa.schema([
        ("report_id", pa.string()), ("source", pa.string()), ("source_key", pa.string()),
        ("size", pa.int64()), ("mtime_ns", pa.int64()), ("analysis_version", pa.string()),
        ("report", pa.string()), ("summary", pa.string()), ("sentences", pa.string()), ("embedder", pa.string()),
    ])
    items = pa.schema([
        ("report_id", pa.string()), ("kind", pa.string()), ("item_id", pa.string()), ("ord", pa.int32()),
        ("text", pa.string()), ("detail", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
        ("fields", pa.string()), ("vector", pa.list_(pa.float32())),
    ])
    return reports, items


def shard_parts(folder: Path) -> list[Path]:
    """The complete parts of ``folder`` (the stem before ``.reports.parquet``), in the order written."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    parts = []
    for path in sorted(folder.glob(f"part-*{REPORTS_SUFFIX}")):
        stem = path.name[: -len(REPORTS_SUFFIX)]
        if (folder / f"{stem}{ITEMS_SUFFIX}").is_file():
            parts.append(folder / stem)
    return parts


@dataclass(frozen=True)
class ShardSource:
    """A file as the shards hold it (the fields of ``store.StoredSource`` that a batch compares)."""

    path: str
    size: int
    mtime_ns: int
    report_id: str
    analysis_version: Optional[str]


class ShardWriter:
    """The sink of a batch with ``--out``: answers what ``batch.run`` asks a store (which files and reports
    it holds) from the shards already in the folder, and writes finished reports to new shards."""

    def __init__(self, folder: str | Path, shard_reports: Optional[int] = None):
        self.folder = Path(folder)
        self.shard_reports = shard_reports or SHARD_REPORTS
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScaleError(f"{self.folder}: cannot create the shard folder ({exc.strerror or exc})") from None
        self._sources: dict[str, ShardSource] = {}
        self._versions: dict[str, Optional[str]] = {}  # report id -> version, of the reports with content
        _, pq = _pyarrow()
        columns = ["report_id", "source_key", "size", "mtime_ns", "analysis_version", "report"]
        for part in shard_parts(self.folder):
            table = pq.read_table(f"{part}{REPORTS_SUFFIX}", columns=columns).to_pylist()
            for row in table:
                self._sources[row["source_key"]] = ShardSource(row["source_key"], row["size"], row["mtime_ns"],
                                                               row["report_id"], row["analysis_version"])
                if row["report"] is not None:
                    self._versions[row["report_id"]] = row["analysis_version"]
        self._next = len(list(self.folder.glob(f"part-*{REPORTS_SUFFIX}")))
        self._reports: list[dict] = []
        self._items: list[dict] = []
        self._pending_reports = 0

    # -- what batch.run asks of its sink ---------------------------------------------------------
    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Write what is buffered (complete reports: also after Ctrl-C)."""
        self.flush()

    def source(self, path: Path) -> Optional[ShardSource]:
        return self._sources.get(source_key(path))

    def sources_of(self, report_id: str) -> list[str]:
        return sorted(k for k, s in self._sources.items() if s.report_id == report_id)

    def has_report(self, report_id: str) -> bool:
        return report_id in self._versions

    def report_ids_at(self, analysis_version: Optional[str]) -> frozenset[str]:
        return frozenset(r for r, v in self._versions.items() if v == analysis_version)

    def record_source(self, source: Path, report_id: str, stat: Optional[tuple[int, int]] = None) -> None:
        self._add_source(source, report_id, stat, self._versions.get(report_id), None)
        self._count_report()

    def save(self, analysis: Analysis, analysis_version: Optional[str], source: Optional[Path] = None,
             embeddings: Optional[tuple[str, dict[str, "np.ndarray"]]] = None,
             source_stat: Optional[tuple[int, int]] = None,
             sentences: Optional[list[tuple[int, int]]] = None) -> None:
        from .embed import text_key
        from .vectors import embedding_text

        report = analysis.report
        model, vectors = embeddings if embeddings else (None, {})
        self._add_source(source, report.id, source_stat, analysis_version, {
            "report": report.model_dump_json(),
            "summary": analysis.summary.model_dump_json() if analysis.summary else None,
            "sentences": json.dumps(sentences) if sentences is not None else None,
            "embedder": model,
        })
        self._versions[report.id] = analysis_version
        for kind, i, item, text, detail in item_columns(analysis):
            vector = vectors.get(text_key(embedding_text(text, detail, kind)))
            self._items.append({
                "report_id": report.id, "kind": kind, "item_id": item.id, "ord": i, "text": text,
                "detail": detail, "start": item.span[0], "end": item.span[1], "fields": item.model_dump_json(),
                "vector": None if vector is None else [float(x) for x in vector],
            })
        self._count_report()

    # -- writing ------------------------------------------------------------------------------------
    def _add_source(self, source: Path, report_id: str, stat: Optional[tuple[int, int]],
                    version: Optional[str], content: Optional[dict]) -> None:
        if stat is None:
            on_disk = os.stat(source)
            stat = (on_disk.st_size, on_disk.st_mtime_ns)
        key = source_key(source)
        self._sources[key] = ShardSource(key, stat[0], stat[1], report_id, version)
        self._reports.append({
            "report_id": report_id, "source": str(source), "source_key": key, "size": stat[0],
            "mtime_ns": stat[1], "analysis_version": version, "report": None, "summary": None,
            "sentences": None, "embedder": None, **(content or {}),
        })

    def _count_report(self) -> None:
        self._pending_reports += 1
        if self._pending_reports >= self.shard_reports:
            self.flush()

    def flush(self) -> None:
        if not self._reports:
            return
        pa, pq = _pyarrow()
        reports_schema, items_schema = _schemas()
        stem = self.folder / f"part-{self._next:05d}-{uuid.uuid4().hex[:8]}"
        # items first: a part counts once its reports file is there
        _write_atomic(pq, pa.Table.from_pylist(self._items, schema=items_schema), Path(f"{stem}{ITEMS_SUFFIX}"))
        _write_atomic(pq, pa.Table.from_pylist(self._reports, schema=reports_schema),
                      Path(f"{stem}{REPORTS_SUFFIX}"))
        self._next += 1
        self._reports, self._items, self._pending_reports = [], [], 0


def _write_atomic(pq, table, path: Path) -> None:
    """One Parquet file, written whole or not at all (the exports' atomic writer: the umask's mode, no
    temporary file left behind); a write that fails is a one-line error naming the file."""
    from .export import ExportError, write_atomic

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    try:
        write_atomic(path, buffer.getvalue())
    except ExportError as exc:
        raise ScaleError(str(exc)) from None


# -- loading ------------------------------------------------------------------------------------------
@dataclass
class LoadSummary:
    reports: int = 0  # reports stored (new or replaced)
    sources: int = 0  # files recorded without a report of their own (identical content)
    unchanged: int = 0  # rows the store already held as they are
    parts: int = 0
    themes: Optional[object] = None


def iter_shard_rows(folder: Path) -> Iterator[tuple[dict, list[dict]]]:
    """(report row, its item rows in kind and item order) of every part of ``folder``, in the order written."""
    _, pq = _pyarrow()
    order = {kind: i for i, kind in enumerate(ITEM_KINDS)}
    for part in shard_parts(folder):
        items: dict[str, list[dict]] = {}
        for row in pq.read_table(f"{part}{ITEMS_SUFFIX}").to_pylist():
            items.setdefault(row["report_id"], []).append(row)
        for row in pq.read_table(f"{part}{REPORTS_SUFFIX}").to_pylist():
            mine = items.get(row["report_id"], []) if row["report"] is not None else []
            yield row, sorted(mine, key=lambda r: (order[r["kind"]], r["ord"]))


def shard_analysis(row: dict, items: list[dict]) -> Analysis:
    """The analysis a report row and its item rows hold (as the batch stored it)."""
    by_kind: dict[str, list] = {kind: [] for kind in ITEM_KINDS}
    for item in items:
        by_kind[item["kind"]].append(json.loads(item["fields"]))
    summary = json.loads(row["summary"]) if row["summary"] else None
    return Analysis.model_validate({"report": Report.model_validate_json(row["report"]).model_dump(),
                                    **by_kind, "summary": summary})


def load_shards(folder: str | Path, store, on_step: Optional[Callable[[str], None]] = None) -> LoadSummary:
    """Import the shards of ``folder`` into ``store``, skipping what it already holds (idempotent), then
    bring item vectors and themes up to date as a batch does."""
    from .embed import text_key
    from .vectors import embedding_text

    import numpy as np

    folder = Path(folder)
    if not folder.is_dir():
        raise ScaleError(f"{folder}: no such folder")
    summary = LoadSummary(parts=len(shard_parts(folder)))
    for row, items in iter_shard_rows(folder):
        key, stat, version = row["source_key"], (row["size"], row["mtime_ns"]), row["analysis_version"]
        stored = store.source(Path(key))
        held = store.has_report(row["report_id"]) and store.analysis_version(row["report_id"]) == version
        if held and stored is not None and stored.report_id == row["report_id"] \
                and (stored.size, stored.mtime_ns) == stat:
            summary.unchanged += 1
            continue
        if row["report"] is None or held:
            if not store.has_report(row["report_id"]):
                continue  # its content is in no shard loaded (a part removed): nothing to point at
            store.record_source(Path(row["source"]), row["report_id"], stat, key=key)
            summary.sources += 1
            continue
        analysis = shard_analysis(row, items)
        vectors = {text_key(embedding_text(i["text"], i["detail"], i["kind"])): np.asarray(i["vector"], np.float32)
                   for i in items if i["vector"] is not None}
        sentences = [tuple(s) for s in json.loads(row["sentences"])] if row["sentences"] else None
        store.save(analysis, version, source=Path(row["source"]), key=key, source_stat=stat, sentences=sentences,
                   embeddings=(row["embedder"], vectors) if vectors and row["embedder"] else None)
        summary.reports += 1
    if summary.reports or summary.sources or store.unthemed_practices():
        from .corpus import index_and_theme

        if on_step:
            on_step("themes")
        summary.themes = index_and_theme(store)
    return summary
