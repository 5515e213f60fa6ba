"""Tests for pipeline.reading: file discovery, encodings, PDF and DOCX, and bad input (never a traceback,
always IngestError with a clear reason)."""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file
from pipeline.reading import SUPPORTED_SUFFIXES, IngestError, iter_input_files, read_document


def test_supported_suffixes():
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


def test_ingest_error_is_one_line_with_path_and_reason(tmp_path):
    bad = tmp_path / "notes.xyz"
    bad.write_text("hello")
    with pytest.raises(IngestError) as info:
        read_document(bad)
    assert info.value.path == str(bad)
    assert info.value.reason == "unsupported file type .xyz"
    assert str(info.value) == f"{bad}: unsupported file type .xyz"
    assert "\n" not in str(info.value)


CHINESE = "浙江省两新组织党建工作调研报告。一、基本情况：全省共有非公有制企业一百八十万家，从业人员七百七十万人。" * 3


ENGLISH_1252 = ("The committee’s “final” report – naïve café owners, résumé checks and déjà vu – "
                "was published on 3 May. Its findings cover fiscal policy, façade repairs and rôles. ") * 3


@pytest.mark.parametrize("encoding,text", [
    ("utf-8", CHINESE),
    ("utf-8-sig", CHINESE),
    ("gb18030", CHINESE),
    ("gbk", CHINESE),
    ("utf-16", CHINESE),  # with BOM
    ("utf-16-le", ENGLISH_1252),  # no BOM
    ("utf-16-be", CHINESE),  # no BOM
    ("cp1252", ENGLISH_1252),
])
def test_encodings_are_detected(tmp_path, encoding, text):
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode(encoding))
    decoded, fmt = read_document(path)
    assert fmt == "text"
    assert decoded.lstrip("\ufeff") == text


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_plain_ascii_and_latin_text_is_never_taken_for_utf16(tmp_path, encoding):
    # ASCII letter pairs read as UTF-16 are Han characters: the UTF-16 guess must not fire on them
    text = "Grants Management: Enhancing Performance Accountability Provisions Could Lead to Better Results " * 50
    path = tmp_path / "report.md"
    path.write_bytes(text.encode(encoding))
    assert read_document(path)[0] == text


def make_pdf_bytes(pages: list[str]) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    for page_text in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        body = " ".join(f"({line}) Tj T*" for line in page_text.split("\n"))
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 11 Tf 14 TL 72 740 Td {body} ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_real_pdf_is_read_page_by_page(tmp_path):
    path = tmp_path / "audit.pdf"
    path.write_bytes(make_pdf_bytes(["Harbour Audit", "Findings\nInspections were late.", "3"]))
    text, fmt = read_document(path)
    assert fmt == "pdf" and text.count("\f") == 2 and "Inspections were late." in text
    report = ingest_file(path)
    assert "Inspections were late." in report.text


@pytest.mark.parametrize("content,reason", [
    (b"", "empty file"),
    (b"   \n\t\r\n  ", "empty file (whitespace only)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" * 20,
     "binary file, not text"),
])
def test_empty_and_binary_files(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert info.value.reason.startswith(reason)


def test_invalid_utf8_is_decoded_by_detection(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(ENGLISH_1252.encode("cp1252"))  # not valid UTF-8
    report = ingest_file(path)
    assert "naïve café owners" in report.text


def test_undecodable_bytes_fail_clearly(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert "binary file" in info.value.reason


def test_truncated_pdf(tmp_path):
    data = make_pdf_bytes(["Harbour Audit", "Findings: inspections were late."])
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert info.value.reason.startswith("cannot read PDF")


def test_not_a_pdf_at_all(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("this is not a PDF")
    with pytest.raises(IngestError, match=r"not a PDF \(no %PDF header; looks like text\)"):
        ingest_file(path)


def test_corrupt_docx(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip archive")
    with pytest.raises(IngestError, match=r"not a Word document \(a damaged zip file"):
        ingest_file(path)


def test_docx_headings_become_sections(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Harbour Audit", level=0)
    document.add_heading("Findings", level=1)
    document.add_paragraph("Inspections were late on five of the twelve piers last year.")
    document.add_heading("Recommendations", level=1)
    document.add_paragraph("Publish an inspection calendar for every pier in the harbour.")
    path = tmp_path / "audit.docx"
    document.save(path)
    report = ingest_file(path)
    assert report.title == "Harbour Audit"
    assert [(s.heading, s.kind) for s in report.sections] == [
        ("Findings", "findings"), ("Recommendations", "recommendations")]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("The committee found late inspections.")
    path.chmod(0)
    try:
        with pytest.raises(IngestError, match="permission denied"):
            ingest_file(path)
    finally:
        path.chmod(0o644)


def test_permission_error_is_reported_even_when_running_as_root(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("The committee found late inspections.")

    real_open = os.open

    def refuse(name, *args, **kwargs):  # what the kernel says to a user without read permission
        if Path(name) == path:
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(IngestError) as info:
        ingest_file(path)
    assert str(info.value) == f"{path}: cannot read file: permission denied"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        ingest_file(tmp_path / "missing.txt")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(IngestError, match="directory"):
        ingest_file(folder)


def test_folder_mixing_good_and_bad_files(tmp_path):
    (tmp_path / "b_good.md").write_text("# Harbour Audit\n\nInspections were late on five piers.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a_good.txt").write_bytes(CHINESE.encode("gb18030"))
    (tmp_path / "sub" / "empty.txt").write_bytes(b"")
    (tmp_path / "c_truncated.pdf").write_bytes(make_pdf_bytes(["Harbour"])[:100])
    (tmp_path / "d_binary.htm").write_bytes(b"\x00\x01\x02\x03" * 100)
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("hidden")
    files = list(iter_input_files([tmp_path]))
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "b_good.md", "c_truncated.pdf", "d_binary.htm", "sub/a_good.txt", "sub/empty.txt"]
    good, bad = {}, {}
    for path in files:
        try:
            good[path.name] = ingest_file(path)
        except IngestError as error:
            bad[path.name] = error.reason
    assert set(good) == {"b_good.md", "a_good.txt"}
    assert good["a_good.txt"].language == "zh"
    assert bad["empty.txt"] == "empty file"
    assert bad["c_truncated.pdf"].startswith("cannot read PDF")
    assert bad["d_binary.htm"].startswith("binary file")


def test_explicitly_named_unsupported_file_is_yielded(tmp_path):
    path = tmp_path / "notes.xyz"
    path.write_text("x")
    assert list(iter_input_files([str(path)])) == [path]
