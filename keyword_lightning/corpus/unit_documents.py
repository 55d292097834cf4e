"""A unit's documents, one at a time: ``(id, text)``, or ``(id, reason)`` for one that cannot be tagged.

A bad document never stops the unit: an empty text, bytes that are not UTF-8, a text over
``max_chars``, a record without ``text`` (or a JSONL line that is not a JSON object) each come out
with a reason, for ``errors.jsonl``. Ids: the record's ``id``; without one, ``FILE@BYTE`` for a
JSONL line (the byte offset of the line in its file), ``FILE#ROW`` for a Parquet row; a ``.txt``
or document file's path relative to the input folder. A document file (PDF, HTML, DOCX, Markdown)
is read by ``documents.read_document`` within ``Limits`` (bytes, pages); one it cannot read (an
encrypted or scanned PDF, a truncated file, a zip bomb, a wrong suffix) comes out with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from keyword_lightning.corpus.sources import Unit
from keyword_lightning.documents import DEFAULT_LIMITS, DocumentError, Limits, SourceText, read_document

BOM = b"\xef\xbb\xbf"
PARQUET_BATCH = 1024  # rows read at a time from a Parquet file


class CorpusDocument(NamedTuple):
    """A document to tag (``reason`` None) or to report (``text`` None); ``done``: the unit's bytes read so far.

    ``source``: for a document file, what ``documents`` read (its kind, title and pages).
    """

    id: str
    text: str | None
    reason: str | None
    done: int
    source: SourceText | None = None


def check_text(doc_id: str, text: object, max_chars: int, done: int) -> CorpusDocument:
    """``text`` as a document to tag, or the reason it cannot be."""
    if text is None:
        return CorpusDocument(doc_id, None, "no 'text' field", done)
    if not isinstance(text, str):
        return CorpusDocument(doc_id, None, f"'text' is not a string ({type(text).__name__})", done)
    if len(text) > max_chars:
        return CorpusDocument(doc_id, None, f"{len(text):,} characters, over --max-chars {max_chars:,}", done)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # JSON's "\ud800": a lone surrogate is no UTF-8 text
        return CorpusDocument(
            doc_id, None, f"text is not valid UTF-8 (a lone surrogate at character {err.start})", done
        )
    if not text.strip():
        return CorpusDocument(doc_id, None, "empty text", done)
    return CorpusDocument(doc_id, text, None, done)


def json_line(line: bytes, fallback_id: str, max_chars: int, done: int) -> CorpusDocument:
    """One JSONL line (``{"id", "text"}``) as a ``CorpusDocument``."""
    bad_byte = None
    try:
        raw = line.decode("utf-8")
    except UnicodeDecodeError as err:  # read on, to name the document by its id
        raw, bad_byte = line.decode("utf-8", errors="replace"), err.start
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as err:
        return CorpusDocument(fallback_id, None, f"not valid JSON ({err.msg})", done)
    if not isinstance(obj, dict):
        return CorpusDocument(fallback_id, None, f"not a JSON object ({type(obj).__name__})", done)
    doc_id = obj.get("id", fallback_id)
    if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
        return CorpusDocument(fallback_id, None, "field 'id' is not a string or an integer", done)
    if bad_byte is not None:
        return CorpusDocument(str(doc_id), None, f"not valid UTF-8 (byte {bad_byte} of its line)", done)
    return check_text(str(doc_id), obj.get("text"), max_chars, done)


def jsonl_docs(unit: Unit, max_chars: int, limits: Limits = DEFAULT_LIMITS) -> Iterator[CorpusDocument]:
    """The lines that start in ``[unit.start, unit.end)`` of a JSONL file; blank lines are skipped."""
    with open(unit.path, "rb") as fh:
        pos = unit.start
        if pos > 0:  # a line that starts before the unit is the previous unit's
            fh.seek(pos - 1)
            if fh.read(1) != b"\n":
                fh.readline()
            pos = fh.tell()
        while pos < unit.end:
            line = fh.readline()
            if not line:
                break
            at, pos = pos, pos + len(line)
            if at == 0 and line.startswith(BOM):
                line = line[len(BOM) :]
            if line.strip():
                yield json_line(line, f"{unit.label}@{at}", max_chars, min(pos, unit.end) - unit.start)


def file_doc(path: Path, rel: str, max_chars: int, limits: Limits, done: int) -> CorpusDocument:
    """A document file (not ``.txt``) as a ``CorpusDocument``: its text and source, or why it cannot be read."""
    try:
        source = read_document(path, limits, name=rel)
    except DocumentError as err:
        return CorpusDocument(rel, None, str(err).removeprefix(f"{rel}: "), done)
    return check_text(rel, source.text, max_chars, done)._replace(source=source)


def text_docs(unit: Unit, max_chars: int, limits: Limits = DEFAULT_LIMITS) -> Iterator[CorpusDocument]:
    """Each file of the unit as one document, id = its path relative to the input folder."""
    done = 0
    for rel in unit.files:
        path = Path(unit.path) / rel
        if path.suffix.lower() != ".txt":
            done += path.stat().st_size if path.exists() else 0
            yield file_doc(path, rel, max_chars, limits, done)
            continue
        try:
            size = path.stat().st_size
            if size > 4 * max_chars + len(BOM):  # over the limit whatever it holds (a character is 1-4 bytes)
                done += size
                yield CorpusDocument(rel, None, f"{size:,} bytes, over --max-chars {max_chars:,}", done)
                continue
            data = path.read_bytes()
        except OSError as err:
            yield CorpusDocument(rel, None, f"cannot read the file ({err.strerror or type(err).__name__})", done)
            continue
        done += size
        try:
            text = data.removeprefix(BOM).decode("utf-8")
        except UnicodeDecodeError as err:
            yield CorpusDocument(rel, None, f"not valid UTF-8 (byte {err.start})", done)
            continue
        yield check_text(rel, text, max_chars, done)


def parquet_docs(unit: Unit, max_chars: int, limits: Limits = DEFAULT_LIMITS) -> Iterator[CorpusDocument]:
    """The rows of row groups ``[unit.start, unit.end)`` of a Parquet file (columns ``id``, ``text``)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(unit.path)
    names, meta, groups = set(pf.schema_arrow.names), pf.metadata, list(range(unit.start, unit.end))
    row = first = sum(meta.row_group(i).num_rows for i in range(unit.start))
    rows = max(1, sum(meta.row_group(i).num_rows for i in groups))
    columns = [c for c in ("id", "text") if c in names]
    for batch in pf.iter_batches(PARQUET_BATCH, row_groups=groups, columns=columns):
        ids = batch.column("id").to_pylist() if "id" in names else [None] * batch.num_rows
        texts = batch.column("text").to_pylist() if "text" in names else [None] * batch.num_rows
        for doc_id, text in zip(ids, texts):
            done = (row - first + 1) * unit.size // rows
            doc_id, row = f"{unit.label}#{row}" if doc_id is None else str(doc_id), row + 1
            if isinstance(text, bytes):  # a binary column: UTF-8 is not promised
                try:
                    text = text.decode("utf-8")
                except UnicodeDecodeError as err:
                    yield CorpusDocument(doc_id, None, f"not valid UTF-8 (byte {err.start})", done)
                    continue
            yield check_text(doc_id, text, max_chars, done)


READERS = {"jsonl": jsonl_docs, "txt": text_docs, "parquet": parquet_docs}


def documents(unit: Unit, max_chars: int, limits: Limits = DEFAULT_LIMITS) -> Iterator[CorpusDocument]:
    """The documents of ``unit``, in file order (``limits``: how much of a document file is read)."""
    return READERS[unit.kind](unit, max_chars, limits)
