"""Markdown: the text without its markup (markdown-it-py's CommonMark parser); code and raw HTML left out.

Headings, paragraphs, list items, table cells and block quotes each become a block of the text;
links and images keep their text, emphasis and inline code their words. Code blocks and HTML
blocks are not prose and are left out. The title is a YAML front matter's ``title:`` or else the
first level-1 heading.
"""

from __future__ import annotations

import re

from keyword_lightning.documents.plain import decode
from keyword_lightning.documents.source import EXTRA, Limits, MissingExtra, SourceText

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
TITLE = re.compile(r"^title:\s*(['\"]?)(.+?)\1\s*$", re.M)


def inline_text(token) -> str:
    """The words of an inline token: text, inline code and images' alt text; line breaks as spaces."""
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(inline_text(child))
    return "".join(out)


def read(data: bytes, name: str, limits: Limits) -> SourceText:
    """The document's text blocks, in order, a blank line apart."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        raise MissingExtra(f"{name}: reading Markdown needs markdown-it-py ({EXTRA})") from None
    source = decode(data, name)
    title = None
    front = FRONT_MATTER.match(source)
    if front:
        found = TITLE.search(front.group(1))
        title = " ".join(found.group(2).split()) if found else None
        source = source[front.end() :]
    blocks, heading = [], None
    for token in MarkdownIt("commonmark").enable("table").parse(source):
        if token.type == "heading_open":
            heading = token.tag
        elif token.type == "inline":
            text = " ".join(inline_text(token).split())
            if text:
                blocks.append(text)
                if title is None and heading == "h1":
                    title = text
            heading = None
    return SourceText("\n\n".join(blocks), name, "markdown", title)
