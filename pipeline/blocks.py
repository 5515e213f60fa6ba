"""The units ingestion works on: physical ``Line``s, paragraph-level ``Block``s, and the
``CleanedDocument`` they are rendered into.

Every cleaning rule takes and returns lines or blocks; ``render_blocks`` turns the final blocks into the
cleaned text, the single coordinate system every ``Section.span`` points into.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Block:
    """One paragraph-level unit of the cleaned text.

    ``heading_depth`` is None for body text; otherwise a depth (1 = top) that ``build_sections`` turns into a
    section level. ``gap_before`` asks for a blank line before the block in the output.
    """

    text: str
    heading_depth: Optional[int] = None
    gap_before: bool = True
    is_table_row: bool = False
    is_list_item: bool = False
    heading_source: str = ""  # "markdown", "bold", "chapter", "roman", "runin", ... (for tests and debugging)
    before_break: bool = False  # a thematic break (markdown '---') follows: open sections end there


@dataclass
class Line:
    """A physical line before paragraphs are assembled."""

    text: str
    page: int = 0
    heading_depth: Optional[int] = None
    heading_source: str = ""
    is_table_row: bool = False
    is_break: bool = False
    was_bold: bool = False



@dataclass
class CleanedDocument:
    """The cleaned text with the blocks it was rendered from (``offsets[i]`` is block i's span in
    ``text``) and the title clues cleaning found on the way."""

    text: str
    blocks: list[Block]
    offsets: list[tuple[int, int]]  # span of each block in text
    header_titles: list[str] = field(default_factory=list)
    explicit_title: Optional[str] = None
    fmt: str = "text"


def render_blocks(blocks: list[Block]) -> tuple[str, list[tuple[int, int]]]:
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    position = 0
    for index, block in enumerate(blocks):
        if index:
            separator = "\n\n" if block.gap_before or block.heading_depth is not None or \
                blocks[index - 1].heading_depth is not None else "\n"
            parts.append(separator)
            position += len(separator)
        parts.append(block.text)
        offsets.append((position, position + len(block.text)))
        position += len(block.text)
    return "".join(parts), offsets
