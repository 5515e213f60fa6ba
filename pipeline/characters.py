"""Character-level cleaning: line endings, mojibake (UTF-8 read as a single-byte code page), Unicode
normalization, control, zero-width and bidirectional characters, odd spaces."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional


def _build_char_map() -> dict[int, Optional[str]]:
    table: dict[int, Optional[str]] = {}
    for code in list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA0)):
        if code not in (0x09, 0x0A, 0x0C):  # keep tab, newline and form feed (form feed = PDF page break)
            table[code] = None
    for code in (0x00A0, 0x2007, 0x202F, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2008,
                 0x2009, 0x200A, 0x205F):
        table[code] = " "
    for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0xFFFE, 0xFFFF):
        table[code] = None  # zero-width characters and soft hyphens only break words apart
    for code in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = None  # bidirectional controls: invisible, and they split words for search and matching
    table[0x2028] = "\n"
    table[0x2029] = "\n"
    return table


_CHAR_MAP = _build_char_map()

_FTFY_CONFIG = None


def _ftfy_config():
    global _FTFY_CONFIG
    if _FTFY_CONFIG is None:
        import ftfy

        # Keep curly quotes and full-width CJK punctuation: they are content, not damage.
        _FTFY_CONFIG = ftfy.TextFixerConfig(
            uncurl_quotes=False, fix_character_width=False, unescape_html=False, normalization="NFC",
            explain=False,
        )
    return _FTFY_CONFIG


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 (and similar) damage with ftfy, only on the lines that show it.

    ``ftfy.badness.is_bad`` is one regex pass, so clean text (the common case) costs almost nothing.
    """
    import ftfy
    from ftfy.badness import is_bad

    # UTF-8 read as a single-byte code page always shows a lead byte as one of 'Â'..'ô'; only lines
    # holding one can be damaged, and a character-class search is much faster than ftfy's badness regex.
    if not _MOJIBAKE_LEAD.search(text):
        return text
    config = _ftfy_config()
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _MOJIBAKE_LEAD.search(line) and is_bad(line):
            lines[index] = ftfy.fix_text(line, config)
    return "\n".join(lines)


_MOJIBAKE_LEAD = re.compile("[\u00c2-\u00f4]")


def normalize_characters(raw: str) -> str:
    """Line endings to \\n, mojibake repaired, NFC, control and zero-width characters dropped.

    Form feeds survive: they mark PDF page breaks for the page-furniture rules.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = repair_mojibake(text)
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_CHAR_MAP)
    return text.replace("\t", " ")
