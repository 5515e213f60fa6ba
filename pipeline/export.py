"""Exports of stored analyses: one JSON per report, JSON Lines, or CSV tables; and the JSON Schema.

Every file is written atomically (a temporary file in the same folder, then a rename), so a reader never
sees half a file, and the bytes depend only on the stored data: the same input gives identical files. A
failed or interrupted write leaves the old file as it was and no temporary file; one left by a killed
export (its process gone) is removed by the next export to that folder. A device or a pipe given as the
output (``/dev/stdout``) is written as it is: a rename would put a file in its place.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator, Optional

from .records import Analysis


class ExportError(Exception):
    """An export cannot be written where it was asked to go; the message names the path and the reason."""


SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schema" / "report.schema.json"

FIGURE_COLUMNS = ["report_id", "report_title", "id", "value", "kind", "unit", "qualifier", "low", "high",
                  "measures", "base", "year", "region", "change", "text", "start", "end", "sentence"]
PRACTICE_COLUMNS = ["report_id", "report_title", "id", "parent", "level", "group", "theme", "region", "actor",
                    "text", "detail", "start", "end"]
FINDING_COLUMNS = ["report_id", "report_title", "id", "text", "detail", "start", "end", "sentence"]
RECOMMENDATION_COLUMNS = ["report_id", "report_title", "id", "target", "supports", "text", "detail", "start", "end",
                          "sentence"]
STAGE_COLUMNS = ["report_id", "report_title", "id", "order", "label", "start_label", "end_label", "start_year",
                 "end_year", "text", "start", "end"]
REPORT_COLUMNS = ["report_id", "number", "year", "title", "source", "language", "report_type", "studied_regions",
                  "target_region", "figures", "stages", "practices", "findings", "recommendations"]


def report_schema() -> dict:
    """The JSON Schema of one exported report, generated from the records."""
    schema = Analysis.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "reportlens report"
    return schema


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


BRIEF_SCHEMA_PATH = SCHEMA_PATH.with_name("brief.schema.json")


def brief_schema_text() -> str:
    """The JSON Schema of the cross-report brief (`reportlens summarize --all --format json`)."""
    from .records import Brief

    schema = Brief.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "reportlens brief"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def to_json(analysis: Analysis) -> str:
    return json.dumps(analysis.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


# Characters that some line readers (Python's str.splitlines, older JavaScript) take as line breaks: inside a
# JSON Lines record they are written as escapes, so that each record is exactly one line for every reader.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def to_json_line(analysis: Analysis) -> str:
    line = json.dumps(analysis.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    for char, escape in _LINE_BREAKS.items():
        line = line.replace(char, escape)  # only ever inside a string: JSON's own syntax is ASCII
    return line + "\n"


def check_out_path(path: Path, writes: str) -> None:
    """Raise ``ExportError`` unless ``path`` can take an export that ``writes`` a "folder" or a "file":
    its parent folder must exist (the folder itself is created), and it must not be the other kind."""
    if writes == "folder" and path.exists() and not path.is_dir():
        raise ExportError(f"{path}: is a file; this format writes a folder of files (give a folder)")
    if writes == "file" and path.is_dir():
        raise ExportError(f"{path}: is a folder; this format writes one file (give a file name)")
    parent = path.parent
    if not parent.is_dir():
        reason = "is a file" if parent.exists() else "no such folder"
        raise ExportError(f"{path}: cannot write there: {parent} {reason}")


def _file_mode() -> int:
    """The mode a new file gets under the current umask (what ``open`` would give it)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# A temporary file is ``.NAME.RANDOM.HOST-PID.reportlens-tmp``: the host and process that write it, so that a
# later export can tell one whose writer was killed (its process gone) from one being written right now.
TEMP_SUFFIX = ".reportlens-tmp"


def _writer_tag() -> str:
    return f"{re.sub(r'[^A-Za-z0-9-]', '-', socket.gethostname())[:40]}-{os.getpid()}"


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` that an export on this host left when it was killed (its
    process is gone); those of running exports stay. Returns the files removed."""
    host = f"{_writer_tag().rsplit('-', 1)[0]}-"
    removed = []
    try:
        names = [e.name for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return removed
    for name in names:
        writer = name[:-len(TEMP_SUFFIX)].rsplit(".", 1)[-1]
        pid = writer[len(host):]
        if not writer.startswith(host) or not pid.isdigit() or _process_alive(int(pid)):
            continue
        try:
            os.unlink(folder / name)
            removed.append(folder / name)
        except OSError:
            pass
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _write_error(path: Path, exc: OSError) -> ExportError:
    reason = "is a folder" if isinstance(exc, IsADirectoryError) else exc.strerror or str(exc)
    return ExportError(f"{path}: cannot write ({reason})")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either the old or the new content, never half.

    The file gets the umask's mode, as a plain write would (``mkstemp`` alone makes it 0600, which
    colleagues on a shared drive cannot read). ``OSError`` becomes ``ExportError`` naming the path.
    A device or a pipe at ``path`` is written in place.
    """
    binary = isinstance(data, bytes)
    text_options = {} if binary else {"encoding": "utf-8", "newline": ""}
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode) and not path.is_dir()
    except OSError:
        special = False
    if special:
        try:
            with open(path, "wb" if binary else "w", **text_options) as handle:
                handle.write(data)
        except OSError as exc:
            raise _write_error(path, exc) from None
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{_writer_tag()}{TEMP_SUFFIX}",
                                   dir=path.parent)
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb" if binary else "w", **text_options) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _write_error(path, exc) from None
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)


# A report id is hex digits (``ingest.report_id``); one that is not (a hand-edited store) never becomes a
# file name: ``../../x`` would write outside the export's folder.
REPORT_ID = re.compile(r"[0-9a-f]{1,64}")


def write_json_files(analyses: Iterable[Analysis], out_dir: Path) -> list[Path]:
    """One ``<report id>.json`` per report in ``out_dir``; an id that is not hex digits is an ``ExportError``."""
    written = []
    for analysis in analyses:
        if not REPORT_ID.fullmatch(analysis.report.id):
            raise ExportError(f"{out_dir}: report id {analysis.report.id!r} is not a report id (hex digits); "
                              "was the store edited by hand? Nothing was written for it")
        path = out_dir / f"{analysis.report.id}.json"
        write_atomic(path, to_json(analysis))
        written.append(path)
    return written


def write_jsonl(analyses: Iterable[Analysis], out: IO[str]) -> int:
    n = 0
    for analysis in analyses:
        out.write(to_json_line(analysis))
        n += 1
    return n


def _figure_rows(analysis: Analysis) -> Iterator[dict]:
    r = analysis.report
    for f in analysis.figures:
        change = f"{f.change.direction} {f.change.reference or ''}".strip() if f.change else ""
        yield {"report_id": r.id, "report_title": r.title, "id": f.id, "value": f.value, "kind": f.kind,
               "unit": f.unit, "qualifier": f.qualifier, "low": f.low, "high": f.high, "measures": f.measures,
               "base": f.base, "year": f.year, "region": f.region, "change": change, "text": f.text,
               "start": f.span[0], "end": f.span[1], "sentence": f.sentence}


def _practice_rows(analysis: Analysis) -> Iterator[dict]:
    r = analysis.report
    for p in analysis.practices:
        yield {"report_id": r.id, "report_title": r.title, "id": p.id, "parent": p.parent, "level": p.level,
               "group": p.group, "theme": p.theme, "region": p.region, "actor": p.actor, "text": p.text,
               "detail": p.detail, "start": p.span[0], "end": p.span[1]}


def _csv(rows: Iterable[dict], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def _report_rows(analysis: Analysis) -> Iterator[dict]:
    r = analysis.report
    yield {"report_id": r.id, "number": r.number, "year": r.year, "title": r.title, "source": r.source,
           "language": r.language, "report_type": r.report_type, "studied_regions": "; ".join(r.studied_regions),
           "target_region": r.target_region,
           **{k: len(getattr(analysis, k)) for k in ("figures", "stages", "practices", "findings", "recommendations")}}


def _finding_rows(analysis: Analysis) -> Iterator[dict]:
    r = analysis.report
    for f in analysis.findings:
        yield {"report_id": r.id, "report_title": r.title, "id": f.id, "text": f.text, "detail": f.detail,
               "start": f.span[0], "end": f.span[1], "sentence": f.sentence}


def _recommendation_rows(analysis: Analysis) -> Iterator[dict]:
    r = analysis.report
    for rec in analysis.recommendations:
        yield {"report_id": r.id, "report_title": r.title, "id": rec.id, "target": rec.target,
               "supports": "; ".join(rec.supports), "text": rec.text, "detail": rec.detail, "start": rec.span[0],
               "end": rec.span[1], "sentence": rec.sentence}


def _stage_rows(analysis: Analysis) -> Iterator[dict]:
    r = analysis.report
    for st in analysis.stages:
        yield {"report_id": r.id, "report_title": r.title, "id": st.id, "order": st.order, "label": st.label,
               "start_label": st.start, "end_label": st.end, "start_year": st.start_year, "end_year": st.end_year,
               "text": st.text, "start": st.span[0], "end": st.span[1]}


# The parts of a spreadsheet export: one CSV file or one workbook sheet each, in this order.
PARTS = {
    "reports": (_report_rows, REPORT_COLUMNS),
    "figures": (_figure_rows, FIGURE_COLUMNS),
    "practices": (_practice_rows, PRACTICE_COLUMNS),
    "findings": (_finding_rows, FINDING_COLUMNS),
    "recommendations": (_recommendation_rows, RECOMMENDATION_COLUMNS),
    "stages": (_stage_rows, STAGE_COLUMNS),
}
# Excel opens a UTF-8 CSV without a byte-order mark as the local code page: Chinese text turns to mojibake.
BOM = "\ufeff"


def write_csv_tables(analyses: Iterable[Analysis], out_dir: Path, bom: bool = False) -> list[Path]:
    """``figures.csv``, ``practices.csv``, ``findings.csv`` and ``recommendations.csv`` in ``out_dir``,
    for spreadsheet users; ``bom`` starts each with a UTF-8 byte-order mark (for Excel)."""
    analyses = list(analyses)
    written = []
    for part in ("figures", "practices", "findings", "recommendations"):
        rows, columns = PARTS[part]
        path = out_dir / f"{part}.csv"
        write_atomic(path, (BOM if bom else "") + _csv((row for a in analyses for row in rows(a)), columns))
        written.append(path)
    return written


# Excel holds at most this many characters in a cell.
XLSX_CELL_MAX = 32_767


def xlsx_bytes(analyses: Iterable[Analysis]) -> bytes:
    """A workbook with one sheet per part (reports, figures, practices, findings, recommendations,
    stages), a header row each; the same data give the same bytes (the creation date is fixed)."""
    analyses = list(analyses)
    return workbook_bytes((part, (row for a in analyses for row in rows(a)), columns)
                          for part, (rows, columns) in PARTS.items())


def workbook_bytes(sheets: Iterable[tuple[str, Iterable[dict], list[str]]]) -> bytes:
    """A workbook of one sheet per (name, rows, columns), a bold header row each, text as text (never a
    formula, number or link); the same data give the same bytes (the creation date is fixed)."""
    import datetime

    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"created": datetime.datetime(2000, 1, 1)})
    bold = workbook.add_format({"bold": True})
    for name, rows, columns in sheets:
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, columns, bold)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(rows, start=1):
            for c, column in enumerate(columns):
                value = row.get(column)
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value[:XLSX_CELL_MAX])
                else:
                    sheet.write_number(r, c, value)
    workbook.close()
    return buffer.getvalue()


def csv_table(rows: list[dict]) -> str:
    """Rows of one shape (the keys of the first row are the columns) as CSV text."""
    return _csv(rows, list(rows[0]) if rows else [])


def write_csv_files(analyses: Iterable[Analysis], out_dir: Path) -> list[Path]:
    """``figures.csv`` and ``practices.csv`` in ``out_dir``, for spreadsheet users."""
    analyses = list(analyses)
    figures = out_dir / "figures.csv"
    practices = out_dir / "practices.csv"
    write_atomic(figures, _csv((row for a in analyses for row in _figure_rows(a)), FIGURE_COLUMNS))
    write_atomic(practices, _csv((row for a in analyses for row in _practice_rows(a)), PRACTICE_COLUMNS))
    return [figures, practices]


# The tables `reportlens export --format csv` writes, in its order.
CSV_PARTS = ("figures", "practices", "findings", "recommendations")


def csv_text(analyses: Iterable[Analysis], part: str, bom: bool = False) -> str:
    """One part's CSV table (a key of ``PARTS``) of every analysis as text, as ``write_csv_tables`` writes it."""
    rows, columns = PARTS[part]
    return (BOM if bom else "") + _csv((row for a in analyses for row in rows(a)), columns)


FORMATS = ("json", "jsonl", "csv", "xlsx")


def export_analyses(analyses: Iterable[Analysis], fmt: str, out: Optional[Path], bom: bool = False,
                    stdout: Optional[IO[str]] = None) -> str:
    """Write ``analyses`` in ``fmt`` (one of ``FORMATS``) to ``out``: a folder (json, csv) or a file
    (jsonl, xlsx); jsonl without ``out`` goes to ``stdout``. Returns what was written, in words. The
    temporary files of killed exports to that folder go first (``remove_stale_temps``)."""
    if out is not None:
        check_out_path(out, "file" if fmt in ("jsonl", "xlsx") else "folder")
        remove_stale_temps(out if fmt in ("json", "csv") else out.parent)
    if fmt == "json":
        return f"wrote {len(write_json_files(analyses, out))} reports to {out}"
    if fmt == "csv":
        return f"wrote {', '.join(str(p) for p in write_csv_tables(analyses, out, bom=bom))}"
    if fmt == "xlsx":
        write_atomic(out, xlsx_bytes(analyses))
    elif out is None:
        return f"wrote {write_jsonl(analyses, stdout)} reports"
    else:
        write_atomic(out, "".join(to_json_line(a) for a in analyses))
    return f"wrote {out}"
