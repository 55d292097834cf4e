"""A pretrained transformer's word vectors (``inputs/encoder.py``): word pieces, windows, the frozen cache.

Data side: each distinct string's word pieces (``encoding()`` hands ``TransformerEncoder.word_pieces``
to ``data.encoding``, which gathers them per document with ``data.pieces``); a frozen encoder's
vectors of a prepared split are cached on disk (``attach``, ``data/encoder_cache.py``). Model side:
``TransformerInput`` [B,T,H]: the batch's cached vectors when it brings them, else computed from
its pieces.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.encoder_cache import attach_cached_vectors
from keyword_lightning.data.encoding import Corpus
from keyword_lightning.inputs.base import BuildContext, Input, SequenceDropout
from keyword_lightning.inputs.encoder import TransformerConfig, TransformerEncoder, TransformerError


class TransformerInput(Input):
    """The encoder's word vectors of a batch, dropped out."""

    name = "transformer"
    Config = TransformerConfig
    order = 40
    build_order = 10  # first: the random initialisation and parameter order of earlier releases
    own_errors = (TransformerError,)  # they name the model they could not load

    def __init__(self, encoder: TransformerEncoder, dropout: nn.Module | None = None) -> None:
        super().__init__(encoder.dim)
        self.encoder = encoder
        self.dropout = dropout if dropout is not None else SequenceDropout(0.0, False)

    @classmethod
    def config(cls, values: dict[str, Any]) -> TransformerConfig:
        """``TransformerConfig.from_dict``: it needs ``name_or_path``."""
        return TransformerConfig.from_dict(values)

    @classmethod
    def build(cls, config: TransformerConfig, context: BuildContext) -> TransformerInput:
        """Its model: from a checkpoint's ``transformer_files`` when given (no model files needed), else pretrained."""
        files = context.transformer_files
        encoder = TransformerEncoder.from_files(config, files) if files else TransformerEncoder.load(config)
        return cls(encoder, context.dropout)

    @property
    def cached(self) -> bool:  # type: ignore[override]
        """A frozen encoder's vectors of a prepared dataset are computed once and kept beside it."""
        return not self.encoder.config.finetune and self.encoder.config.cache

    def encoding(self) -> dict[str, Any]:
        """Word pieces of each string."""
        return {"pieces": self.encoder.word_pieces}

    def attach(self, corpus: Corpus, dataset_file: str, split: str, max_length: int | None) -> None:
        """The frozen encoder's vectors of ``corpus`` from the cache (computed and stored on a miss)."""
        if self.cached:
            attach_cached_vectors(self.encoder, corpus, dataset_file, split, max_length)

    def forward(self, batch: Batch) -> torch.Tensor:
        """[B,T,H]: ``batch.vectors`` when they are the encoder's (a cache), else from ``batch.pieces``."""
        vectors = batch.vectors
        if vectors is None or vectors.shape[-1] != self.width:
            if batch.pieces is None or batch.piece_words is None:
                raise ValueError("this network reads a transformer encoder: give pieces and piece_words")
            vectors = self.encoder(batch.pieces, batch.piece_words, batch.words.shape[1])
        return self.dropout(vectors)
