"""A file uploaded to ``POST /predict`` (``multipart/form-data``, field ``file``) read into a document.

The HTTP process reads the file (``documents.read_bytes``: PDF, HTML, DOCX, Markdown, text) in a
thread, so that the model worker only ever sees text: the upload becomes the JSON body
``{"document": ...}`` (``requests.document_json``), and a file that cannot be read is refused
here with a 4xx and one line naming the file and why: 413 over a limit (``--max_file_mb``,
``--max_pages``, a zip bomb), 415 for a kind of file this server has no reader installed for,
422 for anything else (an encrypted or scanned PDF, a truncated file, a wrong suffix), 400 for
a form that holds no file.
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from keyword_lightning.documents import DocumentError, Limits, MissingExtra, TooLarge, read_bytes
from keyword_lightning.documents.source import EXTRA
from keyword_lightning.serve.requests import Limits as RequestLimits
from keyword_lightning.serve.requests import RequestError, document_json

FIELD = "file"
FORM_OVERHEAD = 64 * 1024  # a form's boundaries and headers around the file


def is_upload(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a request's ``Content-Type`` is ``multipart/form-data``."""
    content_type = dict(headers).get(b"content-type", b"")
    return content_type.split(b";")[0].strip().lower() == b"multipart/form-data"


def upload_limit(limits: RequestLimits) -> int:
    """The most bytes an upload's body may have: the file's limit and the form around it."""
    return limits.max_file_bytes + FORM_OVERHEAD


def file_name(name: str | None) -> str:
    """An upload's file name without any folders a browser or client sent (``upload`` if none)."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip()
    return base or "upload"


async def read_form(headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[bytes, str]:
    """The bytes and file name of the form's ``file`` field; ``RequestError`` 400 for a bad or empty form."""
    import importlib.util

    from starlette.datastructures import Headers, UploadFile
    from starlette.formparsers import MultiPartException, MultiPartParser

    if importlib.util.find_spec("python_multipart") is None and importlib.util.find_spec("multipart") is None:
        raise RequestError(415, f"this server cannot read file uploads (python-multipart: {EXTRA})")

    async def stream():
        yield body

    parser = MultiPartParser(Headers(raw=headers), stream(), max_files=1, max_fields=10)
    try:
        form = await parser.parse()
    except MultiPartException as err:
        raise RequestError(400, f"not a readable multipart/form-data body ({err.message})") from None
    upload = form.get(FIELD)
    if not isinstance(upload, UploadFile):
        raise RequestError(400, f"a multipart/form-data request needs the file in a field named '{FIELD}'")
    try:
        return await upload.read(), file_name(upload.filename)
    finally:
        await upload.close()


async def upload_body(headers: list[tuple[bytes, bytes]], body: bytes, limits: RequestLimits) -> dict:
    """The ``{"document": ...}`` body of an upload, or ``RequestError`` with its status and one line."""
    from starlette.concurrency import run_in_threadpool

    data, name = await read_form(headers, body)
    file_limits = Limits(max_bytes=limits.max_file_bytes, max_pages=limits.max_pages)
    try:
        source = await run_in_threadpool(read_bytes, data, name, file_limits)
    except TooLarge as err:
        raise RequestError(413, str(err)) from None
    except MissingExtra as err:
        raise RequestError(415, f"{name}: this server cannot read such files ({err})") from None
    except DocumentError as err:
        raise RequestError(422, str(err)) from None
    return document_json(source)
