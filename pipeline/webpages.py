"""Saved web pages to markdown-style lines: the page title, chrome elements dropped (tags and class / id
fragments from ``data/ingest/chrome.json``), headings, list items and table rows marked up."""
from __future__ import annotations

import re
from typing import Optional

from .lexicons import load_json
from .reading import MAX_HTML_DEPTH, IngestError


_HTML_BLOCK_TAGS = frozenset(
    "address article blockquote body caption dd div dl dt fieldset figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "li main ol p pre section table tbody thead tfoot tr ul center".split()
)
_HTML_CELL_TAGS = frozenset({"td", "th"})


def html_to_markdown(html: str, source: str = "<html>") -> tuple[str, Optional[str]]:
    """(markdown-style text of the page's content, page title). Chrome elements are dropped first.
    A page nested deeper than ``MAX_HTML_DEPTH`` raises IngestError (naming ``source``) before parsing."""
    from selectolax.lexbor import LexborHTMLParser

    depth = html_nesting_depth(html)
    if depth > MAX_HTML_DEPTH:
        # the parser's work per tag grows with the depth and cannot be interrupted: "<div>" * 300,000 ran
        # over 30 minutes, deaf to the batch's time limit
        raise IngestError(source, f"HTML nested {depth:,} levels deep (limit {MAX_HTML_DEPTH})")
    tree = LexborHTMLParser(html)
    title = None
    h1 = tree.css_first("h1")
    if h1 is not None and h1.text(strip=True):
        title = " ".join(h1.text().split())
    else:
        title_node = tree.css_first("title")
        if title_node is not None and title_node.text(strip=True):
            title = _strip_site_name(" ".join(title_node.text().split()))

    chrome = load_json("chrome.json")
    for tag in chrome["html_drop_tags"]:
        for node in tree.css(tag):
            node.decompose()
    fragments = tuple(chrome["html_drop_class_id_fragments"])
    for node in tree.css("[class], [id]"):
        if node.tag in ("html", "body", "main", "article"):
            continue
        marker = ((node.attributes.get("class") or "") + " " + (node.attributes.get("id") or "")).lower()
        if any(fragment in marker for fragment in fragments):
            node.decompose()

    root = tree.body or tree.root
    lines: list[str] = []
    buffer: list[str] = []
    prefix = [""]

    def flush() -> None:
        text = " ".join("".join(buffer).split())
        if text:
            lines.append(prefix[0] + text)
        buffer.clear()
        prefix[0] = ""

    if root is None:
        return "", title
    # Iterative walk (deeply nested broken pages would overflow recursion): ("enter", node) / ("exit", node)
    stack: list[tuple[str, object]] = [("enter", child) for child in reversed(list(root.iter(include_text=True)))]
    while stack:
        action, node = stack.pop()
        tag = node.tag
        if action == "exit":
            if tag in _HTML_BLOCK_TAGS:
                flush()
                if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol"):
                    lines.append("")
            elif tag in _HTML_CELL_TAGS:
                buffer.append(" | ")
            continue
        if tag == "-text":
            buffer.append(node.text(deep=False) or "")
            continue
        if tag in ("br",):
            flush()
            continue
        if tag in ("script", "style", "noscript", "template", "-comment"):
            continue
        if tag in _HTML_BLOCK_TAGS:
            flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                prefix[0] = "#" * int(tag[1]) + " "
            elif tag == "li":
                prefix[0] = "- "
        stack.append(("exit", node))
        stack.extend(("enter", child) for child in reversed(list(node.iter(include_text=True))))
    flush()
    cleaned = [line.rstrip(" |") if "|" in line else line for line in lines]
    return "\n".join(cleaned), title


def _strip_site_name(title: str) -> str:
    for separator in (" | ", " - ", " – ", " — ", " _ ", "_"):
        if separator in title:
            return max(title.split(separator), key=len).strip()
    return title


# -- How deep a page nests, read from its tags alone (about 10 MB/s), the way a browser's parser would
# nest them: end tags close up to their element, and the end tags HTML lets authors leave out are implied.
_VOID_TAGS = frozenset(
    "area base basefont bgsound br col embed frame hr image img input isindex keygen link meta param source "
    "track wbr".split())
# tag -> rules: (open elements its start tag closes, the last of them with all inside it; the elements that
# shelter those from it)
_TABLE_SECTIONS = {"thead", "tbody", "tfoot"}
_IMPLIED_ENDS: dict[str, list[tuple[set, set]]] = {
    "li": [({"li"}, {"ul", "ol", "menu"})],
    "dt": [({"dt", "dd"}, {"dl"})],
    "dd": [({"dt", "dd"}, {"dl"})],
    "option": [({"option"}, {"select", "datalist", "optgroup"})],
    "optgroup": [({"optgroup", "option"}, {"select"})],
    "tr": [({"tr"}, {"table", "thead", "tbody", "tfoot"})],
    "td": [({"td", "th"}, {"tr", "table"})],
    "th": [({"td", "th"}, {"tr", "table"})],
    "thead": [(_TABLE_SECTIONS, {"table"})],
    "tbody": [(_TABLE_SECTIONS, {"table"})],
    "tfoot": [(_TABLE_SECTIONS, {"table"})],
}
# a block's start tag closes an open paragraph unless a button, table cell or the like stands between them
_P_SCOPE = {"applet", "button", "caption", "html", "marquee", "object", "table", "td", "template", "th"}
for _tag in ("address article aside blockquote center details dialog dir div dl fieldset figcaption figure "
             "footer form h1 h2 h3 h4 h5 h6 header hgroup hr li dd dt listing main menu nav ol p plaintext "
             "pre search section summary table ul xmp").split():
    _IMPLIED_ENDS[_tag] = _IMPLIED_ENDS.get(_tag, []) + [({"p"}, _P_SCOPE)]
# comments and raw-text elements hold no tags; then a start or end tag: (slash, name, self-closing slash)
_HTML_TAG = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|textarea|title|xmp|noscript|iframe|noembed|noframes)\b[^>]*>.*?(?:</\1\s*>|\Z)"
    r"|<(/?)([a-zA-Z][^\s/>]*)[^>]*?(/?)>", re.S | re.I)


def html_nesting_depth(html: str) -> int:
    """The most elements open inside one another anywhere in ``html`` (void elements open none)."""
    stack: list[str] = []
    where: dict[str, list[int]] = {}  # tag -> positions in ``stack`` where it is open

    def last(names) -> int:
        return max((where[name][-1] for name in names if where.get(name)), default=-1)

    def close_from(index: int) -> None:
        while len(stack) > index:
            where[stack.pop()].pop()

    deepest = 0
    for m in _HTML_TAG.finditer(html):
        name = m.group(3)
        if name is None:
            continue
        name = name.lower()
        if name in _VOID_TAGS:
            continue
        if m.group(2):  # an end tag closes its element and everything opened inside it; a stray one nothing
            if where.get(name):
                close_from(where[name][-1])
            continue
        for closes, shelters in _IMPLIED_ENDS.get(name, ()):
            open_at = last(closes)
            if open_at > last(shelters):
                close_from(open_at)
        if m.group(4) and (where.get("svg") or where.get("math")):
            continue  # "/>" closes only inside SVG and MathML: an HTML parser reads <div/> as <div>
        where.setdefault(name, []).append(len(stack))
        stack.append(name)
        deepest = max(deepest, len(stack))
    return deepest
