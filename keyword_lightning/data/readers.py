"""Readers of tagged corpora: CoNLL (``token<TAB>tag``) and JSONL (``{"id", "text", "keyphrases"}``).

Each yields ``formats.GoldDocument`` objects; errors are one line naming the file and line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from keyword_lightning.data.formats import DataError, GoldDocument
from keyword_lightning.tagging.schemes import BIO_B, BIO_I, BIO_O, TagError, bio_codes, bio_codes_to_spans
from keyword_lightning.text.matching import ABSENT, OVERLAPPED, PRESENT, SPLIT, find_keyphrases
from keyword_lightning.text.tokenizers import PTB_ESCAPES, get_tokenizer

JSONL_SUFFIXES = (".jsonl", ".json")  # any case; every other file is read as CoNLL


def file_format(path: str | os.PathLike, format: str = "auto") -> str:
    """``format``; with ``auto``, the format of ``path`` by its suffix: ``jsonl`` (``JSONL_SUFFIXES``) or ``conll``."""
    if format != "auto":
        return format
    return "jsonl" if Path(path).suffix.lower() in JSONL_SUFFIXES else "conll"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` with BOM, CRLF and bad bytes handled per line."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataError(f"{path}:{number}: not valid UTF-8 ({err.reason} at byte {err.start})") from None
            yield number, line.rstrip("\r\n")


def iter_conll(path: str | os.PathLike) -> Iterator[GoldDocument]:
    """Yield the documents of a CoNLL file one at a time (see ``read_conll``).

    Only the current document is held in memory, so ``keyword-lightning-prepare`` reads a
    corpus of any size in the memory of its flat arrays.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    count = 0
    tokens: list[str] = []
    tags: list[str] = []
    first_line = 0

    def close() -> GoldDocument | None:
        if not tokens:
            return None
        try:
            codes = bio_codes(tags)
        except TagError as err:  # pragma: no cover - tags are checked per line below
            raise DataError(f"{path}:{first_line}: {err}") from None
        doc = GoldDocument(f"{path.stem}-{count}", list(tokens), codes)
        tokens.clear()
        tags.clear()
        return doc

    for number, line in _lines(path):
        if not line.strip():
            doc = close()
            if doc is not None:
                count += 1
                yield doc
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) != 2:
            raise DataError(f"{path}:{number}: expected 'token<TAB>tag', found {len(fields)} fields in {line!r}")
        token, tag = fields[0].strip(), fields[1].strip()
        if not token:
            raise DataError(f"{path}:{number}: empty token (tag {tag!r} alone on the line)")
        try:
            bio_codes([tag])
        except TagError as err:
            raise DataError(f"{path}:{number}: {err}") from None
        if not tokens:
            first_line = number
        tokens.append(token)
        tags.append(tag)
    doc = close()
    if doc is not None:
        count += 1
        yield doc
    if not count:
        raise DataError(f"{path}: no documents")


def read_conll(path: str | os.PathLike) -> list[GoldDocument]:
    """Read ``token<TAB>tag`` lines (or ``token tag``), a blank line between documents.

    Tags are ``O`` or ``B-<type>`` / ``I-<type>`` of any type; every type is a keyphrase.
    """
    return list(iter_conll(path))


@dataclass
class KeyphraseCounts:
    """What became of the keyphrases of a JSONL file (``text.find_keyphrases``); each is counted once."""

    documents: int = 0
    keyphrases: int = 0
    present: int = 0  # marked at least once
    split: int = 0  # occurs only with a boundary inside a token: not marked
    overlapped: int = 0  # occurs only where a longer (or tied, earlier) keyphrase is marked: not marked
    absent: int = 0  # not in the text

    def add(self, fates: Iterable[str]) -> None:
        """Count one document, given its keyphrases' fates (``text.PRESENT``, ``SPLIT`` ...)."""
        self.documents += 1
        for fate in fates:
            self.keyphrases += 1
            if fate == PRESENT:
                self.present += 1
            elif fate == SPLIT:
                self.split += 1
            elif fate == OVERLAPPED:
                self.overlapped += 1
            else:
                assert fate == ABSENT, fate
                self.absent += 1

    def summary(self) -> str:
        """One line: ``800 documents, 4143 keyphrases: 3521 present, ...``."""
        return (
            f"{self.documents} documents, {self.keyphrases} keyphrases: {self.present} present, "
            f"{self.split} inside a token (not marked), {self.overlapped} overlapping another keyphrase "
            f"(not marked), {self.absent} absent"
        )


def read_jsonl_records(path: str | os.PathLike, need_keyphrases: bool) -> list[dict]:
    """Read ``{"id", "text"[, "keyphrases"]}`` objects, one a line; blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    records = []
    for number, line in _lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{number}: not valid JSON ({err.msg})") from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}:{number}: expected a JSON object, found {type(obj).__name__}")
        if not isinstance(obj.get("text"), str):
            raise DataError(f"{path}:{number}: field 'text' is missing or not a string")
        doc_id = obj.get("id", str(len(records)))
        if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
            raise DataError(f"{path}:{number}: field 'id' must be a string or an integer")
        record = {"id": str(doc_id), "text": obj["text"], "line": number}
        if need_keyphrases:
            phrases = obj.get("keyphrases")
            if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                raise DataError(f"{path}:{number}: field 'keyphrases' is missing or not a list of strings")
            record["keyphrases"] = phrases
        records.append(record)
    return records


def read_jsonl_counted(path: str | os.PathLike, tokenizer: str = "ptb") -> tuple[list[GoldDocument], KeyphraseCounts]:
    """Read tagged documents from JSONL and count what became of their keyphrases.

    Each text is split by ``tokenizer`` (one of ``text.TOKENIZERS``), as ``predict`` will split
    raw text, and every occurrence of each keyphrase is marked as ``text.find_keyphrases``
    describes; keyphrases that could not be marked are counted, never dropped unseen.
    """
    split_text = get_tokenizer(tokenizer)
    docs = []
    counts = KeyphraseCounts()
    for record in read_jsonl_records(path, need_keyphrases=True):
        triples = split_text(record["text"])
        if not triples:
            raise DataError(f"{path}:{record['line']}: document {record['id']!r} has no tokens")
        spans, fates = find_keyphrases(record["text"], triples, record["keyphrases"], tokenizer)
        codes = [BIO_O] * len(triples)
        for first, last in spans:
            codes[first : last + 1] = [BIO_B] + [BIO_I] * (last - first)
        docs.append(GoldDocument(record["id"], [t for t, _, _ in triples], codes))
        counts.add(fates)
    if not docs:
        raise DataError(f"{path}: no documents")
    return docs, counts


def read_jsonl(path: str | os.PathLike, tokenizer: str = "ptb") -> list[GoldDocument]:
    """Read tagged documents from JSONL, tokenized as ``predict`` tokenizes raw text (see ``read_jsonl_counted``)."""
    return read_jsonl_counted(path, tokenizer)[0]


def read_labelled_texts(path: str | os.PathLike) -> list[dict]:
    """Raw texts with their gold keyphrases, ``{"id", "text", "keyphrases"}``, from JSONL or CoNLL (``file_format``).

    A CoNLL document becomes the text a user would give: its tokens joined by single spaces, PTB
    escapes (``-LRB-`` ...) undone; its keyphrases are its tagged spans, joined the same way.
    """
    if file_format(path) == "jsonl":
        return [{k: r[k] for k in ("id", "text", "keyphrases")} for r in read_jsonl_records(path, need_keyphrases=True)]
    out = []
    for doc in iter_conll(path):
        words = [PTB_ESCAPES.get(t, t) for t in doc.tokens]
        phrases = [" ".join(words[a : b + 1]) for a, b in bio_codes_to_spans(doc.codes)]
        out.append({"id": doc.id, "text": " ".join(words), "keyphrases": phrases})
    return out
