"""A keyphrase corpus as the benchmarks read it, from any of three formats: one reader each.

- ``conll``: a file of ``token<TAB>tag`` lines, tags ``O``/``B-<type>``/``I-<type>`` of any type
  (every type is a keyphrase), a blank line between documents (``scoring.read_conll_gold``).
  The text is the tokens joined by single spaces, PTB escapes (``-LRB-`` ...) undone, as a user
  would give it; the gold keyphrases are the tagged spans' tokens, joined and unescaped the same
  way; the tokens, their character offsets and the gold spans are kept for strict span F1.
- ``jsonl``: one ``{"text": str, "keyphrases": [str, ...], "id": str (optional)}`` a line
  (``scoring.read_jsonl``); other fields are ignored.
- ``folder``: a folder of ``NAME.txt`` documents (UTF-8), each with ``NAME.key`` beside it: one
  keyphrase a line; a line with ``;`` is split there too (Hulth's Inspec ``.uncontr`` style),
  commas are never split (they occur inside keyphrases). Blank entries are dropped. Documents
  in file-name order, id = ``NAME``.

``read_corpus(path)`` tells the format from the path (a folder, ``*.jsonl``/``*.json``, else
CoNLL) unless given one. Errors are ``ValueError``s of one line naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.gold import read_conll_gold, read_jsonl, spans_from_bio
from benchmarks.scoring import Span
from keyword_lightning.text import PTB_ESCAPES

FORMATS = ("conll", "jsonl", "folder")


@dataclass
class Corpus:
    """Documents (``texts``) with their gold keyphrases; CoNLL ones also with tokens, offsets and spans."""

    name: str  # how tables name it, e.g. "semeval2017/test.txt"
    format: str
    ids: list[str]
    texts: list[str]
    keyphrases: list[list[str]]
    tokens: list[list[str]] | None = None  # conll: the gold tokens of each document
    offsets: list[list[tuple[int, int]]] | None = None  # conll: each token's (start, end) character in its text
    spans: list[set[Span]] | None = None  # conll: the gold (start_token, end_token) spans

    def __len__(self) -> int:
        return len(self.texts)

    def head(self, n: int | None) -> Corpus:
        """The first ``n`` documents (all with None)."""
        cut = slice(None, n)
        optional = {f: getattr(self, f) and getattr(self, f)[cut] for f in ("tokens", "offsets", "spans")}
        return replace(self, ids=self.ids[cut], texts=self.texts[cut], keyphrases=self.keyphrases[cut], **optional)

    def records(self) -> list[dict]:
        """``{"id", "text", "keyphrases"}`` of each document (``scoring.score_present``'s input)."""
        return [{"id": i, "text": t, "keyphrases": k} for i, t, k in zip(self.ids, self.texts, self.keyphrases)]


def raw_texts(docs: list[list[str]]) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Each document as a user would give it (tokens joined by spaces, escapes undone), with token offsets."""
    texts, offsets = [], []
    for tokens in docs:
        words = [PTB_ESCAPES.get(t, t) for t in tokens]
        starts = [0]
        for word in words[:-1]:
            starts.append(starts[-1] + len(word) + 1)
        texts.append(" ".join(words))
        offsets.append([(s, s + len(w)) for s, w in zip(starts, words)])
    return texts, offsets


def label(path: Path) -> str:
    """``parent/name`` of a file (``name/`` of a folder): enough to tell corpora apart, no local path."""
    path = Path(path).resolve()
    return f"{path.name}/" if path.is_dir() else f"{path.parent.name}/{path.name}"


def read_conll(path: str | Path) -> Corpus:
    """A CoNLL file (see the module docstring)."""
    tokens, _ = read_conll_gold(path)  # checks every line
    spans = spans_from_bio(path)
    texts, offsets = raw_texts(tokens)
    keys = [
        [" ".join(PTB_ESCAPES.get(t, t) for t in toks[s : e + 1]) for s, e in sorted(doc)]
        for toks, doc in zip(tokens, spans)
    ]
    ids = [str(i) for i in range(len(texts))]
    return Corpus(label(path), "conll", ids, texts, keys, tokens, offsets, spans)


def read_jsonl_corpus(path: str | Path) -> Corpus:
    """A JSONL file of ``{"text", "keyphrases", "id"?}`` records (see the module docstring)."""
    ids, texts, keys = [], [], []
    for n, record in enumerate(read_jsonl(path), 1):
        text, phrases = record.get("text"), record.get("keyphrases")
        if not isinstance(text, str) or not isinstance(phrases, list) or not all(isinstance(k, str) for k in phrases):
            raise ValueError(f"{path}: record {n}: expected a 'text' string and a 'keyphrases' list of strings")
        ids.append(str(record.get("id", n - 1)))
        texts.append(text)
        keys.append(phrases)
    return Corpus(label(path), "jsonl", ids, texts, keys)


def read_key_file(path: Path) -> list[str]:
    """The keyphrases of a ``.key`` file: one a line, a line split at ``;`` too, blank entries dropped."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    return [k.strip() for line in lines for k in line.split(";") if k.strip()]


def read_folder(folder: str | Path) -> Corpus:
    """A folder of ``NAME.txt`` documents with ``NAME.key`` keyphrase files (see the module docstring)."""
    folder = Path(folder)
    docs = sorted(folder.glob("*.txt"))
    keys = {p.stem for p in folder.glob("*.key")}
    missing = [p.name for p in docs if p.stem not in keys]
    orphans = sorted(keys - {p.stem for p in docs})
    if not docs or missing or orphans:
        what = f".txt without .key: {missing[:3]}" if missing else f".key without .txt: {orphans[:3]}"
        what = what if docs else "no .txt documents"
        raise ValueError(f"{folder}: expected NAME.txt documents each with NAME.key beside it ({what})")
    texts = [p.read_text(encoding="utf-8-sig") for p in docs]
    phrases = [read_key_file(p.with_suffix(".key")) for p in docs]
    return Corpus(label(folder), "folder", [p.stem for p in docs], texts, phrases)


def detect(path: Path) -> str:
    """The format of ``path``: ``folder`` for a folder, ``jsonl`` for ``*.jsonl``/``*.json``, else ``conll``."""
    if path.is_dir():
        return "folder"
    return "jsonl" if path.suffix.lower() in (".jsonl", ".json") else "conll"


def read_corpus(path: str | Path, format: str | None = None) -> Corpus:
    """The corpus at ``path`` in ``format`` (one of ``FORMATS``; None: ``detect``)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    format = format or detect(path)
    readers = {"conll": read_conll, "jsonl": read_jsonl_corpus, "folder": read_folder}
    if format not in readers:
        raise ValueError(f"unknown corpus format {format!r}: one of {', '.join(FORMATS)}")
    return readers[format](path)
