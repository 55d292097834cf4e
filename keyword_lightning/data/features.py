"""What the network reads of each token besides its word id: hashed characters and document statistics.

Both are computed once per distinct string or per corpus chunk, never per token in Python.
"""

from __future__ import annotations

import numpy as np

MAX_WORD_CHARS = 20  # characters per token seen by the char features (longer tokens are cut)
CHAR_BUCKETS = 512  # characters are hashed into this many ids; 0 is padding
DOC_FEATURES = 2  # per token: log of its count in the document, relative position of its first occurrence
# Optional, after those: log counts in the document of the bigram the token ends and of the one it
# starts, and the relative position of its last occurrence (``document_features(repeats=True)``).
REPEAT_FEATURES = 3


def char_ids(token: str) -> list[int]:
    """Hashed character ids of a token, cut to ``MAX_WORD_CHARS``."""
    return [1 + ord(c) % (CHAR_BUCKETS - 1) for c in token[:MAX_WORD_CHARS]]


def chunk_offsets(offsets: np.ndarray, max_length: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Split documents longer than ``max_length`` into consecutive chunks.

    Returns ``(new_offsets, source)``, where ``source[i]`` is the document chunk ``i`` came from.
    """
    lengths = np.diff(offsets)
    if not max_length or lengths.max(initial=0) <= max_length:
        return offsets, np.arange(len(lengths))
    pieces = -(-lengths // max_length)  # ceil
    source = np.repeat(np.arange(len(lengths)), pieces)
    first = np.repeat(offsets[:-1], pieces)
    k = np.arange(len(source)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    starts = first + k * max_length
    return np.append(starts, offsets[-1]), source


def document_features(
    types: np.ndarray, offsets: np.ndarray, repeats: bool = False, chunk_tokens: int = 1 << 22
) -> np.ndarray:
    """Per-token document statistics [N, 2] (``repeats``: [N, 5]) float32, classic keyphrase signals (cf. KEA).

    Column 0: ``log(count)`` of the token's (lowercased) string in its document; keyphrase words
    tend to repeat. Column 1: where in the document that string first occurs, as a fraction of the
    document's length (0 = first token); keyphrases tend to occur early (titles, first sentences).
    With ``repeats`` (``REPEAT_FEATURES``), columns 2 and 3: ``log(count)`` in the document of the
    bigram (previous token, this one) and of (this one, next token), 0 where there is no
    neighbour; a phrase that recurs repeats its bigrams, which tells where a Chinese word made of
    single characters starts and ends. Column 4: where the string last occurs, as a fraction of
    the length; a title placed after the abstract (as CSL does) repeats its keyphrases late.
    Vectorised: sorts per chunk of whole documents of about ``chunk_tokens`` tokens, so the
    sorts' int64 temporaries stay small however large the corpus.
    """
    width = DOC_FEATURES + (REPEAT_FEATURES if repeats else 0)
    out = np.empty((len(types), width), dtype=np.float32)
    first_doc, docs = 0, len(offsets) - 1
    while first_doc < docs:
        end_doc = int(np.searchsorted(offsets, offsets[first_doc] + chunk_tokens, side="right")) - 1
        end_doc = min(max(end_doc, first_doc + 1), docs)
        lo, hi = int(offsets[first_doc]), int(offsets[end_doc])
        if hi > lo:
            out[lo:hi] = _document_features(types[lo:hi], offsets[first_doc : end_doc + 1] - lo, repeats)
        first_doc = end_doc
    return out


def _document_features(types: np.ndarray, offsets: np.ndarray, repeats: bool) -> np.ndarray:
    """``document_features`` of one chunk: ``offsets`` start at 0 and end at ``len(types)``."""
    lengths = np.diff(offsets)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    start, length = offsets[:-1][doc], lengths[doc]
    key = doc * (int(types.max()) + 1) + types  # (document, string)
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    out = np.zeros((len(types), DOC_FEATURES + (REPEAT_FEATURES if repeats else 0)), dtype=np.float32)
    out[:, 0] = np.log(counts[inverse])
    out[:, 1] = (first[inverse] - start) / length
    if repeats and len(types):
        last = np.full(len(counts), -1, dtype=np.int64)
        np.maximum.at(last, inverse, np.arange(len(types)))
        out[:, 4] = (last[inverse] - start) / length
        inside = doc[1:] == doc[:-1]  # [N-1] token pairs within one document
        _, pair = np.unique(np.stack([key[:-1], types[1:]]), axis=1, return_inverse=True)  # (doc, a, b) ids
        pair = pair.reshape(-1)  # numpy 2.0.0 gave it the input's shape
        _, pair_inverse, pair_counts = np.unique(pair[inside], return_inverse=True, return_counts=True)
        log_count = np.zeros(len(types) - 1, dtype=np.float32)
        log_count[inside] = np.log(pair_counts[pair_inverse])
        out[1:, 2] = log_count  # the bigram this token ends
        out[:-1, 3] = log_count  # the bigram this token starts
    return out
