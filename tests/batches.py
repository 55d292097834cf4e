"""A ``Batch`` from just the fields a network test sets, and a network call with a sequence mode."""

from __future__ import annotations

import torch

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.features import MAX_WORD_CHARS


def make_batch(words, chars=None, lengths=None, features=None, pieces=None, piece_words=None, vectors=None) -> Batch:
    """A batch of ``words`` [B,T]; the fields not given are empty (or zero characters)."""
    b, t = words.shape
    empty = torch.zeros(b, 0, dtype=torch.long)
    return Batch(
        words=words,
        chars=torch.zeros(b, t, MAX_WORD_CHARS, dtype=torch.long) if chars is None else chars,
        labels1=torch.zeros_like(words),
        labels2=torch.zeros_like(words),
        lengths=torch.full((b,), t) if lengths is None else lengths,
        index=torch.arange(b),
        types=torch.zeros_like(words),
        stems=torch.zeros_like(words),
        features=features,
        pieces=empty if pieces is None else pieces,
        piece_words=empty if piece_words is None else piece_words,
        vectors=torch.zeros(b, t, 0) if vectors is None else vectors,
    )


def run(net, words, chars=None, lengths=None, mode="auto", features=None, pieces=None, piece_words=None):
    """``net(batch)`` in ``mode``: the network called as everywhere else."""
    net.sequence_mode = mode
    return net(make_batch(words, chars, lengths, features, pieces, piece_words))
