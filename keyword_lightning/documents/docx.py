"""DOCX: a Word document's paragraphs and tables in order (python-docx), after checking the zip is no bomb.

A ``.docx`` is a zip archive; its members' sizes are checked against ``Limits`` before anything
is unpacked (zipfile stops at a member's declared size, so the declared sizes bound the work).
Headers, footers and comments are separate parts of the file and are not read.
"""

from __future__ import annotations

import io
import zipfile

from keyword_lightning.documents.source import EXTRA, DocumentError, Limits, MissingExtra, SourceText, TooLarge

BODY = "word/document.xml"


def check_archive(data: bytes, name: str, limits: Limits) -> None:
    """``DocumentError`` for a zip that is damaged, is no Word document, or unpacks to more than the limits."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise DocumentError(f"{name}: not a readable .docx (a damaged or truncated zip: {err})") from None
    if len(members) > limits.max_members:
        raise TooLarge(f"{name}: {len(members):,} members in the zip, over the limit of {limits.max_members:,}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked_bytes:
        raise TooLarge(
            f"{name}: unpacks to {unpacked:,} bytes, over the limit of {limits.max_unpacked_bytes:,} (a zip bomb?)"
        )
    if BODY not in {m.filename for m in members}:
        raise DocumentError(f"{name}: a zip archive but not a Word document (no {BODY})")


def read(data: bytes, name: str, limits: Limits) -> SourceText:
    """The body's paragraphs, and each table cell's, one a block; the title from the properties or a Title paragraph."""
    check_archive(data, name, limits)
    try:
        import docx
        from docx.table import Table
    except ImportError:
        raise MissingExtra(f"{name}: reading DOCX needs python-docx ({EXTRA})") from None
    document = docx.Document(io.BytesIO(data))
    blocks, title = [], None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            cells = {cell._tc: cell for row in item.rows for cell in row.cells}  # a merged cell comes once
            blocks += [p.text for cell in cells.values() for p in cell.paragraphs]
            continue
        blocks.append(item.text)
        style = item.style.name if item.style is not None else ""
        if title is None and style == "Title" and item.text.strip():
            title = " ".join(item.text.split())
    title = " ".join((document.core_properties.title or "").split()) or title
    text = "\n\n".join(b.strip() for b in blocks if b.strip())
    return SourceText(text, name, "docx", title)
