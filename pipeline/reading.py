"""Finding and reading input files: folders walked, bytes decoded (BOMs, UTF-8, UTF-16 without BOM,
charset detection, binary refused), PDF pages extracted, DOCX paragraphs and tables read as
markdown-style text. Every failure is an ``IngestError`` with a one-line reason."""
from __future__ import annotations

import errno
import logging
import os
import re
import stat
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Union


SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
FORMATS = ("text", "markdown", "html", "pdf", "docx")
_FORMAT_BY_SUFFIX = {
    ".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
    ".pdf": "pdf", ".docx": "docx",
}

PathLike = Union[str, Path]

# -- Limits on input. Beyond them a file is refused with one line, before the stage that would take
# minutes or gigabytes on it (README, "Bad input"). Real reports stay far inside every one of them.
MAX_TEXT_FILE_MB = 50  # text, Markdown and HTML files, checked on the file's size before it is read
MAX_HTML_DEPTH = 512  # elements open inside one another (browsers stop nesting there too); real pages: < 30
MAX_ANALYSIS_CHARS = 10_000_000  # cleaned text the stages analyse (≈ 3,000 pages; ≈ 5 minutes of analysis)
# Longest "sentence" given to the statistical model at once (spaCy's own bound is 1,000,000): text without
# full stops is cut into pieces of this size. Real sentences stay under it.
MAX_SENTENCE_CHARS = 5_000
MAX_DOCX_EXPANDED_MB = 200  # a Word file's parts once unzipped (1,000 pages of text: ≈ 6 MB of document.xml)
MAX_DOCX_RATIO = 500  # how many times a part over 1 MB may expand (Word's XML: 4-35, boilerplate 150; bombs 700+)
# Tags in a Word file's XML: python-docx holds ≈ 300 bytes per element (50 MB of "<w:p/>" took 2.9 GB);
# 1,000 pages of text are ≈ 200,000 tags
MAX_DOCX_XML_TAGS = 3_000_000


class IngestError(Exception):
    """A file that cannot be ingested; ``str(e)`` is one line: 'PATH: reason'."""

    def __init__(self, path: PathLike, reason: str):
        self.path = str(path)
        self.reason = " ".join(str(reason).split())  # one line, whatever the library said
        super().__init__(f"{self.path}: {self.reason}")

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def iter_input_files(paths: Iterable[PathLike],
                     on_error: Optional[Callable[[Path, str], None]] = None) -> Iterator[Path]:
    """Files named directly (whatever their suffix, so the caller can report unsupported ones) and the
    supported files under named folders, recursively, in sorted order. A folder that cannot be listed
    (permission denied, removed meanwhile) goes to ``on_error(folder, reason)``; without a callback it
    raises ``IngestError``, never skipped in silence."""
    def unreadable(exc: OSError) -> None:
        folder = Path(exc.filename) if exc.filename else Path("?")
        reason = os_error_reason(exc).replace("cannot read file", "cannot read folder")
        if on_error is None:
            raise IngestError(folder, reason)
        on_error(folder, reason)

    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = []
            for root, dirs, files in os.walk(path, onerror=unreadable):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                        found.append(Path(root) / name)
            yield from sorted(found)
        else:
            yield path


def os_error_reason(exc: OSError) -> str:
    """One line for why a file could not be looked at or read (no path: the caller names the file)."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "cannot read file: permission denied"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"cannot read file: {exc.strerror or exc}"


NOT_REGULAR = "not a regular file (a device, pipe or socket)"


def _read_regular_file(path: Path, max_mb: Optional[int] = None) -> bytes:
    """The bytes of ``path`` if it is a regular file (a symlink to one is fine). A device never ends
    (/dev/zero) and a named pipe blocks until someone writes: both are refused before reading, checked on
    the path and again on the opened file (the path may have been swapped in between). A file over
    ``max_mb`` MB is refused from its size, and no more than that is read if it grows. Raises OSError."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise IngestError(path, NOT_REGULAR)
    # non-blocking, so that opening a pipe swapped in since the check returns at once instead of waiting
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb", closefd=True) as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise IngestError(path, NOT_REGULAR)
        if max_mb is None:
            return file.read()
        limit = max_mb * 2**20
        data = file.read(limit + 1) if info.st_size <= limit else b""
        if info.st_size > limit or len(data) > limit:
            size = max(info.st_size, len(data))
            raise IngestError(path, f"file is {size / 2**20:,.0f} MB; reportlens reads text files up to {max_mb} MB")
        return data


def read_document(path: PathLike) -> tuple[str, str]:
    """(decoded raw text, format). HTML comes back as HTML, PDF pages joined by form feeds, DOCX as
    markdown-style text (headings marked with #). Raises IngestError."""
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = _FORMAT_BY_SUFFIX.get(suffix)
    if fmt is None:
        raise IngestError(path, f"unsupported file type {suffix or '(no suffix)'}")
    if path.is_dir():
        raise IngestError(path, "is a directory, not a file")
    try:
        data = _read_regular_file(path, None if fmt in ("pdf", "docx") else MAX_TEXT_FILE_MB)
    except OSError as exc:
        raise IngestError(path, os_error_reason(exc)) from None
    if not data:
        raise IngestError(path, "empty file")
    if fmt == "pdf":
        text = _read_pdf(path, data)
    elif fmt == "docx":
        text = _read_docx(path, data)
    else:
        text = decode_bytes(data, path)
    if not text.strip():
        raise IngestError(path, "empty file (whitespace only)" if fmt not in ("pdf", "docx") else "no text in file")
    return text, fmt


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_bytes(data: bytes, path: PathLike = "<bytes>") -> str:
    """Bytes to text: BOM, then strict UTF-8, then UTF-16 without BOM, then charset-normalizer.
    Binary data (control characters or undecodable bytes where text should be) raises IngestError."""
    text, encoding = _decode_with_detection(data, path)
    sample = text[:100_000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\n\r\t\f") or ch == "\x7f")
    if sample and bad / len(sample) > 0.02:
        raise IngestError(path, f"binary file, not text (control bytes as {encoding})")
    return text


def _decode_with_detection(data: bytes, path: PathLike) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), encoding
    if b"\x00" not in data[:65536]:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    utf16 = _guess_utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    if b"\x00" in data[:65536]:
        raise IngestError(path, "binary file, not text")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:2_000_000]).best()
    if best is None or best.encoding is None:
        raise IngestError(path, "binary file, not text (no text encoding fits)")
    encoding = _widen_encoding(best.encoding)
    if encoding in _LATIN_SINGLE_BYTE and _decodes(data, "cp1252"):
        # charset-normalizer cannot tell Western code pages apart on short texts ('naļve' in cp1257);
        # cp1252 is by far the most common of them
        encoding = "cp1252"
    return data.decode(encoding, errors="replace"), encoding


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _widen_encoding(encoding: str) -> str:
    """GB2312/GBK guesses decode as GB18030 (a superset), Latin-1 guesses as cp1252 (curly quotes)."""
    name = encoding.lower().replace("-", "_")
    if name in ("gb2312", "gbk", "cp936", "hz"):
        return "gb18030"
    if name in ("latin_1", "iso8859_1", "iso_8859_1", "ascii"):
        return "cp1252"
    return name


def _guess_utf16_without_bom(data: bytes) -> Optional[str]:
    """Mostly-ASCII UTF-16 shows NUL in every other byte; mostly-Chinese UTF-16 decodes to Han characters
    (U+4E00..U+9FFF), which GB18030 bytes read as UTF-16 do not (they land in Hangul and beyond)."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:20000]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    # In UTF-16 CJK text every other byte is arbitrary, so well over a tenth of all bytes are >= 0x80;
    # ASCII or Latin text (whose letter pairs also read as Han characters in UTF-16) has almost none.
    if sum(byte >= 0x80 for byte in sample) < 0.1 * len(sample):
        return None
    best, best_share = None, 0.0
    for encoding in ("utf-16-le", "utf-16-be"):
        text = sample.decode(encoding, errors="replace")
        visible = [ch for ch in text if not ch.isspace()]
        if not visible:
            continue
        share = sum(0x4E00 <= ord(ch) <= 0x9FFF or ch in _CJK_PUNCTUATION for ch in visible) / len(visible)
        if share > best_share:
            best, best_share = encoding, share
    return best if best_share >= 0.8 else None


_CJK_PUNCTUATION = frozenset("，。、；：？！“”‘’（）《》【】—…·")
_LATIN_SINGLE_BYTE = frozenset({
    "cp1250", "cp1254", "cp1257", "cp1258", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10",
    "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "mac_roman", "mac_latin2", "mac_iceland",
    "mac_turkish", "latin_1", "cp850", "cp437", "cp858",
})


def _looks_like(data: bytes) -> str:
    """What a file that is not what its suffix says looks like, for the message refusing it."""
    head = data[:1024]
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if head.startswith(_OLE_MAGIC):
        return "an old Office file (.doc, .xls)"
    if head.lstrip().startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    try:
        sample = decode_bytes(data[:65536])
    except IngestError:
        return "binary data"
    return "looks like HTML" if re.search(r"<(!doctype|html|body|div|p)\b", sample[:4096], re.I) else "looks like text"


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls files


def _read_pdf(path: Path, data: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError, PdfStreamError

    if b"%PDF" not in data[:1024]:  # readers accept junk before the header, up to 1 KB of it
        raise IngestError(path, f"not a PDF (no %PDF header; {_looks_like(data)})")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # font warnings would flood stderr
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # a PDF anyone may open is encrypted with an empty user password: that one opens
            try:
                opened = reader.decrypt("")
            except DependencyError:
                raise IngestError(path, "cannot read PDF: encrypted with AES, which needs the cryptography "
                                        "package (pip install 'cryptography>=3.1')") from None
            if not opened:
                raise IngestError(path, "cannot read PDF: encrypted (needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, PdfStreamError) as exc:
        raise IngestError(path, f"cannot read PDF: damaged or truncated ({exc})") from None
    except Exception as exc:  # pypdf raises many types for damaged files
        raise IngestError(path, f"cannot read PDF: {type(exc).__name__}: {exc}") from None
    if not any(page.strip() for page in pages):
        raise IngestError(path, "cannot read PDF: no extractable text (scanned or empty)")
    return "\f".join(pages)


def _check_docx_package(path: Path, data: bytes) -> None:
    """Refuse what is not a Word file, and a zip bomb: sizes and ratios from the zip's central directory,
    then the tags of its XML parts, counted while unzipping them in chunks. The declared sizes cannot lie:
    ``zipfile`` never inflates a member past its declared size (it stops there and fails the CRC check),
    so what python-docx reads is bounded by what is checked here."""
    import io
    import zipfile
    import zlib

    if data.startswith(_OLE_MAGIC):
        raise IngestError(path, "not a Word document (an old binary .doc file; save it as .docx)")
    if not data.startswith(b"PK\x03\x04"):
        raise IngestError(path, f"not a Word document (not a zip file; {_looks_like(data)})")
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise IngestError(path, f"not a Word document (a damaged zip file: {exc})") from None
    names = {member.filename for member in members}
    for required in ("word/document.xml", "[Content_Types].xml"):
        if required not in names:
            raise IngestError(path, f"not a Word document (a zip without {required})")
    expanded = sum(member.file_size for member in members)
    if expanded > MAX_DOCX_EXPANDED_MB * 2**20:
        raise IngestError(path, f"DOCX expands to {expanded / 2**20:,.0f} MB (limit {MAX_DOCX_EXPANDED_MB} MB)")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 2**20 and ratio > MAX_DOCX_RATIO:
            raise IngestError(path, f"DOCX part {member.filename} expands {ratio:,.0f} times its zipped size "
                                    f"(limit {MAX_DOCX_RATIO}; a zip bomb?)")
    # Dense XML needs no high ratio to take gigabytes once parsed: count its tags, unzipping in chunks.
    tags = 0
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for member in members:
            if not member.filename.endswith((".xml", ".rels")):
                continue
            try:
                with package.open(member) as part:
                    while tags <= MAX_DOCX_XML_TAGS and (chunk := part.read(1 << 20)):
                        tags += chunk.count(b"<")
            except (zipfile.BadZipFile, NotImplementedError, EOFError, ValueError, zlib.error) as exc:
                raise IngestError(path, f"cannot read DOCX: a damaged zip file ({exc})") from None
            if tags > MAX_DOCX_XML_TAGS:
                raise IngestError(path, f"DOCX holds more than {MAX_DOCX_XML_TAGS:,} XML tags (a zip bomb?)")


def _read_docx(path: Path, data: bytes) -> str:
    import io
    import zipfile

    _check_docx_package(path, data)
    try:
        import docx
        from docx.oxml.ns import qn

        document = docx.Document(io.BytesIO(data))
    except zipfile.BadZipFile as exc:  # e.g. a part that inflates past its declared size
        raise IngestError(path, f"cannot read DOCX: a damaged zip file ({exc})") from None
    except Exception as exc:
        raise IngestError(path, f"cannot read DOCX: {type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    try:
        body = document.element.body
        paragraph_by_element = {p._p: p for p in document.paragraphs}
        table_by_element = {t._tbl: t for t in document.tables}
        for child in body.iterchildren():
            if child.tag == qn("w:p") and child in paragraph_by_element:
                lines.extend(_docx_paragraph_lines(paragraph_by_element[child]))
            elif child.tag == qn("w:tbl") and child in table_by_element:
                for row in table_by_element[child].rows:
                    cells = [" ".join(cell.text.split()) for cell in row.cells]
                    lines.append("| " + " | ".join(cells) + " |")
                lines.append("")
    except Exception as exc:
        raise IngestError(path, f"cannot read DOCX: {type(exc).__name__}: {exc}") from None
    return "\n".join(lines)


def _docx_paragraph_lines(paragraph) -> list[str]:
    text = paragraph.text.strip()
    if not text:
        return []
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    m = re.match(r"heading\s*(\d)", style, re.IGNORECASE)
    if style.lower() == "title":
        return ["# " + " ".join(text.split()), ""]
    if m:
        return ["#" * min(6, int(m.group(1)) + 1) + " " + " ".join(text.split()), ""]
    if "list" in style.lower():
        return ["- " + text]
    return [text, ""]
