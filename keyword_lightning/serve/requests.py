"""What ``keyword-lightning serve`` accepts at ``POST /predict``: pure checks, no server, no model.

A request body is UTF-8 JSON, ``{"text": "..."}`` or ``{"texts": ["...", ...]}`` (nothing else in
the object), or ``{"document": {"text", "name", "kind", "title", "page_starts"}}``: a document
already read, which is what a file upload becomes (``uploads.py``) before it reaches the model
worker. ``parse_body`` returns the texts in request order or raises ``RequestError`` with an
HTTP status and a one-line message for the client: 400 (not UTF-8, not JSON), 422 (JSON of the
wrong shape), 413 (over a limit). Texts longer than the model's ``max_length`` are not refused:
the extractor tags them chunk by chunk, as ``predict`` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from keyword_lightning.documents import DEFAULT_LIMITS as FILE_LIMITS
from keyword_lightning.documents import KINDS, SourceText

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-request limits (``keyword-lightning serve --max_body_mb --max_texts --max_chars``).

    ``max_chars`` bounds the model's work for one request, which grows with its characters
    (measured: benchmarks/results/NOTES.md#serve-requests), so that no single request holds the
    other clients up for long.
    """

    max_body_bytes: int = 4 * MB
    max_texts: int = 256
    max_chars: int = 1_000_000
    max_file_bytes: int = FILE_LIMITS.max_bytes  # an uploaded file (multipart/form-data): its own limit
    max_pages: int = FILE_LIMITS.max_pages


class DocumentTexts(list):
    """A document's text as a one-item list of texts, with its ``source`` (``documents.SourceText``).

    What ``texts_of`` returns for ``{"document": ...}``, and, holding the records, what the
    API's ``predict`` returns for it: the response then names the document.
    """

    def __init__(self, items: list, source: SourceText) -> None:
        super().__init__(items)
        self.source = source


def document_json(source: SourceText) -> dict[str, Any]:
    """The ``{"document": ...}`` body of a document read from an upload."""
    fields = {"text": source.text, "name": source.name, "kind": source.kind, "title": source.title}
    return {"document": {**fields, "page_starts": None if source.page_starts is None else list(source.page_starts)}}


def document_of(value: Any) -> SourceText:
    """The ``SourceText`` of a ``"document"`` field; 422 for one of the wrong shape."""
    if not isinstance(value, dict) or set(value) != {"text", "name", "kind", "title", "page_starts"}:
        raise RequestError(422, "'document' must be an object with text, name, kind, title and page_starts")
    text, name, kind, title, starts = (value[k] for k in ("text", "name", "kind", "title", "page_starts"))
    if not (isinstance(text, str) and isinstance(name, str) and kind in KINDS and isinstance(title, (str, type(None)))):
        raise RequestError(422, "'document': text and name must be strings, kind one of " + ", ".join(KINDS))
    ascending = isinstance(starts, list) and all(type(s) is int for s in starts) and starts == sorted(starts)
    if starts is not None and not (ascending and all(0 <= s <= len(text) for s in starts)):
        raise RequestError(422, "'document': page_starts must be ascending character offsets into text")
    return SourceText(text, name, kind, title, None if starts is None else tuple(starts))


class RequestError(ValueError):
    """A request the server refuses: ``status`` (4xx) and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def check_size(size: int, limits: Limits) -> None:
    """413 for a body (or a declared ``Content-Length``) over ``limits.max_body_bytes``."""
    if size > limits.max_body_bytes:
        raise RequestError(413, f"request body over {limits.max_body_bytes} bytes (--max_body_mb)")


DEFAULT_LIMITS = Limits()


def decode_json(body: bytes) -> Any:
    """The JSON value of a UTF-8 body; 400 with the reason otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RequestError(400, f"request body is not valid UTF-8 (byte {err.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text)
    except RecursionError:
        raise RequestError(400, "request body is not JSON: nested too deeply") from None
    except ValueError as err:
        raise RequestError(400, f'request body is not JSON ({err}); send {{"text": "..."}}') from None


def texts_of(value: Any, limits: Limits) -> list[str]:
    """The texts of a decoded request: ``{"text": str}`` or ``{"texts": [str, ...]}``; 422 or 413 otherwise."""
    if not isinstance(value, dict):
        raise RequestError(422, f'expected a JSON object {{"text": "..."}} or {{"texts": [...]}}, got {_kind(value)}')
    unknown = sorted(set(value) - {"text", "texts", "document"})
    if unknown:
        raise RequestError(422, f"unknown field {unknown[0]!r}: expected 'text' or 'texts'")
    if len(value) != 1:
        raise RequestError(422, "expected exactly one of 'text' or 'texts'")
    if "document" in value:
        source = document_of(value["document"])
        texts = DocumentTexts([source.text], source)
    elif "text" in value:
        if not isinstance(value["text"], str):
            raise RequestError(422, f"'text' must be a string, got {_kind(value['text'])}")
        texts = [value["text"]]
    else:
        texts = value["texts"]
        if not isinstance(texts, list):
            raise RequestError(422, f"'texts' must be a list of strings, got {_kind(texts)}")
        if not texts:
            raise RequestError(422, "'texts' is an empty list")
        if len(texts) > limits.max_texts:
            raise RequestError(413, f"{len(texts)} texts in one request, over {limits.max_texts} (--max_texts)")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise RequestError(422, f"texts[{i}] must be a string, got {_kind(text)}")
    total = 0
    for i, text in enumerate(texts):
        total += len(text)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:  # "\ud800" in JSON: a lone surrogate, not a character
            raise RequestError(422, f"texts[{i}] holds an unpaired surrogate at character {err.start}") from None
    if total > limits.max_chars:
        raise RequestError(413, f"{total} characters in one request, over {limits.max_chars} (--max_chars)")
    return texts


def parse_body(body: bytes, limits: Limits) -> list[str]:
    """The texts of a raw ``POST /predict`` body, in request order (``RequestError`` if refused)."""
    check_size(len(body), limits)
    return texts_of(decode_json(body), limits)


def error_body(message: str) -> bytes:
    """The JSON body of a refused request: ``{"error": message}``."""
    return json.dumps({"error": message}).encode()


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
