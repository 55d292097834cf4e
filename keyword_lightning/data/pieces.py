"""Word pieces of a transformer encoder, per distinct string and gathered per document.

Like the rest of ``encoding.py``, the work is per distinct string: each string is split into
pieces once (``PieceTable``), and a document's pieces are gathered from the table with array
arithmetic, nothing per token in Python.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

NO_WORD = -1  # ``piece_words`` of padding


class PieceTable:
    """The pieces of every distinct string: string ``s`` has pieces ``flat[starts[s]:starts[s+1]]``."""

    def __init__(self, strings: list[str], split: Callable[[list[str]], list[list[int]]]) -> None:
        pieces = split(strings)
        counts = np.array([len(p) for p in pieces], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.flat = np.fromiter((i for p in pieces for i in p), dtype=np.int32, count=int(counts.sum()))

    def gather(self, strings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(pieces, piece_words)`` of a document given as string ids [L]: pieces [Q], word of each [Q]."""
        strings = np.asarray(strings, dtype=np.int64)
        starts = self.starts[strings]
        counts = self.starts[strings + 1] - starts
        words = np.repeat(np.arange(len(strings), dtype=np.int64), counts)
        within = np.arange(len(words), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.flat[starts[words] + within].astype(np.int64), words
