"""Tests for pipeline.characters: mojibake, line endings, control characters."""
from __future__ import annotations

from pipeline.ingest import clean_text


def test_mojibake_is_repaired():
    import ftfy.bad_codecs

    assert ftfy.bad_codecs  # importing it registers 'sloppy-windows-1252', which decodes every byte

    damaged = "The café’s “menu” costs €5.".encode("utf-8").decode("sloppy-windows-1252")
    assert "Ã" in damaged or "â€" in damaged
    assert clean_text(damaged, "text") == "The café’s “menu” costs €5."


def test_line_endings_control_characters_and_nul_bytes_are_normalised():
    raw = "First line of the paragraph\r\nsecond line.\r\rNext\x00 para\x07graph\x1b here.\u200b"
    text = clean_text(raw, "text")
    assert text == "First line of the paragraph second line.\n\nNext paragraph here."
