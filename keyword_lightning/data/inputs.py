"""Raw text to tag: ``PredictDocument`` and the readers of ``--data.predict_file``."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from keyword_lightning.data.formats import DataError
from keyword_lightning.data.readers import read_jsonl_records
from keyword_lightning.documents import DocumentError, is_document, read_document
from keyword_lightning.text.tokenizers import get_tokenizer

STDIN = "-"  # ``predict_file`` value that reads standard input


@dataclass
class PredictDocument:
    """A document to tag. ``spans`` are the tokens' ``(start, end)`` char offsets in ``text``."""

    id: str
    tokens: list[str]
    text: str | None = None
    spans: list[tuple[int, int]] | None = None


def documents_from_texts(
    texts: list[str], ids: list[str] | None = None, tokenizer: str = "ptb"
) -> list[PredictDocument]:
    """Tokenize raw texts with ``text.get_tokenizer(tokenizer)`` into ``PredictDocument``s with char offsets."""
    split = get_tokenizer(tokenizer)
    docs = []
    for i, text in enumerate(texts):
        triples = split(text)
        doc_id = ids[i] if ids is not None else str(i)
        docs.append(PredictDocument(doc_id, [t for t, _, _ in triples], text, [(s, e) for _, s, e in triples]))
    return docs


def _read_text(path: Path) -> str:
    if path.suffix.lower() != ".txt":  # a PDF, HTML, DOCX or Markdown file: documents/ reads it
        try:
            return read_document(path).text
        except DocumentError as err:
            raise DataError(str(err)) from None
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not valid UTF-8 (byte {err.start})") from None


def read_predict_input(source: str, tokenizer: str = "ptb") -> list[PredictDocument]:
    """Documents from a ``.txt`` file (one a line), a folder of files (one document each), JSONL, or ``-`` (stdin).

    A folder's ``.txt``, ``.pdf``, ``.html``, ``.docx`` and ``.md`` files are one document each (id:
    the file name), and so is a single PDF, HTML, DOCX or Markdown file (``documents/``; a file
    that cannot be read is a ``DataError`` naming it; ``extract`` is the command that lists bad
    files and goes on). Raw text is split by ``tokenizer``, the one the model was trained on
    (``text.TOKENIZERS``).
    """

    def numbered(lines: list[str]) -> list[PredictDocument]:
        return documents_from_texts(lines, [str(i) for i in range(len(lines))], tokenizer)

    if source == STDIN:
        return numbered(sys.stdin.read().splitlines())
    path = Path(source)
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and is_document(p) and not p.name.startswith((".", "_"))
        )
        if not files:
            raise DataError(f"{path}: folder holds no .txt, .pdf, .html, .docx or .md files")
        return documents_from_texts([_read_text(f) for f in files], [f.name for f in files], tokenizer)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix in (".jsonl", ".json"):
        records = read_jsonl_records(path, need_keyphrases=False)
        return documents_from_texts([r["text"] for r in records], [r["id"] for r in records], tokenizer)
    if is_document(path) and path.suffix.lower() != ".txt":
        return documents_from_texts([_read_text(path)], [path.name], tokenizer)
    return numbered(_read_text(path).splitlines())
