"""Documents as users have them: PDF, HTML, Word (DOCX), Markdown and text files in, one text to tag out.

``read_document(path, limits=Limits())`` returns a ``SourceText`` (``text``, ``name``, ``kind``,
``title``, ``page_of(char)``) or raises ``DocumentError``, one line naming the file and why;
``read_bytes(data, name)`` reads an upload the same way; ``document_files(paths)`` expands files
and folders into the files a command reads. ``kinds.py`` chooses the reader by suffix and first
bytes; one module per kind (``pdf.py``, ``html.py``, ``docx.py``, ``markdown.py``, ``plain.py``),
each ``read(data, name, limits) -> SourceText``; ``pages.py`` joins a PDF's pages (headers, page
numbers and line-end hyphens out). No torch, no Lightning: the readers' libraries come with
``pip install 'keyword-lightning[files]'`` and are imported only when a file of their kind comes.
"""

from keyword_lightning.documents.files import document_files, is_document
from keyword_lightning.documents.kinds import KINDS, SUFFIXES
from keyword_lightning.documents.read import read_bytes, read_document, require
from keyword_lightning.documents.source import DEFAULT_LIMITS, DocumentError, Limits, MissingExtra, SourceText, TooLarge

__all__ = [
    "DEFAULT_LIMITS",
    "KINDS",
    "SUFFIXES",
    "DocumentError",
    "Limits",
    "MissingExtra",
    "SourceText",
    "TooLarge",
    "document_files",
    "is_document",
    "read_bytes",
    "read_document",
    "require",
]
