"""PDF: pdfminer.six's lines and boxes, ``reading_order`` (columns), ``pages.join_pages`` (headers, hyphens, pages).

pdfminer.six was chosen over pypdf by measurement (benchmarks/results/pdf-readers.md): its layout
analysis puts the text of a two-column page in reading order whatever order the file draws it
in, where pypdf reads the drawing order (line 1 of column 1, line 1 of column 2, ...); pypdf is
several times faster, but a document read in the wrong order has no right keyphrases.
"""

from __future__ import annotations

import io
import logging

from keyword_lightning.documents.pages import join_pages
from keyword_lightning.documents.reading_order import Box, reading_order
from keyword_lightning.documents.source import EXTRA, DocumentError, Limits, MissingExtra, SourceText, TooLarge

TAIL = 1024  # %%EOF must end a whole PDF; a file cut short lacks it


def read(data: bytes, name: str, limits: Limits) -> SourceText:
    """The text of a PDF's pages in reading order, with the page of each character."""
    try:
        from pdfminer.converter import PDFPageAggregator
        from pdfminer.layout import LAParams, LTTextBox, LTTextLine
        from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
        from pdfminer.pdfpage import PDFPage
        from pdfminer.pdfparser import PDFParser
    except ImportError:
        raise MissingExtra(f"{name}: reading PDF needs pdfminer.six ({EXTRA})") from None
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its notes on odd but readable files are not ours
    if b"%%EOF" not in data[-TAIL:]:
        raise DocumentError(f"{name}: truncated PDF (it does not end with %%EOF)")
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
    except PDFPasswordIncorrect:
        raise DocumentError(f"{name}: encrypted PDF (it needs a password to open)") from None
    count = page_count(document)
    if count is not None and count > limits.max_pages:
        raise TooLarge(f"{name}: {count:,} pages, over the limit of {limits.max_pages:,} pages")
    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=LAParams(boxes_flow=None))  # ordered by reading_order
    interpreter = PDFPageInterpreter(manager, device)
    pages = []
    for number, page in enumerate(PDFPage.create_pages(document), 1):
        if number > limits.max_pages:
            raise TooLarge(f"{name}: over the limit of {limits.max_pages:,} pages")
        interpreter.process_page(page)
        boxes = [Box(b.x0, b.y0, b.x1, b.y1, [line.get_text() for line in b if isinstance(line, LTTextLine)])
                 for b in device.get_result() if isinstance(b, LTTextBox)]  # fmt: skip
        pages.append([box.lines for box in reading_order(boxes)])
    if not pages:
        raise DocumentError(f"{name}: a PDF without pages")
    text, starts = join_pages(pages)
    if not any(ch.isalnum() for ch in text):
        raise DocumentError(
            f"{name}: no text layer ({len(pages)} page{'s' * (len(pages) != 1)} without text: "
            "a scan? run OCR on it first, e.g. ocrmypdf)"
        )
    return SourceText(text, name, "pdf", title_of(document), starts)


def page_count(document) -> int | None:
    """The page count the document's page tree declares (None: none declared)."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(document.catalog["Pages"]).get("Count"))
    except (KeyError, AttributeError, TypeError):
        return None
    return count if isinstance(count, int) else None


def title_of(document) -> str | None:
    """The ``/Title`` of the document's information dictionary, if it has a non-blank one."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    for info in document.info:
        title = resolve1(info.get("Title"))
        if isinstance(title, bytes):
            title = decode_text(title)
        if isinstance(title, str) and title.strip():
            return " ".join(title.split())
    return None
