"""What every reader of ``documents/`` returns and raises: ``SourceText``, ``DocumentError``, ``Limits``.

A reader turns a file's bytes into one text to tag and a map from that text's character offsets
back to the source: for a paged source (PDF) the character offset where each page starts, so
that a keyphrase found at character ``c`` is on page ``page_of(c)``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

MB = 2**20
EXTRA = "pip install 'keyword-lightning[files]'"


class DocumentError(ValueError):
    """A file that cannot be read as a document: one line that names the file and says why."""


class MissingExtra(DocumentError):
    """A reader's library is not installed (``EXTRA`` installs them all)."""


class TooLarge(DocumentError):
    """A file over one of the ``Limits`` (bytes on disk, pages, bytes unpacked)."""


@dataclass(frozen=True)
class Limits:
    """How much of a file is read, so that one hostile or huge file cannot hold a batch up.

    Defaults (the docs state them: docs/usage.md#documents-pdf-html-word-markdown):
    ``max_bytes`` 50 MB on disk; ``max_pages`` 1,000 pages of a PDF; ``max_unpacked_bytes``
    200 MB inside a DOCX (a zip: its members' declared sizes, checked before anything is
    unpacked, so a zip bomb is refused unread); ``max_members`` 10,000 members of a DOCX.
    """

    max_bytes: int = 50 * MB
    max_pages: int = 1000
    max_unpacked_bytes: int = 200 * MB
    max_members: int = 10_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class SourceText:
    """A document's text, and where it came from.

    Attributes:
        text: what the tagger reads (a PDF's running headers, page numbers and line-end hyphens
            removed; an HTML page's main text; a DOCX's paragraphs; Markdown without its markup).
        name: how records and errors name the file (its path as given, or an upload's file name).
        kind: ``pdf``, ``html``, ``docx``, ``markdown`` or ``text``.
        title: the document's title where the source has one (PDF metadata, HTML, DOCX, a
            Markdown heading or front matter); None otherwise.
        page_starts: for a paged source, the offset in ``text`` of each page's first character
            (page 1 first; an empty page starts where the next one does); None otherwise.

    """

    text: str
    name: str
    kind: str
    title: str | None = None
    page_starts: tuple[int, ...] | None = None

    @property
    def pages(self) -> int | None:
        """How many pages the source has (None: not a paged source)."""
        return None if self.page_starts is None else len(self.page_starts)

    def page_of(self, start_char: int) -> int | None:
        """The page (1-based) that character ``start_char`` of ``text`` is on; None for a source without pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, start_char))

    def to_dict(self, with_text: bool = False) -> dict:
        """``{"name", "kind", "title", "pages"}`` (and ``text``): how a record or a response describes the source."""
        out = {"name": self.name, "kind": self.kind, "title": self.title, "pages": self.pages}
        return {**out, "text": self.text} if with_text else out
