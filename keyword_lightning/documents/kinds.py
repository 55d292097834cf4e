"""Which reader a file gets: by its suffix, checked against what its first bytes say it is.

A file whose content contradicts its suffix (an HTML error page saved as ``paper.pdf``, a PDF
renamed ``.docx``, a Word 97 ``.doc`` renamed ``.docx``, binary data named ``.txt``) is refused
with a line that says what the content looks like: reading it as its suffix says would fail
later with a worse message, or yield "keyphrases" of a login page. A file without a known
suffix (named explicitly, or uploaded without a name) is read as what its content is.
"""

from __future__ import annotations

import re

from keyword_lightning.documents.source import DocumentError

SUFFIXES = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}
KINDS = ("pdf", "html", "docx", "markdown", "text")
SNIFF_BYTES = 2048
MAGIC = [  # (prefix, what the content is)
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # Word 97-2003 .doc, old .xls/.ppt
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"\x1f\x8b", "gzip"),
]
LOOKS = {
    "pdf": "it starts like a PDF",
    "zip": "it is a zip archive",
    "ole": "it is an old Office file (Word 97-2003 .doc?): save it as .docx",
    "image": "it is an image",
    "gzip": "it is gzip-compressed",
    "binary": "it holds binary data",
    "html": "it holds HTML",
    "text": "it holds plain text",
    "empty": "it is empty",
}
BINARY = {"pdf", "zip", "ole", "image", "gzip", "binary"}
HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


def sniff(head: bytes) -> str:
    """What the first bytes of a file look like: one of ``LOOKS``' keys."""
    if not head:
        return "empty"
    if b"%PDF-" in head[:1024]:  # the PDF spec lets the header start anywhere in the first 1,024 bytes
        return "pdf"
    for prefix, kind in MAGIC:
        if head.startswith(prefix):
            return kind
    body = head.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in body:
        return "binary"
    if HTML_START.match(body):
        return "html"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(body) - 3:  # not merely a character cut at the end of the sniffed bytes
            return "binary" if sum(b < 9 or 13 < b < 32 for b in body) > len(body) // 20 else "text"
    return "text"


def suffix_kind(name: str) -> str | None:
    """The kind a file name's suffix claims (``SUFFIXES``), or None."""
    dot = name.rfind(".")
    return SUFFIXES.get(name[dot:].lower()) if dot > max(name.rfind("/"), name.rfind("\\")) else None


def detect(name: str, head: bytes) -> str:
    """The kind of reader for file ``name`` whose first bytes are ``head``, or ``DocumentError`` saying why none."""
    claimed, content = suffix_kind(name), sniff(head[:SNIFF_BYTES])
    if content == "empty":
        raise DocumentError(f"{name}: empty file")
    if claimed == "pdf" and content != "pdf":
        raise DocumentError(f"{name}: not a PDF ({LOOKS[content]})")
    if claimed == "docx" and content != "zip":
        raise DocumentError(f"{name}: not a Word .docx file ({LOOKS[content]})")
    if claimed in ("html", "markdown", "text") and content in BINARY:
        raise DocumentError(f"{name}: not text ({LOOKS[content]}); name it by what it is")
    if claimed is not None:
        return claimed
    found = {"pdf": "pdf", "zip": "docx", "html": "html", "text": "text"}.get(content)
    if found is None:
        raise DocumentError(f"{name}: not a kind of file this reads ({LOOKS[content]}; reads {', '.join(SUFFIXES)})")
    return found
