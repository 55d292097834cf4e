"""The reference scorer's readers: gold from CoNLL tags and JSONL, and prediction records.

Like ``scoring.py``, it imports nothing from ``keyword_lightning``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

Span = tuple[int, int]
Ranked = list[tuple[str, float]]


def spans_from_bio(path: str | Path) -> list[set[Span]]:
    """Gold spans per document straight from a CoNLL file (conlleval reading, any type).

    An ``I-`` continues a span only after a ``B-``/``I-`` of its type; else it opens a new one.
    """
    docs, spans, i, start, kind = [], set(), 0, None, None
    for line in Path(path).read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if start is not None:
                spans.add((start, i - 1))
            if i:
                docs.append(spans)
            spans, i, start, kind = set(), 0, None, None
            continue
        tag = line.split("\t")[-1].strip()
        cont = tag.startswith("I-") and start is not None and tag[2:] == kind
        if not cont:
            if start is not None:
                spans.add((start, i - 1))
            start, kind = (i, tag[2:]) if tag != "O" else (None, None)
        i += 1
    return docs


def read_conll_gold(path: str | Path) -> tuple[list[list[str]], list[list[str]]]:
    """Tokens and gold keyphrases of each document of a CoNLL file (``token<TAB>tag`` lines).

    Documents are separated by blank lines. Tags are ``O``, ``B-<type>`` or ``I-<type>`` of any
    type; spans are read as conlleval does (``spans_from_bio``: an ``I-`` after ``O`` or after
    another type opens a new phrase). A gold phrase is its tokens joined by single spaces, listed
    in text order (repeats included; ``score_ranked`` de-duplicates).

    Raises:
        ValueError: ``<path>:<line>: <what is wrong>`` for the first malformed line.

    """
    path = Path(path)
    docs: list[list[str]] = []
    tokens: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines() + [""], 1):
        if not line.strip():
            if tokens:
                docs.append(tokens)
            tokens = []
            continue
        parts = line.split("\t")
        tag = parts[-1].strip()
        if len(parts) < 2 or not parts[0] or not (tag == "O" or tag[:2] in ("B-", "I-") and len(tag) > 2):
            raise ValueError(f"{path}:{n}: expected 'token<TAB>tag' with tag O, B-<type> or I-<type>, got {line!r}")
        tokens.append(parts[0])
    spans = spans_from_bio(path)
    if len(spans) != len(docs):  # both read the same blank-line structure
        raise ValueError(f"{path}: {len(docs)} documents but {len(spans)} span sets")
    gold = [[" ".join(toks[s : e + 1]) for s, e in sorted(doc_spans)] for toks, doc_spans in zip(docs, spans)]
    return docs, gold


def read_jsonl(path: str | Path) -> list[dict]:
    """Records of a JSONL file (e.g. csl-kg's ``{"id", "text", "keyphrases"}`` a line); blank lines skipped."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_records(path: str | Path) -> list[Ranked]:
    """``(text, score)`` of each record's ranking, one list per line of a ``predictions.jsonl``.

    Each line is a JSON object with ``ranked`` (the document's unique keyphrases, best first)
    or, in records written before it existed, ``keyphrases``: a list of objects with ``text``
    (str) and ``score`` (a finite number); other fields are ignored. Blank lines are not allowed.

    Raises:
        ValueError: ``<path>:<line>: <what is wrong>`` for the first bad line.

    """
    path = Path(path)
    docs: list[Ranked] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                record = json.loads(line)
                phrases = record["ranked"] if "ranked" in record else record["keyphrases"]
                ranked = [(str(p["text"]), float(p["score"])) for p in phrases]
                if not all(math.isfinite(score) for _, score in ranked):
                    raise ValueError("a score is not finite")
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{n}: not JSON ({err.msg})") from None
            except (KeyError, TypeError, ValueError) as err:
                what = f"missing {err}" if isinstance(err, KeyError) else str(err)
                raise ValueError(f"{path}:{n}: expected keyphrases with text and score ({what})") from None
            docs.append(ranked)
    return docs


def record_spans(records: Iterable[dict]) -> list[set[Span]]:
    """The predicted ``(start_token, end_token)`` spans of each prediction record."""
    return [{(k["start_token"], k["end_token"]) for k in record["keyphrases"]} for record in records]
