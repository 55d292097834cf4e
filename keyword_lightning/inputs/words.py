"""Word ids -> embedding rows (random or GloVe vectors), in a context window; rarely seen rows kept fixed.

Data side: the word ids (``data.encoding`` looks every token up in the vocabulary), nothing cached.
Model side: ``WordsInput`` [B,T,E*window]. Rows [0, trainable) are parameters; the rest
(pretrained words that never occur in training, so never get a gradient) a fixed buffer, which
spares the optimizer ~100k rows of zero gradient per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from keyword_lightning.data.batch import Batch
from keyword_lightning.data.vocabulary import PAD, UNK
from keyword_lightning.inputs.base import BuildContext, Input, SequenceDropout


@dataclass(frozen=True)
class WordsConfig:
    """``words`` in ``model.inputs``: the word embedding (every network has one; it holds the vocabulary).

    Args:
        dim: size of random embeddings (pretrained vectors bring their own); 0: no word vectors,
            for a network that reads only a transformer.
        context_window: odd number of neighbouring words' embeddings per token (Zhang et al.: 3).
        freeze: keep the embedding fixed (pretrained vectors as they are).
        word_dropout: chance that a training token is read as ``<unk>`` (so ``<unk>`` is trained).

    """

    dim: int = 300
    context_window: int = 1
    freeze: bool = False
    word_dropout: float = 0.0


class WordsInput(Input):
    """Embeddings of a ``window`` of words around each token (dropped out before the window is taken)."""

    name = "words"
    Config = WordsConfig
    order = 10
    build_order = 20
    required = "it holds the vocabulary; words: {dim: 0} reads no vectors"

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        window: int = 1,
        trainable: int | None = None,
        dropout: nn.Module | None = None,
        word_dropout: float = 0.0,
    ) -> None:
        super().__init__(dim * window)
        if window < 1 or window % 2 == 0:
            raise ValueError(f"context_window must be odd and positive, got {window}")
        if not 0.0 <= word_dropout < 1.0:
            raise ValueError(f"word_dropout must be in [0, 1), got {word_dropout}")
        self.window, self.word_dropout = window, word_dropout
        trainable = vocab_size if trainable is None else max(2, min(trainable, vocab_size))
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        fixed = None
        if trainable < vocab_size:
            rows = self.embedding.weight.detach()
            self.embedding = nn.Embedding(trainable, dim, padding_idx=PAD, _weight=rows[:trainable].clone())
            fixed = rows[trainable:].clone()
        self.register_buffer("fixed_embedding", fixed)
        self.dropout = dropout if dropout is not None else SequenceDropout(0.0, False)

    @classmethod
    def build(cls, config: WordsConfig, context: BuildContext) -> WordsInput:
        """The embedding of ``context.vocab_size`` rows, the first ``trainable_words`` trainable."""
        words = cls(
            context.vocab_size,
            config.dim,
            config.context_window,
            context.trainable_words,
            context.dropout,
            config.word_dropout,
        )
        words.embedding.weight.requires_grad_(not config.freeze)
        return words

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
        """Embedding rows of ``vocabulary`` from pretrained ``vectors`` [N,E] of ``words`` (e.g. GloVe).

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

        For loading a checkpoint into a network that was built for another vocabulary; an
        embedding that has those rows already is left as it is.
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

    def forward(self, batch: Batch) -> torch.Tensor:
        """[B,T,E*window]: each token's embedding, then its neighbours' (zero vectors past the edges)."""
        words = batch.words  # [B,T]
        if self.training and self.word_dropout > 0:  # some real tokens read as <unk> (pads stay pads)
            drop = (torch.rand(words.shape, device=words.device) < self.word_dropout) & (words != PAD)
            words = words.masked_fill(drop, UNK)
        emb = self.dropout(self.embed(words))  # [B,T,E]
        if self.window > 1:
            k = self.window // 2
            padded = F.pad(emb, (0, 0, k, k))
            emb = torch.cat([padded[:, i : i + words.shape[1]] for i in range(2 * k + 1)], dim=-1)
        return emb
