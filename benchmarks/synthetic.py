"""Synthetic corpora with Inspec's shape, for the benchmarks that need more text than Inspec has.

``write_corpus``: a CoNLL corpus of any size (scale.py: a KP20k-size corpus through prepare and
fit), Inspec's document lengths, a Zipf vocabulary of made-up words and keyphrase tags at Inspec's
rates. ``write_text_corpus``: raw text as JSONL (extract.py, tests/test_extract.py), Inspec's
lengths and its own words at their frequencies, so that GloVe finds them and the tagger marks
keyphrases at about its usual rate.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def inspec_lengths(path: Path) -> np.ndarray:
    """Document lengths of a CoNLL file (blank-line separated)."""
    lengths, n = [], 0
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            n += 1
        elif n:
            lengths.append(n)
            n = 0
    return np.array(lengths)


def write_corpus(path: Path, docs: int, lengths: np.ndarray, seed: int, vocab: int = 500_000) -> int:
    """Write ``docs`` synthetic CoNLL documents to ``path``; returns the token count."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    # line table: word i with tag O, B-KEY, I-KEY at rows 3i, 3i+1, 3i+2; the last row is a blank line
    table = np.array([f"{w}\t{t}\n".encode() for w in words for t in ("O", "B-KEY", "I-KEY")] + [b"\n"], dtype=object)
    blank = len(table) - 1
    total = 0
    with open(path, "wb") as fh:
        for lo in range(0, docs, 20_000):
            n_docs = min(20_000, docs - lo)
            doc_len = rng.choice(lengths, size=n_docs)
            n = int(doc_len.sum())
            word = np.minimum(rng.zipf(1.3, size=n) - 1, vocab - 1)
            # keyphrases: ~9% of tokens start one, of 1-3 tokens (Inspec-like rates)
            tag = np.zeros(n, dtype=np.int64)
            starts = np.flatnonzero(rng.random(n) < 0.09)
            tag[starts] = 1
            for k in (1, 2):
                nxt = starts + k
                keep = (nxt < n) & (rng.random(len(starts)) < 0.6 / k)
                tag[nxt[keep]] = np.where(tag[nxt[keep]] == 0, 2, tag[nxt[keep]])
            rows = word * 3 + tag
            # a blank line after each document
            ends = np.cumsum(doc_len)
            rows = np.insert(rows, ends, blank)
            fh.write(b"".join(table[rows].tolist()))
            total += n
    return total


def inspec_words(path: Path) -> tuple[list[str], np.ndarray]:
    """The words of a CoNLL file (PTB escapes undone) and each one's share of its tokens."""
    from keyword_lightning.text import PTB_ESCAPES

    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            word = PTB_ESCAPES.get(line.split()[0], line.split()[0])
            counts[word] = counts.get(word, 0) + 1
    freq = np.array(list(counts.values()), dtype=np.float64)
    return list(counts), freq / freq.sum()


def write_text_corpus(folder: Path, docs: int, inspec: Path, seed: int = 0, files: int = 8) -> list[Path]:
    """``docs`` raw-text documents (``{"id", "text"}``) in ``files`` JSONL files under ``folder``.

    Inspec-like: each document's length is drawn from Inspec train's, its words from Inspec
    train's words at their frequencies (so GloVe finds them, and the tagger marks keyphrases at
    about its usual rate). Ids are ``syn-N``, unique. Written in blocks: memory stays small.
    """
    rng = np.random.default_rng(seed)
    lengths = inspec_lengths(inspec)
    words, share = inspec_words(inspec)
    vocab = np.array(words, dtype=object)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"corpus-{i:02d}.jsonl" for i in range(files)]
    per_file = -(-docs // files)
    n = 0
    for path in paths:
        with open(path, "w", encoding="utf-8") as fh:
            for lo in range(0, min(per_file, docs - n), 5_000):
                doc_len = rng.choice(lengths, size=min(5_000, per_file - lo, docs - n))
                tokens = vocab[rng.choice(len(vocab), size=int(doc_len.sum()), p=share)]
                ends = np.cumsum(doc_len)
                for i, (a, b) in enumerate(zip(ends - doc_len, ends)):
                    fh.write(json.dumps({"id": f"syn-{n + i}", "text": " ".join(tokens[a:b])}) + "\n")
                n += len(doc_len)
    return paths
