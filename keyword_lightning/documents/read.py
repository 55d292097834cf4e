"""``read_document(path)`` / ``read_bytes(data, name)``: any file this package reads, as a ``SourceText``.

The kind comes from the suffix and the first bytes (``kinds.py``); each kind has a reader module
with one function, ``read(data, name, limits) -> SourceText``, imported only when a file of its
kind comes (so a folder of ``.txt`` needs none of the optional libraries). Whatever goes wrong
in a reader, a library's own exception included, comes out as one ``DocumentError`` line that
names the file and says why; a file with no letters or digits in its text is refused too (an
image-only PDF, a page of scripts).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from pathlib import Path

from keyword_lightning.documents.kinds import detect
from keyword_lightning.documents.source import (
    DEFAULT_LIMITS,
    EXTRA,
    MB,
    DocumentError,
    Limits,
    MissingExtra,
    SourceText,
    TooLarge,
)

READERS = {
    "pdf": "keyword_lightning.documents.pdf",
    "html": "keyword_lightning.documents.html",
    "docx": "keyword_lightning.documents.docx",
    "markdown": "keyword_lightning.documents.markdown",
    "text": "keyword_lightning.documents.plain",
}
LIBRARIES = {"pdf": ("pdfminer", "pdfminer.six"), "html": ("trafilatura", "trafilatura"),
             "docx": ("docx", "python-docx"), "markdown": ("markdown_it", "markdown-it-py")}  # fmt: skip
NAMES = {"pdf": "PDF", "html": "HTML page", "docx": "Word document", "markdown": "Markdown file", "text": "text file"}


def require(kinds: Iterable[str]) -> None:
    """``MissingExtra`` naming the extra when a library that files of ``kinds`` need is not installed.

    For a command to fail at once on a folder of PDFs, rather than list every file as an error.
    """
    for kind in sorted(set(kinds)):
        module, package = LIBRARIES.get(kind, (None, None))
        if module is not None and importlib.util.find_spec(module) is None:
            raise MissingExtra(f"reading {NAMES[kind]}s needs {package}: {EXTRA}")


def one_line(message: object, most: int = 200) -> str:
    """``message`` on one line, at most ``most`` characters."""
    text = " ".join(str(message).split())
    return text if len(text) <= most else text[: most - 3] + "..."


def too_big(name: str, size: int, limits: Limits) -> TooLarge:
    """The error of a file over ``limits.max_bytes``."""
    return TooLarge(f"{name}: {size:,} bytes, over the limit of {limits.max_bytes / MB:g} MB")


def read_bytes(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> SourceText:
    """The document in ``data`` (a file's whole content; ``name`` says what it is called), or ``DocumentError``."""
    if len(data) > limits.max_bytes:
        raise too_big(name, len(data), limits)
    kind = detect(name, data)
    reader = importlib.import_module(READERS[kind])
    try:
        source = reader.read(data, name, limits)
    except DocumentError:
        raise
    except RecursionError:
        raise DocumentError(f"{name}: cannot read the {NAMES[kind]} (nested too deeply)") from None
    except Exception as err:  # noqa: BLE001 - a library's errors are many kinds: one line naming the file
        detail = one_line(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__)
        raise DocumentError(f"{name}: cannot read the {NAMES[kind]} ({detail})") from None
    if not any(ch.isalnum() for ch in source.text):
        raise DocumentError(f"{name}: no text in the {NAMES[kind]}")
    return source


def read_document(path: str | Path, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> SourceText:
    """The document in file ``path`` (``name``: how to call it in records and errors; default the path as given).

    The size is checked before a byte is read: a file over ``limits.max_bytes`` costs nothing.
    """
    path = Path(path)
    name = name or str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DocumentError(f"{name}: a folder, not a file")
        if size > limits.max_bytes:
            raise too_big(name, size, limits)
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"{name}: no such file") from None
    except OSError as err:
        raise DocumentError(f"{name}: cannot read the file ({err.strerror or type(err).__name__})") from None
    return read_bytes(data, name, limits)
