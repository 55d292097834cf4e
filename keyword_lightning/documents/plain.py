"""Plain text: UTF-8 (a byte-order mark dropped), read as it is."""

from __future__ import annotations

from keyword_lightning.documents.source import DocumentError, Limits, SourceText


def decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text, or ``DocumentError`` naming the first bad byte."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as err:
        raise DocumentError(f"{name}: not valid UTF-8 text (byte {err.start}); save it as UTF-8") from None


def read(data: bytes, name: str, limits: Limits) -> SourceText:
    """The file's text, unchanged."""
    return SourceText(decode(data, name), name, "text")
