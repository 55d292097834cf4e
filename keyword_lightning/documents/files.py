"""``document_files(paths)``: the files that a list of files and folders names, as a command reads them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from keyword_lightning.documents.kinds import SUFFIXES
from keyword_lightning.documents.source import DocumentError


def is_document(path: str | Path) -> bool:
    """Whether a folder's file is read as a document: its suffix is one of ``kinds.SUFFIXES``."""
    return Path(path).suffix.lower() in SUFFIXES


def hidden(path: Path, root: Path) -> bool:
    """A name under ``root`` that starts with ``_`` or ``.`` (metadata, a half-written file): never input."""
    return any(part.startswith(("_", ".")) for part in path.relative_to(root).parts)


def document_files(paths: Iterable[str | Path]) -> list[Path]:
    """Each file named, whatever its suffix, and each folder's document files (recursively, sorted), once each.

    In a folder only files with a known suffix (``.pdf``, ``.html``, ``.htm``, ``.xhtml``,
    ``.docx``, ``.md``, ``.markdown``, ``.txt``) count, and names starting with ``_`` or ``.``
    are skipped. A path that does not exist, or a folder without a document, is a
    ``DocumentError`` (a command line's typo, found before any work).
    """
    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            try:
                inside = sorted(p for p in path.rglob("*") if p.is_file() and is_document(p) and not hidden(p, path))
            except OSError as err:
                raise DocumentError(f"{path}: cannot list the folder ({err.strerror or err})") from None
            if not inside:
                raise DocumentError(f"{path}: no {', '.join(SUFFIXES)} files in the folder")
            found.update(dict.fromkeys(inside))
        elif path.exists():
            found[path] = None
        else:
            raise DocumentError(f"{path}: no such file or folder")
    return list(found)
