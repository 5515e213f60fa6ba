from __future__ import annotations

import csv
import io
import json
import os
import stat

import jsonschema
import pytest

from pipeline.export import (SCHEMA_PATH, report_schema, schema_text, to_json, write_atomic, write_csv_files,
                             write_json_files, write_jsonl)
from pipeline.records import Analysis, Change, Figure, Practice, Report


def sample(report_id: str = "abc") -> Analysis:
    text = "First, build demonstration sites. By 2001 output was 670 billion yuan, up 10.5% from 2000."
    return Analysis(
        report=Report(id=report_id, source="s.txt", title="Sample, \"quoted\" title", language="en", text=text),
        figures=[Figure(id="F1", text="670 billion yuan", span=(52, 68), sentence=text[34:], value=670e9,
                        kind="money", unit="CNY", year=2001, measures="output"),
                 Figure(id="F2", text="up 10.5% from 2000", span=(70, 88), sentence=text[34:], value=10.5,
                        kind="percent", unit="%", change=Change(direction="up", reference="from 2000"))],
        practices=[Practice(id="P1", text="build demonstration sites", span=(7, 32), theme="T1")],
    )


def test_committed_schema_is_current():
    assert SCHEMA_PATH.exists(), "run `reportlens schema --write` and commit schema/report.schema.json"
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), \
        "schema/report.schema.json is stale: run `reportlens schema --write`"


def test_exports_validate_against_schema():
    jsonschema.validate(json.loads(to_json(sample())), report_schema())
    broken = json.loads(to_json(sample()))
    broken["figures"][0]["value"] = "a lot"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, report_schema())


def test_json_files_are_byte_identical_across_runs(tmp_path):
    first = write_json_files([sample("a"), sample("b")], tmp_path / "one")
    second = write_json_files([sample("a"), sample("b")], tmp_path / "two")
    assert [p.name for p in first] == ["a.json", "b.json"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert Analysis.model_validate_json(first[0].read_text()) == sample("a")


def test_jsonl_one_line_per_report():
    out = io.StringIO()
    assert write_jsonl([sample("a"), sample("b")], out) == 2
    lines = out.getvalue().splitlines()
    assert [json.loads(x)["report"]["id"] for x in lines] == ["a", "b"]


def test_csv_files(tmp_path):
    figures, practices = write_csv_files([sample()], tmp_path)
    rows = list(csv.DictReader(figures.open(encoding="utf-8")))
    assert rows[0]["value"] == "670000000000.0" and rows[0]["unit"] == "CNY"
    assert rows[1]["change"] == "up from 2000"
    assert rows[0]["report_title"] == 'Sample, "quoted" title'
    assert next(csv.DictReader(practices.open(encoding="utf-8")))["theme"] == "T1"


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "x.json"
    write_atomic(target, "old")

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    with pytest.raises(TypeError):
        write_atomic(target, Boom())  # fails while writing the temporary file
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary file left behind


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_exported_files_keep_the_umask_mode(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        written = write_json_files([sample("a")], tmp_path / "json") + write_csv_files([sample()], tmp_path / "csv")
        write_atomic(tmp_path / "all.jsonl", "{}\n")
        written.append(tmp_path / "all.jsonl")
    finally:
        os.umask(previous)
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {mode}


def _with_findings_and_recommendations() -> Analysis:
    from pipeline.records import Finding, Recommendation

    a = sample()
    a.findings = [Finding(id="N1", text="Sites raised membership", span=(0, 5), detail="浙江 示范点 成效")]
    a.recommendations = [Recommendation(id="R1", text="Extend the sites", span=(7, 32), target="the county",
                                        supports=["N1", "P1"])]
    return a


def test_csv_tables_include_findings_and_recommendations_and_a_bom_on_request(tmp_path):
    from pipeline.export import write_csv_tables

    written = write_csv_tables([_with_findings_and_recommendations()], tmp_path / "plain")
    assert [p.name for p in written] == ["figures.csv", "practices.csv", "findings.csv", "recommendations.csv"]
    findings = list(csv.DictReader(written[2].open(encoding="utf-8")))
    assert findings[0]["detail"] == "浙江 示范点 成效"
    recs = list(csv.DictReader(written[3].open(encoding="utf-8")))
    assert recs[0]["target"] == "the county" and recs[0]["supports"] == "N1; P1"
    assert not written[0].read_bytes().startswith(b"\xef\xbb\xbf")
    with_bom = write_csv_tables([_with_findings_and_recommendations()], tmp_path / "bom", bom=True)
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbfreport_id,") for p in with_bom)
    assert list(csv.DictReader(with_bom[2].open(encoding="utf-8-sig")))[0]["detail"] == "浙江 示范点 成效"


def test_xlsx_has_one_sheet_per_part_and_is_deterministic():
    import re
    import zipfile

    from pipeline.export import PARTS, xlsx_bytes

    data = xlsx_bytes([_with_findings_and_recommendations()])
    assert data == xlsx_bytes([_with_findings_and_recommendations()])
    book = zipfile.ZipFile(io.BytesIO(data))
    workbook = book.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="(\w+)"', workbook) == list(PARTS)
    strings = book.read("xl/sharedStrings.xml").decode()
    assert "浙江 示范点 成效" in strings and "Extend the sites" in strings and "670 billion yuan" in strings
