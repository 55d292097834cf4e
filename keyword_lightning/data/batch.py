"""A padded batch, and ``collate_fun2``, the seed's collate function that builds it."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.nn.utils.rnn import pad_sequence

from keyword_lightning.data.pieces import NO_WORD
from keyword_lightning.data.vocabulary import PAD
from keyword_lightning.tagging.schemes import IGNORE_INDEX

PAD_TYPE = -1  # ``Batch.types`` past each length
PAD_CHAR = 0  # ``Batch.chars`` past each token's characters and past each length


class Batch(NamedTuple):
    """A padded batch. ``T`` = longest document in the batch, ``C`` = ``features.MAX_WORD_CHARS``."""

    words: torch.Tensor  # int64 [B, T] vocabulary ids, PAD past each length
    chars: torch.Tensor  # int64 [B, T, C] hashed character ids, PAD_CHAR = pad
    labels1: torch.Tensor  # int64 [B, T] head-1 labels (tagging.KEYWORD_LABELS), IGNORE_INDEX on pads
    labels2: torch.Tensor  # int64 [B, T] head-2 labels (tagging.SBMEO), IGNORE_INDEX on pads
    lengths: torch.Tensor  # int64 [B] real tokens per document
    index: torch.Tensor  # int64 [B] item index in the dataset (restores input order)
    types: torch.Tensor  # int64 [B, T] id of each token's lowercased string (for set F1), PAD_TYPE on pads
    features: torch.Tensor  # float32 [B, T, F] document statistics per token (data/features.py), 0 on pads
    stems: torch.Tensor  # int64 [B, T] id of each token's Porter stem (for F1@k; = types unless encoded with stems)
    # A transformer encoder's input (``inputs/encoder.py``): P = most pieces in a document, 0 without one.
    pieces: torch.Tensor  # int64 [B, P] word-piece ids, 0 on pads
    piece_words: torch.Tensor  # int64 [B, P] token of each piece, pieces.NO_WORD on pads
    vectors: torch.Tensor  # float [B, T, H] the frozen encoder's cached word vectors; H = 0 when not cached


class Example(NamedTuple):
    """One document (or chunk), as ``Corpus.__getitem__`` returns it."""

    index: int
    words: torch.Tensor  # [L]
    chars: torch.Tensor  # [L, C]
    labels1: torch.Tensor  # [L]
    labels2: torch.Tensor  # [L]
    types: torch.Tensor  # [L]
    features: torch.Tensor  # [L, F]
    stems: torch.Tensor  # [L]
    pieces: torch.Tensor  # [Q]
    piece_words: torch.Tensor  # [Q]
    vectors: torch.Tensor  # [L, H], H = 0 when not cached


def collate_fun2(examples: list[Example]) -> Batch:
    """Pad variable-length documents into one ``Batch`` (the seed's ``collate_fun2``)."""
    return Batch(
        words=pad_sequence([e.words for e in examples], batch_first=True, padding_value=PAD),
        chars=pad_sequence([e.chars for e in examples], batch_first=True, padding_value=PAD_CHAR),
        labels1=pad_sequence([e.labels1 for e in examples], batch_first=True, padding_value=IGNORE_INDEX),
        labels2=pad_sequence([e.labels2 for e in examples], batch_first=True, padding_value=IGNORE_INDEX),
        lengths=torch.tensor([len(e.words) for e in examples], dtype=torch.long),
        index=torch.tensor([e.index for e in examples], dtype=torch.long),
        types=pad_sequence([e.types for e in examples], batch_first=True, padding_value=PAD_TYPE),
        features=pad_sequence([e.features for e in examples], batch_first=True, padding_value=0.0),
        stems=pad_sequence([e.stems for e in examples], batch_first=True, padding_value=PAD_TYPE),
        pieces=pad_sequence([e.pieces for e in examples], batch_first=True, padding_value=0),
        piece_words=pad_sequence([e.piece_words for e in examples], batch_first=True, padding_value=NO_WORD),
        vectors=pad_sequence([e.vectors for e in examples], batch_first=True, padding_value=0.0),
    )


def batch_to_device(batch: Batch, device: torch.device | str) -> Batch:
    """``batch`` on ``device``, except ``lengths``, which stay on the host (packing reads them there)."""
    moved = {k: v.to(device, non_blocking=True) for k, v in batch._asdict().items() if k != "lengths"}
    return batch._replace(**moved)
