"""DRNN: the seed's two-head ("joint-layer") RNN as a plain ``nn.Module``, and its ``NetworkConfig``.

    words [B,T] -> embedding (+ context window, + char CNN, + document features,
                 + a transformer's word vectors, ``model/encoder.py``)              -> x [B,T,D]
    x  -> RNN layer 1 -> h1 [B,T,d*H1] -> head 1 -> [B,T,2]  "is this token part of a keyword?"
    h1 -> RNN layer 2 -> h2 [B,T,d*H2] -> head 2 -> [B,T,5]  S/B/M/E/O position tag
                                                    (+ a CRF's transition scores, ``tagging/crf.py``)
    (d = 2 when bidirectional)

Padding never changes a result (``model/rnn.py`` says how each ``sequence_mode`` keeps it so).
Dropout is either plain (a new mask per token) or locked (Gal & Ghahramani's variational
dropout: one mask per sequence, the same at every time step), on the embeddings, between the
layers and before the heads (``model/layers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from keyword_lightning.data.features import CHAR_BUCKETS, DOC_FEATURES, REPEAT_FEATURES
from keyword_lightning.data.vocabulary import PAD
from keyword_lightning.model.encoder import TransformerEncoder
from keyword_lightning.model.layers import CharCNN, SequenceDropout
from keyword_lightning.model.rnn import CELLS, MaskedRNN, resolve_mode
from keyword_lightning.tagging.crf import TagCRF
from keyword_lightning.tagging.schemes import KEYWORD_LABELS, SBMEO


@dataclass(frozen=True)
class NetworkConfig:
    """Every setting of the network, with its default, in one place (``JointRNN`` documents each).

    ``embedding_dim: 0`` drops the word embedding (for a network that reads only a transformer).
    """

    vocab_size: int = 2
    embedding_dim: int = 300
    hidden_size1: int = 300
    hidden_size2: int = 300
    cell: str = "lstm"
    bidirectional: bool = True
    dropout: float = 0.5
    locked_dropout: bool = False
    context_window: int = 1
    char_dim: int = 0
    char_channels: int = 50
    doc_features: bool = False
    repeat_features: bool = False
    crf: bool = False
    trainable_words: int | None = None

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.context_window < 1 or self.context_window % 2 == 0:
            raise ValueError(f"context_window must be odd and positive, got {self.context_window}")

    @classmethod
    def from_hparams(cls, hparams: dict) -> NetworkConfig:
        """The network's part of a ``JointRNN``'s hyperparameters (e.g. a checkpoint's)."""
        return cls(**{f.name: hparams[f.name] for f in fields(cls) if f.name in hparams})

    @property
    def token_dim(self) -> int:
        """Size of what RNN layer 1 reads per token."""
        chars = self.char_channels if self.char_dim > 0 else 0
        return self.embedding_dim * self.context_window + chars + sum(n for n, _ in self.feature_columns())

    def feature_columns(self) -> list[tuple[int, int]]:
        """``(width, first column)`` of each block of ``data.features.document_features`` read."""
        blocks = [(DOC_FEATURES, 0)] if self.doc_features else []
        return blocks + ([(REPEAT_FEATURES, DOC_FEATURES)] if self.repeat_features else [])


class DRNN(nn.Module):
    """The joint-layer network; see the module docstring for shapes."""

    def __init__(self, config: NetworkConfig, encoder: TransformerEncoder | None = None) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder  # its vectors join each token's input
        # Rows [0, trainable) are parameters; the rest (pretrained words that never occur in
        # training, so never get a gradient) a fixed buffer, which spares the optimizer ~100k
        # rows of zero gradient per step.
        vocab, dim = config.vocab_size, config.embedding_dim
        trainable = vocab if config.trainable_words is None else max(2, min(config.trainable_words, vocab))
        self.embedding = nn.Embedding(vocab, dim, padding_idx=PAD)
        fixed = None
        if trainable < vocab:
            rows = self.embedding.weight.detach()
            self.embedding = nn.Embedding(trainable, dim, padding_idx=PAD, _weight=rows[:trainable].clone())
            fixed = rows[trainable:].clone()
        self.register_buffer("fixed_embedding", fixed)
        self.char_cnn = CharCNN(CHAR_BUCKETS, config.char_dim, config.char_channels) if config.char_dim > 0 else None
        directions = 2 if config.bidirectional else 1
        token_dim = config.token_dim + (encoder.dim if encoder is not None else 0)
        self.rnn1 = MaskedRNN(config.cell, token_dim, config.hidden_size1, config.bidirectional)
        self.head1 = nn.Linear(directions * config.hidden_size1, len(KEYWORD_LABELS))
        self.rnn2 = MaskedRNN(config.cell, directions * config.hidden_size1, config.hidden_size2, config.bidirectional)
        self.head2 = nn.Linear(directions * config.hidden_size2, len(SBMEO))
        self.crf = TagCRF() if config.crf else None  # head 2's transition scores (``tagging/crf.py``)
        self.dropout = SequenceDropout(config.dropout, config.locked_dropout)

    @property
    def vocab_size(self) -> int:
        """Embedding rows, trainable and fixed."""
        fixed = self.fixed_embedding
        return self.embedding.num_embeddings + (0 if fixed is None else fixed.shape[0])

    def embedding_rows(self) -> torch.Tensor:
        """All embedding rows [V,E] (a copy), trainable ones first."""
        rows = self.embedding.weight.detach()
        return rows.clone() if self.fixed_embedding is None else torch.cat([rows, self.fixed_embedding])

    def set_embedding_rows(self, rows: torch.Tensor) -> None:
        """Overwrite all embedding rows [V,E]."""
        n = self.embedding.num_embeddings
        with torch.no_grad():
            self.embedding.weight.copy_(rows[:n])
            if self.fixed_embedding is not None:
                self.fixed_embedding.copy_(rows[n:])

    def load_vectors(self, vocabulary: list[str], words: list[str], vectors: np.ndarray) -> None:
        """Embedding rows of ``vocabulary`` from pretrained ``vectors`` [N,E] of ``words``.

        Words without a vector get random rows on the pretrained vectors' scale; the pad row is zero.
        """
        rows = {w: i for i, w in enumerate(words)}
        weight = torch.empty(self.vocab_size, self.embedding.embedding_dim).normal_(0.0, float(vectors.std()))
        hit = [(i, rows[w]) for i, w in enumerate(vocabulary) if w in rows]
        if hit:
            ours, theirs = zip(*hit)
            weight[list(ours)] = torch.from_numpy(vectors[list(theirs)])
        weight[PAD].zero_()
        self.set_embedding_rows(weight)

    def resize_embedding(self, trainable: int, fixed: int | None) -> None:
        """Give the embedding ``trainable`` parameter rows and ``fixed`` buffer rows (values: zero).

        For loading a checkpoint into a network that was built for another vocabulary; a network
        whose embedding has those rows already is left as it is.
        """
        old = self.embedding
        have_fixed = None if self.fixed_embedding is None else self.fixed_embedding.shape[0]
        if old.num_embeddings == trainable and have_fixed == fixed:
            return
        self.embedding = nn.Embedding(trainable, old.embedding_dim, padding_idx=PAD).to(old.weight.device)
        self.embedding.weight.requires_grad_(old.weight.requires_grad)
        self.fixed_embedding = None if fixed is None else old.weight.new_zeros(fixed, old.embedding_dim)

    def embed(self, words: torch.Tensor) -> torch.Tensor:
        """``words`` [B,T] -> [B,T,E]; pads embed to zero."""
        if self.embedding.embedding_dim == 0:  # no word embedding: never look up empty rows (CUDA faults on it)
            return self.embedding.weight.new_zeros((*words.shape, 0))
        if self.fixed_embedding is None:
            return self.embedding(words)
        n = self.embedding.num_embeddings
        own = words < n
        trained = self.embedding(torch.where(own, words, PAD))  # fixed words look up the pad row (no gradient)
        fixed = F.embedding((words - n).clamp(min=0), self.fixed_embedding)
        return torch.where(own.unsqueeze(-1), trained, fixed)

    def token_features(
        self,
        words: torch.Tensor,
        chars: torch.Tensor | None,
        features: torch.Tensor | None = None,
        pieces: torch.Tensor | None = None,
        piece_words: torch.Tensor | None = None,
        vectors: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Embeddings of a ``context_window`` of words around each token, plus char and document features.

        With an encoder, its word vectors [B,T,H] join them: ``vectors`` when the batch brings
        them (a frozen encoder's cache), else computed from ``pieces`` and ``piece_words`` [B,P].
        """
        emb = self.dropout(self.embed(words))  # [B,T,E]; pads embed to zero
        window = self.config.context_window
        if window > 1:
            k = window // 2
            padded = F.pad(emb, (0, 0, k, k))  # zero vectors before the start and past the end
            emb = torch.cat([padded[:, i : i + words.shape[1]] for i in range(2 * k + 1)], dim=-1)
        if self.char_cnn is not None and chars is not None:
            emb = torch.cat([emb, self.dropout(self.char_cnn(chars))], dim=-1)
        for width, first in self.config.feature_columns():  # document statistics [B,T,F], not dropped
            if features is None or features.shape[-1] < first + width:
                raise ValueError(f"this network needs {first + width} document features per token")
            emb = torch.cat([emb, features[..., first : first + width].to(emb.dtype)], dim=-1)
        if self.encoder is not None:
            if vectors is None or vectors.shape[-1] != self.encoder.dim:
                if pieces is None or piece_words is None:
                    raise ValueError("this network reads a transformer encoder: give pieces and piece_words")
                vectors = self.encoder(pieces, piece_words, words.shape[1])
            emb = torch.cat([emb, self.dropout(vectors.to(emb.dtype))], dim=-1)  # [B,T,H]
        return emb

    def forward(
        self,
        words: torch.Tensor,
        chars: torch.Tensor | None,
        lengths: torch.Tensor,
        sequence_mode: str = "auto",
        features: torch.Tensor | None = None,
        pieces: torch.Tensor | None = None,
        piece_words: torch.Tensor | None = None,
        vectors: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return head-1 logits [B,T,2] and head-2 logits [B,T,5]; values at pads are meaningless."""
        mode = resolve_mode(sequence_mode, words.is_cuda)
        x = self.token_features(words, chars, features, pieces, piece_words, vectors)
        h1 = self.rnn1(x, lengths, mode)
        h2 = self.rnn2(self.dropout(h1), lengths, mode)
        return self.head1(self.dropout(h1)), self.head2(self.dropout(h2))
