"""Saved web pages to markdown-style lines: the page title, chrome elements dropped (tags and class / id
fragments from ``data/ingest/chrome.json``), headings, list items and table rows marked up."""
from __future__ import annotations

from typing import Optional

from .lexicons import load_json


_HTML_BLOCK_TAGS = frozenset(
    "address article blockquote body caption dd div dl dt fieldset figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "li main ol p pre section table tbody thead tfoot tr ul center".split()
)
_HTML_CELL_TAGS = frozenset({"td", "th"})


def html_to_markdown(html: str) -> tuple[str, Optional[str]]:
    """(markdown-style text of the page's content, page title). Chrome elements are dropped first."""
    from selectolax.lexbor import LexborHTMLParser

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
