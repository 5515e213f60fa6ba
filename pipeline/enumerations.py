"""Enumeration parser: ordinal markers in running prose and lists, nested into a tree of items with spans.

Pure functions over text (no spaCy, no records): ``find_markers`` locates item markers of every writing style
listed in ``data/structure/markers.json`` ("First, ...", "The second is to ...", "1.", "(2)", "(a)",
"**Bold run-in.**" and run-in headings whose bold was lost in cleaning ("Expedited agreement process. IRS
..." opening two or more nearby paragraphs), bullets, 一是/二是, （一）, 第一，); a marker counts only at the start
of a sentence, line or paragraph as its style requires. ``parse_enumeration`` nests them into a forest of
``EnumItem``; ``pipeline.headlines.split_headline`` cuts an item into its headline
(the first sentence or clause, marker removed) and its detail.

Nesting is decided by the sequence, not by indentation, because translated prose has none:
  * ordinal 1 opens a new list under the item being read (so "First, X. First, Y." makes Y a child of X),
    except that a prose word ordinal (一是, "First,") in a later paragraph than the last item of a list of
    its group with two or more items starts a sibling list: work reports run lists one after another;
  * ordinal k > 1 continues the open list that expects k, preferring the same marker family
    ("Second," continues "First,"), then a family of the same group whose list has one item so far
    (a list opened by "First," may go on with "The second is"), then the deepest such list;
  * a "Second," that no open list expects, met inside a top-level item that has prose after its headline,
    opens a child list whose implicit first item is the sentence just before it ("The specific practices
    include A. Second, B.").
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterator, Optional


Span = tuple[int, int]

# Families in one group may continue each other's lists (translated prose mixes "First," and "The second is").
FAMILY_GROUPS = {
    "ordinal_comma": "words",
    "the_nth_is": "words",
    "ordinal_last": "words",
    "zh_shi": "zh_words",
    "zh_di": "zh_words",
}


BLANK_LINE = re.compile(r"\n[ \t]*\n")
LAST = -1  # the ordinal of "Finally," / "Lastly,": whatever the open word list expects next


@dataclass(frozen=True)
class Marker:
    """One item marker: ``start`` is where the marker begins, ``end`` where the item's own text begins."""

    family: str
    ordinal: Optional[int]
    start: int
    end: int
    head: Optional[Span] = None  # the bold run-in heading, when the marker carries one


@dataclass
class EnumItem:
    marker: Marker
    end: int = 0
    children: list["EnumItem"] = field(default_factory=list)
    implicit: bool = False  # an unmarked first item inferred from the sentence before a "Second,"
    implicit_start: int = 0
    limit: Optional[int] = None  # a bold run-in or bullet item ends with its paragraph

    @property
    def start(self) -> int:
        return self.implicit_start if self.implicit else self.marker.start

    @property
    def content_start(self) -> int:
        return self.implicit_start if self.implicit else self.marker.end


@lru_cache(maxsize=1)
def marker_table() -> dict:
    with resources.files("pipeline").joinpath("data/structure/markers.json").open(encoding="utf-8") as fh:
        table = json.load(fh)
    for fam in table["families"]:
        fam["regex"] = re.compile(fam["pattern"], re.M)
    return table


def ordinal_value(token: str) -> Optional[int]:
    """'Second' -> 2, '3' -> 3, '三' -> 3, 'c' -> 3."""
    table = marker_table()
    token = token.strip()
    if token.isdigit():
        return int(token)
    low = token.lower()
    if low in table["english_ordinals"]:
        return table["english_ordinals"][low]
    if token in table["chinese_numerals"]:
        return table["chinese_numerals"][token]
    if len(low) == 1 and "a" <= low <= "z":
        return ord(low) - ord("a") + 1
    return None


def is_sentence_initial(text: str, pos: int, floor: int = 0) -> bool:
    """True when only whitespace separates ``pos`` from a sentence end, a blank line or ``floor``. A single
    line break is not enough: hard-wrapped PDF text breaks lines inside sentences ("examines (1) A and\n(2) B")."""
    openers = marker_table()["sentence_openers"]
    j = pos - 1
    newlines = 0
    while j >= floor and text[j] in " \t\r\n\u3000":
        newlines += text[j] == "\n"
        j -= 1
    if j < floor or newlines >= 2:
        return True
    if text[j] in openers:
        # "(IRS). First," opens a sentence; "e.g. First," and "No. 2" do not matter here
        return True
    # a footnote reference or citation bracket after a sentence: "... practices. [61] First,"
    if text[j] == "]":
        k = text.rfind("[", floor, j)
        return k > floor and is_sentence_initial(text, k, floor)
    return False


def _continues_line_list(text: str, pos: int, floor: int, regex: re.Pattern) -> bool:
    """A line-start marker whose previous line opened with a marker of the same style: an unpunctuated
    list ("1. Clean the wells\n2. Fence the fields")."""
    if not is_line_initial(text, pos, floor):
        return False
    line_end = text.rfind("\n", floor, pos)
    line_start = text.rfind("\n", floor, line_end) + 1 if line_end > floor else floor
    previous = text[max(line_start, floor):line_end].lstrip(" \t")
    return line_end > floor and regex.match(previous) is not None


def is_line_initial(text: str, pos: int, floor: int = 0) -> bool:
    j = pos - 1
    while j >= floor and text[j] in " \t":
        j -= 1
    return j < floor or text[j] == "\n"


def find_markers(text: str, start: int = 0, end: Optional[int] = None, language: str = "en") -> list[Marker]:
    """All item markers in ``text[start:end]`` in document order, at most one per position."""
    end = len(text) if end is None else end
    found: dict[int, Marker] = {}
    lang = "zh" if language.startswith("zh") else "en"
    for fam in marker_table()["families"]:
        if fam["language"] not in ("any", lang):
            continue
        for m in fam["regex"].finditer(text, start, end):
            pos = m.start()
            if pos in found:
                continue
            if fam["position"] == "line" and not is_line_initial(text, pos, start):
                continue
            if fam["position"] == "paragraph" and not is_paragraph_initial(text, pos, start):
                continue
            if fam["name"] == "run_in" and not reads_as_heading(m.group("head")):
                continue
            if fam["position"] == "sentence" and not is_sentence_initial(text, pos, start) \
                    and not _continues_line_list(text, pos, start, fam["regex"]):
                continue
            if pos > 0 and fam["name"] in ("number_dot", "paren_number") and text[pos - 1].isdigit():
                continue
            ordinal = None
            if fam.get("ordinal", True) == "last":
                ordinal = LAST
            elif fam.get("ordinal", True):
                groups = m.re.groupindex
                token = m.group("n") if m.group("n") else (m.group("c") if "c" in groups else None)
                ordinal = ordinal_value(token or "")
                if ordinal is None:
                    continue
            head = m.span("head") if "head" in m.re.groupindex else None
            found[pos] = Marker(fam["name"], ordinal, pos, m.end(), head)
    markers = [found[p] for p in sorted(found)]
    return _drop_lone_run_ins(text, markers)


def is_paragraph_initial(text: str, pos: int, floor: int = 0) -> bool:
    """True at ``floor`` or after a blank line."""
    j = pos - 1
    newlines = 0
    while j >= floor and text[j] in " \t\r\n":
        newlines += text[j] == "\n"
        j -= 1
    return j < floor or newlines >= 2


def reads_as_heading(head: str) -> bool:
    """'Expedited agreement process' is a run-in heading; 'They did so' is a sentence."""
    words = re.findall(r"[\w’']+", head.lower())
    banned = set(marker_table()["run_in_sentence_words"])
    # "The Honorable Charles E. Grassley" is a name cut at an initial, not a heading
    return 1 <= len(words) <= 8 and not banned.intersection(words) and not re.search(r"\d|\b[A-Z]$", head)


def _drop_lone_run_ins(text: str, markers: list[Marker]) -> list[Marker]:
    """A run-in heading stands in a run: keep one only when another starts within two paragraphs of it."""
    runs = [m for m in markers if m.family == "run_in"]
    keep = set()
    for a, b in zip(runs, runs[1:]):
        if len(BLANK_LINE.findall(text, a.end, b.start)) <= 2:
            keep.update((a.start, b.start))
    return [m for m in markers if m.family != "run_in" or m.start in keep]


# Deeper markers than this stay at this level: real reports nest three or four deep, and a bound keeps
# recursion over the tree safe on hostile input.
MAX_DEPTH = 12


@dataclass
class _OpenList:
    families: list[str]
    items: list[EnumItem]
    expected: Optional[int]


def _family_score(open_list: _OpenList, family: str) -> float:
    if family in open_list.families:
        return 2.0
    group = FAMILY_GROUPS.get(family)
    if group and any(FAMILY_GROUPS.get(f) == group for f in open_list.families):
        return 1.5 if len(open_list.items) == 1 else 1.0
    return 0.0


def _last_sentence_start(text: str, floor: int, pos: int) -> Optional[int]:
    """Start of the sentence that ends just before ``pos`` (None when it would be the headline itself)."""
    chunk = text[floor:pos].rstrip()
    if not chunk:
        return None
    ends = [m.end() for m in re.finditer(r"[.!?。！？][\"”’)]*\s", chunk[:-1] + " ")]
    ends = [e for e in ends if e < len(chunk)]
    if not ends:
        return None
    s = floor + ends[-1]
    while s < pos and text[s].isspace():
        s += 1
    return s


def parse_enumeration(text: str, start: int = 0, end: Optional[int] = None, language: str = "en",
                      markers: Optional[list[Marker]] = None) -> list[EnumItem]:
    """Nest the markers of ``text[start:end]`` into a forest of items; every item knows its end."""
    end = len(text) if end is None else end
    markers = find_markers(text, start, end, language) if markers is None else markers
    roots: list[EnumItem] = []
    stack: list[_OpenList] = []

    def open_child_list(item: EnumItem, family: str, expected: Optional[int]) -> _OpenList:
        if len(stack) >= MAX_DEPTH:
            # no report nests lists this deep: keep the item as a sibling at the deepest level
            _attach(stack, roots, len(stack) - 1, item, family, expected)
            return stack[-1]
        new = _OpenList([family], [item], expected)
        if stack:
            stack[-1].items[-1].children.append(item)
        else:
            roots.append(item)
        stack.append(new)
        return new

    for mk in markers:
        item = EnumItem(mk)
        # a list of run-in or bullet items is over once the paragraph of its last item has ended
        while stack and stack[-1].items[-1].limit is not None and stack[-1].items[-1].limit < mk.start \
                and stack[-1].items[-1].marker.family != mk.family:
            stack.pop()
        if mk.ordinal is None:
            blank = BLANK_LINE.search(text, mk.end, end)
            item.limit = blank.start() if blank else end
            at = next((i for i in range(len(stack) - 1, -1, -1) if mk.family in stack[i].families), None)
            if at is None:
                open_child_list(item, mk.family, None)
            else:
                del stack[at + 1:]
                _attach(stack, roots, at, item, mk.family, None)
            continue
        if mk.ordinal == LAST:
            at = next((i for i in range(len(stack) - 1, -1, -1) if stack[i].expected
                       and any(FAMILY_GROUPS.get(f) == "words" for f in stack[i].families)), None)
            if at is not None:
                del stack[at + 1:]
                _attach(stack, roots, at, item, mk.family, None)
            continue
        if mk.ordinal == 1:
            ended = _ended_word_list(text, stack, mk)
            if ended is not None:
                # a second list after the first, not a list inside its last item; that item ends with its
                # paragraph, before the lead-in of the new list
                last = stack[ended].items[-1]
                last.limit = max(b.start() for b in BLANK_LINE.finditer(text, last.start, mk.start))
                del stack[ended:]
            open_child_list(item, mk.family, 2)
            continue
        # numbered paragraphs go on across sub-headings: a part may open with "3."
        if not stack and mk.family not in FAMILY_GROUPS:
            open_child_list(item, mk.family, mk.ordinal + 1)
            continue
        candidates = [(_family_score(ol, mk.family), i) for i, ol in enumerate(stack) if ol.expected == mk.ordinal]
        candidates = [c for c in candidates if c[0] > 0]
        if candidates:
            _, at = max(candidates)
            del stack[at + 1:]
            _attach(stack, roots, at, item, mk.family, mk.ordinal + 1)
            continue
        # only word ordinals run in prose ("The specific practices include A. Second, B."); a "2." or "二、"
        # that no list expects is a heading or a stray number
        # ... and only under a top-level item: prose lists seldom run three deep, while a stray "Second,"
        # (a run-in part heading such as "Second, a few revelations") often follows a child item
        if mk.ordinal == 2 and len(stack) == 1 and mk.family in FAMILY_GROUPS:
            current = stack[-1].items[-1]
            first = _last_sentence_start(text, current.content_start, mk.start)
            if not current.children and first is not None and first > current.content_start:
                implicit = EnumItem(Marker(mk.family, 1, first, first), implicit=True, implicit_start=first)
                open_child_list(implicit, mk.family, 2)
                _attach(stack, roots, len(stack) - 1, item, mk.family, 3)
        # otherwise the marker is running text ("second, ..." in a sentence no list expects)
    _set_ends(roots, end)
    return roots


def _ended_word_list(text: str, stack: list[_OpenList], mk: Marker) -> Optional[int]:
    """The open list a prose "一是" / "First," closes instead of nesting in: one of the same word-ordinal
    group with two or more items whose last item began in an earlier paragraph. Work reports run lists one
    after another ("...十是 X。\n\n加强质量工作。一是 Y"), each under its own lead-in; a list inside an item
    opens in the item's own paragraph ("First, X. First, Y.")."""
    group = FAMILY_GROUPS.get(mk.family)
    if group is None:
        return None
    for i in range(len(stack) - 1, -1, -1):
        ol = stack[i]
        if any(FAMILY_GROUPS.get(f) == group for f in ol.families) and len(ol.items) >= 2:
            return i if BLANK_LINE.search(text, ol.items[-1].start, mk.start) else None
    return None


def _attach(stack: list[_OpenList], roots: list[EnumItem], at: int, item: EnumItem, family: str,
            expected: Optional[int]) -> None:
    ol = stack[at]
    parent_list = roots if at == 0 else stack[at - 1].items[-1].children
    parent_list.append(item)
    ol.items.append(item)
    if family not in ol.families:
        ol.families.append(family)
    ol.expected = expected


def _set_ends(items: list[EnumItem], end: int) -> None:
    for i, item in enumerate(items):
        item.end = items[i + 1].start if i + 1 < len(items) else end
        if item.limit is not None and not item.children:
            item.end = min(item.end, item.limit)
        _set_ends(item.children, item.end)


def walk(items: list[EnumItem], level: int = 1, parent: Optional[EnumItem] = None
         ) -> Iterator[tuple[EnumItem, int, Optional[EnumItem]]]:
    """Items in document order with their level (1 = top) and parent."""
    for item in items:
        yield item, level, parent
        yield from walk(item.children, level + 1, item)
