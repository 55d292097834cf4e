"""The vocabulary: the special tokens' ids, and the words of the embedding rows, in order."""

from __future__ import annotations

from collections import Counter

import numpy as np

from keyword_lightning.data.embeddings import load_embeddings
from keyword_lightning.data.formats import DataError, Dataset
from keyword_lightning.text.tokenizers import normalize_token

SPECIALS = ("<pad>", "<unk>")  # the first rows of every vocabulary, in this order
PAD, UNK = range(len(SPECIALS))


def build_vocabulary(
    dataset: Dataset, lowercase: bool, min_freq: int, embedding_file: str | None
) -> tuple[list[str], int]:
    """``<pad>``, ``<unk>``, training words, then the other pretrained words.

    Training words are those seen ``min_freq`` times, plus rarer ones that have a pretrained
    vector. Returns ``(words, trainable)``: the first ``trainable`` words are the only ones
    that occur in training batches, so the only embedding rows that training can change.
    """
    train = dataset.splits.get("train")
    if train is None:
        raise DataError("the dataset has no 'train' split, so no vocabulary can be built")
    per_string = np.bincount(train.tokens, minlength=len(dataset.strings))
    counts: Counter[str] = Counter()
    for s, c in zip(dataset.strings, per_string.tolist()):
        if c:
            counts[normalize_token(s, lowercase)] += c
    by_count = sorted(counts, key=lambda w: (-counts[w], w))
    words = [w for w in by_count if counts[w] >= min_freq and w not in SPECIALS]
    pretrained: list[str] = []
    if embedding_file:
        emb = load_embeddings(str(embedding_file))
        if emb.lowercase != lowercase:
            raise DataError(f"{embedding_file}: built with lowercase={emb.lowercase}, but data.lowercase={lowercase}")
        known = [w for w, found in zip(emb.words, emb.found) if found and w not in SPECIALS]
        has_vector = set(known)
        words += [w for w in by_count if counts[w] < min_freq and w in has_vector and w not in SPECIALS]
        have = set(words)
        pretrained = [w for w in known if w not in have]
    return [*SPECIALS, *words, *pretrained], len(SPECIALS) + len(words)
