"""Pure keyphrase tagging logic: BIO <-> spans <-> S/B/M/E/O (decoding: ``viterbi.py``, ``decoding.py``).

A span is ``(start, end)`` over token positions, both inclusive. Nothing here does I/O
or knows about models, so every function can be tested on plain lists.

Head-2 of the network predicts one of five position tags (the seed's
"Single/Begin/Middle/End/Not"):

    S = a one-token keyphrase     B = first token of a longer one
    M = inside a longer one       E = last token of a longer one
    O = not part of a keyphrase
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SBMEO = ("S", "B", "M", "E", "O")  # head 2's classes, by id
S, B, M, E, O = range(5)
KEYWORD_LABELS = ("not-keyword", "keyword")  # head 1's classes, by id
NOT_KEYWORD, KEYWORD = range(2)
# Head 1's class of each head-2 tag: S, B, M and E are inside a keyphrase, O is not.
KEYWORD_OF_TAG = tuple(NOT_KEYWORD if tag == O else KEYWORD for tag in range(len(SBMEO)))
IGNORE_INDEX = -100  # padding label, skipped by the losses and metrics
# Normalised BIO codes held in the dataset pickle.
BIO_O, BIO_B, BIO_I = 0, 1, 2

Span = tuple[int, int]


class TagError(ValueError):
    """A tag string that is neither ``O`` nor ``B-<type>`` / ``I-<type>``."""


def bio_codes(tags: Sequence[str]) -> list[int]:
    """Normalise BIO tags of any type to codes 0=O, 1=B, 2=I (conlleval semantics).

    Every type counts as a keyphrase. An ``I-`` that follows ``O`` or a phrase of another
    type opens a new phrase, exactly as conlleval reads it, so it becomes ``B``.
    """
    codes: list[int] = []
    prev_type: str | None = None  # type of the phrase open at the previous token
    for tag in tags:
        if tag == "O":
            codes.append(BIO_O)
            prev_type = None
            continue
        prefix, sep, kind = tag.partition("-")
        if not sep or prefix not in ("B", "I"):
            raise TagError(f"unknown tag {tag!r} (expected O, B-<type> or I-<type>)")
        if prefix == "I" and prev_type == kind:
            codes.append(BIO_I)
        else:
            codes.append(BIO_B)
        prev_type = kind
    return codes


def bio_codes_to_spans(codes: Sequence[int]) -> list[Span]:
    """Spans of normalised BIO codes (an I after O is read as B)."""
    spans: list[Span] = []
    start = None
    for i, code in enumerate(codes):
        if code == BIO_I and start is not None:
            continue
        if start is not None:
            spans.append((start, i - 1))
            start = None
        if code in (BIO_B, BIO_I):
            start = i
    if start is not None:
        spans.append((start, len(codes) - 1))
    return spans


def spans_to_bio_codes(spans: Sequence[Span], length: int) -> list[int]:
    """Normalised BIO codes of non-overlapping spans."""
    codes = [BIO_O] * length
    for start, end in spans:
        codes[start] = BIO_B
        for i in range(start + 1, end + 1):
            codes[i] = BIO_I
    return codes


def spans_to_sbmeo(spans: Sequence[Span], length: int) -> list[int]:
    """S/B/M/E/O tag ids of non-overlapping spans."""
    tags = [O] * length
    for start, end in spans:
        if start == end:
            tags[start] = S
        else:
            tags[start] = B
            tags[end] = E
            for i in range(start + 1, end):
                tags[i] = M
    return tags


def sbmeo_to_spans(tags: Sequence[int]) -> list[Span]:
    """Strict decoding: ``S`` and ``B M* E`` are spans; any broken run is dropped."""
    spans: list[Span] = []
    start = None
    for i, tag in enumerate(tags):
        if tag == S:
            spans.append((i, i))
            start = None
        elif tag == B:
            start = i
        elif tag == M:
            pass  # an open phrase goes on; with none open, M is simply ignored
        elif tag == E:
            if start is not None:
                spans.append((start, i))
            start = None
        else:  # O, or anything else, closes without a span
            start = None
    return spans


def bio_codes_to_labels(codes: np.ndarray, doc_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised head labels for a flat corpus of normalised BIO codes.

    Args:
        codes: uint8 ``[N]`` codes of all documents laid end to end.
        doc_starts: bool ``[N]``, True at the first token of each document.

    Returns:
        ``(keyword, position)``: int64 ``[N]`` head-1 labels (0/1) and head-2 S/B/M/E/O ids.

    """
    inside = codes != BIO_O
    begins = (codes == BIO_B) | ((codes == BIO_I) & doc_starts)
    # Does the phrase continue into the next token of the same document?
    nxt = np.zeros_like(inside)
    nxt[:-1] = (codes[1:] == BIO_I) & ~doc_starts[1:]
    position = np.full(codes.shape, O, dtype=np.int64)
    position[begins & ~nxt] = S
    position[begins & nxt] = B
    position[inside & ~begins & nxt] = M
    position[inside & ~begins & ~nxt] = E
    return inside.astype(np.int64), position
