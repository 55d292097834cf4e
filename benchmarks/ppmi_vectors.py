"""PPMI-SVD token vectors of a JSONL training text, for ``keyword-lightning-prepare --embeddings``.

benchmarks/csl.py builds them for its ppmi recipes; ``python -m benchmarks.csl --write-vectors FILE``
writes csl-kg's (chars, 128-d) alone.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.gold import read_jsonl
from keyword_lightning.text import get_tokenizer


def build_vectors(train: str | Path, tokenizer: str, out: str | Path, dim: int = 64, window: int = 2) -> Path:
    """PPMI-SVD token vectors from the training text alone, written as a GloVe text file.

    Counts token pairs within ``window`` tokens of each other over the ``text`` of ``train``
    (split by ``tokenizer``, not lowercased), weights the counts by positive pointwise mutual
    information (context counts smoothed to the power 0.75), and keeps the top ``dim`` singular
    vectors, scaled by the square root of their singular values. Tokens seen once are left out.
    Offline and a few seconds on 800 documents.
    """
    from scipy import sparse
    from scipy.sparse.linalg import svds

    split = get_tokenizer(tokenizer)
    docs = [[t for t, _, _ in split(d["text"])] for d in read_jsonl(train)]
    counts = Counter(t for doc in docs for t in doc)
    vocab = sorted((t for t, c in counts.items() if c > 1 and not t.isspace()), key=lambda t: (-counts[t], t))
    index = {t: i for i, t in enumerate(vocab)}
    rows, cols = [], []
    for doc in docs:
        ids = [index.get(t, -1) for t in doc]
        for offset in range(1, window + 1):
            for a, b in zip(ids, ids[offset:]):
                if a >= 0 and b >= 0:
                    rows += [a, b]
                    cols += [b, a]
    n = len(vocab)
    pairs = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    pairs.sum_duplicates()
    word = np.asarray(pairs.sum(axis=1)).ravel()
    context = np.asarray(pairs.sum(axis=0)).ravel() ** 0.75
    pmi = pairs.tocoo()
    values = np.log(pmi.data * context.sum() / (word[pmi.row] * context[pmi.col]))
    keep = values > 0
    ppmi = sparse.csr_matrix((values[keep], (pmi.row[keep], pmi.col[keep])), shape=(n, n))
    u, s, _ = svds(ppmi, k=min(dim, n - 1), random_state=0)
    vectors = u * np.sqrt(s)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-8)
    out = Path(out)
    with out.open("w", encoding="utf-8") as fh:
        for token, vec in zip(vocab, vectors):
            fh.write(token + " " + " ".join(f"{x:.5f}" for x in vec) + "\n")
    return out
