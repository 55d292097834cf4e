"""Encoding: tokens -> model ids in compact flat arrays (``Corpus``), for training and for tagging.

Work is per distinct string, not per token: each string is looked up and hashed into characters
once, then gathered for all its occurrences; nothing per token is a Python object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from keyword_lightning.data.batch import Example
from keyword_lightning.data.features import DOC_FEATURES, MAX_WORD_CHARS, char_ids, chunk_offsets, document_features
from keyword_lightning.data.inputs import PredictDocument
from keyword_lightning.data.pieces import PieceTable
from keyword_lightning.data.sampler import BucketBatchSampler
from keyword_lightning.data.vocabulary import UNK
from keyword_lightning.scoring.ranking import stem
from keyword_lightning.tagging.schemes import IGNORE_INDEX, bio_codes_to_labels
from keyword_lightning.text.tokenizers import normalize_token


class InputData(Protocol):
    """The data side of one of a model's inputs (``keyword_lightning.inputs``), as the data asks it."""

    def encoding(self) -> dict[str, Any]: ...  # noqa: D102 - options of encode_corpus it needs
    def attach(self, corpus: Corpus, dataset_file: str, split: str, max_length: int | None) -> None: ...  # noqa: D102


class Reading(NamedTuple):
    """How a model reads its data: its vocabulary, casing and tokenizer, and its inputs' data sides."""

    vocabulary: list[str] | None
    lowercase: bool
    tokenizer: str
    inputs: Sequence[InputData] = ()

    def options(self) -> dict[str, Any]:
        """The ``encode_corpus`` options that the inputs ask for, merged."""
        options: dict[str, Any] = {}
        for source in self.inputs:
            options.update(source.encoding())
        return options


class Corpus(TorchDataset):
    """Documents as flat arrays: item ``i`` is tokens ``offsets[i]:offsets[i+1]``.

    Stored compactly (int32 ids, int8 labels, int16 characters per distinct string: about
    20 bytes a token with the document features) and widened per item to what ``collate_fun2``
    pads.
    """

    def __init__(
        self,
        words: np.ndarray,
        strings: np.ndarray,
        char_table: np.ndarray,
        offsets: np.ndarray,
        codes: np.ndarray | None = None,
        types: np.ndarray | None = None,
        features: np.ndarray | None = None,
        stems: np.ndarray | None = None,
        pieces: PieceTable | None = None,
    ) -> None:
        self.words = torch.from_numpy(words.astype(np.int32, copy=False))
        self.strings = torch.from_numpy(strings.astype(np.int32, copy=False))  # [N] row of each token in char_table
        self.char_table = torch.from_numpy(char_table.astype(np.int16, copy=False))  # [n_strings, C]
        self.offsets = offsets.astype(np.int64, copy=False)
        self.types = torch.from_numpy((strings if types is None else types).astype(np.int32, copy=False))
        self.stems = self.types if stems is None else torch.from_numpy(stems.astype(np.int32, copy=False))
        if features is None:
            features = np.zeros((len(words), DOC_FEATURES), dtype=np.float32)
        self.features = torch.from_numpy(features.astype(np.float32, copy=False))
        if codes is None:  # unlabelled (predict): labels are all IGNORE_INDEX
            labels1 = labels2 = np.full(len(words), IGNORE_INDEX, dtype=np.int8)
        else:
            starts = np.zeros(len(words), dtype=bool)
            starts[self.offsets[:-1]] = True
            labels1, labels2 = bio_codes_to_labels(codes, starts)
        self.labels1 = torch.from_numpy(labels1.astype(np.int8, copy=False))
        self.labels2 = torch.from_numpy(labels2.astype(np.int8, copy=False))
        self.pieces = pieces  # a transformer encoder's pieces of each string (None: no encoder)
        self.vectors: torch.Tensor | None = None  # [N,H] a frozen encoder's vectors (``encoder_cache.py``)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        """Token count of each item."""
        return np.diff(self.offsets)

    def __getitem__(self, i: int) -> Example:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        if self.pieces is None:
            pieces = piece_words = torch.zeros(0, dtype=torch.long)
        else:
            pieces, piece_words = (torch.from_numpy(a) for a in self.pieces.gather(self.strings[lo:hi].numpy()))
        vectors = self.vectors[lo:hi].float() if self.vectors is not None else torch.zeros(hi - lo, 0)
        return Example(
            i,
            self.words[lo:hi].long(),
            self.char_table[self.strings[lo:hi].long()].long(),
            self.labels1[lo:hi].long(),
            self.labels2[lo:hi].long(),
            self.types[lo:hi].long(),
            self.features[lo:hi],
            self.stems[lo:hi].long(),
            pieces,
            piece_words,
            vectors,
        )


def encode_corpus(
    strings: list[str],
    token_strings: np.ndarray,
    offsets: np.ndarray,
    codes: np.ndarray | None,
    vocabulary: list[str],
    lowercase: bool,
    max_length: int | None,
    stems: bool = False,
    pieces: Callable[[list[str]], list[list[int]]] | None = None,
    repeats: bool = False,
) -> tuple[Corpus, np.ndarray]:
    """Map a flat corpus (indices into ``strings``) to model ids; split long documents.

    Returns ``(corpus, source)``: item ``i`` of the corpus comes from document ``source[i]``.
    Document features are computed on whole documents, before long ones are split. With
    ``stems`` each token also gets the id of its Porter stem (what stemmed F1@k compares).
    ``pieces`` splits strings into a transformer encoder's word pieces (``TransformerEncoder.word_pieces``).
    ``repeats`` adds the repeat features (``data.features.document_features``).
    """
    index = word_index(vocabulary)
    # int32 per token (a KP20k-size corpus has ~100M tokens); Corpus stores int32 anyway.
    lookup = np.array([index.get(normalize_token(s, lowercase), UNK) for s in strings], dtype=np.int32)
    lowered: dict[str, int] = {}
    type_of = np.array([lowered.setdefault(s.lower(), len(lowered)) for s in strings], dtype=np.int32)
    types = type_of[token_strings] if len(strings) else np.zeros(0, dtype=np.int32)
    features = document_features(types, offsets, repeats)
    table = np.zeros((max(1, len(strings)), MAX_WORD_CHARS), dtype=np.int16)
    for row, s in enumerate(strings):
        ids = char_ids(s)
        table[row, : len(ids)] = ids
    stem_ids = None
    if stems and len(strings):
        by_stem: dict[str, int] = {}
        stem_of = np.array([by_stem.setdefault(stem(s), len(by_stem)) for s in strings], dtype=np.int32)
        stem_ids = stem_of[token_strings]
    offsets, source = chunk_offsets(offsets, max_length)
    words = lookup[token_strings] if len(strings) else np.zeros(0, dtype=np.int32)
    piece_table = PieceTable(strings, pieces) if pieces is not None else None
    return Corpus(words, token_strings, table, offsets, codes, types, features, stem_ids, piece_table), source


_LAST_INDEX: tuple[list[str], int, dict[str, int]] | None = None  # (vocabulary, its length, its index)


def word_index(vocabulary: list[str]) -> dict[str, int]:
    """Each word's row, kept for the last vocabulary list seen.

    A predicting caller (``KeywordExtractor``, the server) passes the same list on every call;
    building the dict of a whole vocabulary on each call was a large share of a small call's time
    (measured: benchmarks/results/NOTES.md#data-encoding).
    """
    global _LAST_INDEX
    if _LAST_INDEX is None or _LAST_INDEX[0] is not vocabulary or _LAST_INDEX[1] != len(vocabulary):
        _LAST_INDEX = (vocabulary, len(vocabulary), {w: i for i, w in enumerate(vocabulary)})
    return _LAST_INDEX[2]


def encode_documents(
    docs: list[PredictDocument],
    vocabulary: list[str],
    lowercase: bool,
    max_length: int | None,
    pieces: Callable[[list[str]], list[list[int]]] | None = None,
    repeats: bool = False,
) -> tuple[Corpus, np.ndarray, np.ndarray]:
    """Encode documents to tag; returns ``(corpus, source, piece_start)``.

    Item ``i`` of the corpus is tokens ``piece_start[i]:...`` of document ``source[i]``
    (long documents become several items).
    """
    table: dict[str, int] = {}
    flat = [table.setdefault(t, len(table)) for d in docs for t in d.tokens]
    lengths = np.array([len(d.tokens) for d in docs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    corpus, source = encode_corpus(
        list(table),
        np.asarray(flat, dtype=np.int64),
        offsets,
        None,
        vocabulary,
        lowercase,
        max_length,
        pieces=pieces,
        repeats=repeats,
    )
    return corpus, source, corpus.offsets[:-1] - offsets[source]


def prediction_sampler(corpus: Corpus, batch_size: int, replicas: int = 1, rank: int = 0) -> BucketBatchSampler:
    """Length-sorted batches over the non-empty items (empty documents get no model call)."""
    items = np.flatnonzero(corpus.lengths() > 0)
    return BucketBatchSampler(
        corpus.lengths(), batch_size, shuffle=False, num_replicas=replicas, rank=rank, items=items
    )
