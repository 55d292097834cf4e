"""What the network reads of each token besides its word id: hashed characters and document statistics.

Both are computed once per distinct string or per corpus chunk, never per token in Python.
"""

from __future__ import annotations

import numpy as np

MAX_WORD_CHARS = 20  # characters per token seen by the char features (longer tokens are cut)
CHAR_BUCKETS = 512  # characters are hashed into this many ids; 0 is padding
DOC_FEATURES = 2  # per token: log of its count in the document, relative position of its first occurrence


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


def document_features(types: np.ndarray, offsets: np.ndarray, chunk_tokens: int = 1 << 22) -> np.ndarray:
    """Per-token document statistics [N, 2] float32, the classic keyphrase signals (cf. KEA).

    Column 0: ``log(count)`` of the token's (lowercased) string in its document; keyphrase words
    tend to repeat. Column 1: where in the document that string first occurs, as a fraction of the
    document's length (0 = first token); keyphrases tend to occur early (titles, first sentences).
    Vectorised: one sort per chunk of whole documents of about ``chunk_tokens`` tokens, so the
    sort's int64 temporaries stay small however large the corpus.
    """
    out = np.empty((len(types), DOC_FEATURES), dtype=np.float32)
    first_doc, docs = 0, len(offsets) - 1
    while first_doc < docs:
        end_doc = int(np.searchsorted(offsets, offsets[first_doc] + chunk_tokens, side="right")) - 1
        end_doc = min(max(end_doc, first_doc + 1), docs)
        lo, hi = int(offsets[first_doc]), int(offsets[end_doc])
        if hi > lo:
            out[lo:hi] = _document_features(types[lo:hi], offsets[first_doc : end_doc + 1] - lo)
        first_doc = end_doc
    return out


def _document_features(types: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``document_features`` of one chunk: ``offsets`` start at 0 and end at ``len(types)``."""
    lengths = np.diff(offsets)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    key = doc * (int(types.max()) + 1) + types
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    out = np.empty((len(types), DOC_FEATURES), dtype=np.float32)
    out[:, 0] = np.log(counts[inverse])
    out[:, 1] = (first[inverse] - offsets[:-1][doc]) / lengths[doc]
    return out
