"""DRNN: the seed's two-head ("joint-layer") RNN as a plain ``nn.Module``.

    words [B,T] -> embedding (+ context window, + char CNN, + document features) -> x [B,T,D]
    x  -> RNN layer 1 -> h1 [B,T,d*H1] -> head 1 -> [B,T,2]  "is this token part of a keyword?"
    h1 -> RNN layer 2 -> h2 [B,T,d*H2] -> head 2 -> [B,T,5]  S/B/M/E/O position tag
    (d = 2 when bidirectional)

Padding never changes a result. Three exact ways to run a layer over a padded batch:
- ``packed``: ``pack_padded_sequence``, the textbook way.
- ``padded``: run the plain padded batch. The forward direction reads pads only after every
  real token, so its outputs at real positions are exact. The backward direction instead gets
  each sequence reversed *within its own length*, so it too starts at the last real token.
  On a CPU this is much faster than packed: packed backward passes slow down badly when
  lengths differ in a batch (measured 2x slower for a uni RNN, 12x for a BiLSTM, torch 2.13).
- ``segmented``: ``padded``, but the time axis is cut into a few segments and each segment
  runs only the sequences still going, handing their final state to the next segment. It
  skips most pad steps (a length-bucketed Inspec batch of 64 has 11% pads; segmented runs
  about 1%) for a handful of extra RNN calls.
``auto`` picks padded on CUDA and segmented on a CPU. (On an H200 the default BiLSTM model
trained about 4x faster on padded length-bucketed batches of 32 than on packed ones: cuDNN's
packed calls cost more than the few pads they skip; benchmarks/results/gpu.md.) The initial
hidden state is zero.

Dropout is either plain (a new mask per token) or locked (Gal & Ghahramani's variational
dropout: one mask per sequence, the same at every time step), on the embeddings, between the
layers and before the heads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
SEQUENCE_MODES = ("auto", "packed", "padded", "segmented")


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of ``x`` [B,T,...] in its first ``lengths[b]`` steps; pads stay put.

    Applying it twice gives ``x`` back.
    """
    steps = x.shape[1]
    t = torch.arange(steps, device=x.device).unsqueeze(0)  # [1,T]
    rev = lengths.to(x.device).unsqueeze(1) - 1 - t  # [B,T]
    index = torch.where(rev >= 0, rev, t)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


def time_segments(lengths: torch.Tensor, shrink: float = 0.25) -> list[tuple[int, int, int]]:
    """Cut the time axis for ``lengths`` sorted longest first into ``(start, stop, rows)`` segments.

    In segment ``[start, stop)`` the first ``rows`` sequences are still going; a segment ends
    where that count has fallen by about ``shrink``, so pads run on at most that share of rows.
    """
    ls = lengths.tolist()
    out, start, rows = [], 0, len(ls)
    while rows and ls[0] > start:
        keep = int(rows * (1 - shrink))  # sequences that should still be running after the segment
        stop = ls[keep] if keep > 0 and ls[keep] > start else ls[0]
        out.append((start, stop, rows))
        start = stop
        while rows and ls[rows - 1] <= start:
            rows -= 1
    return out


class MaskedRNN(nn.Module):
    """One RNN layer (rnn, gru or lstm), optionally bidirectional, exact under padding."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, bidirectional: bool) -> None:
        super().__init__()
        rnn = CELLS[cell]
        self.forward_rnn = rnn(input_size, hidden_size, batch_first=True)
        self.backward_rnn = rnn(input_size, hidden_size, batch_first=True) if bidirectional else None

    @staticmethod
    def _run(rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor, packed: bool) -> torch.Tensor:
        if not packed:
            return rnn(x)[0]
        seq = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        return pad_packed_sequence(rnn(seq)[0], batch_first=True, total_length=x.shape[1])[0]

    @staticmethod
    def _run_segments(rnn: nn.Module, x: torch.Tensor, segments: list[tuple[int, int, int]]) -> torch.Tensor:
        """``x`` [B,T,D] with rows sorted longest first: each segment runs its rows from the last state."""
        # split() rather than x[:, start:stop]: the backward pass of a slice writes a zero tensor
        # of the whole input, once per segment; split's backward is one cat.
        pieces = x.split([stop - start for start, stop, _ in segments] + [x.shape[1] - segments[-1][1]], dim=1)
        outs, state = [], None
        for piece, (_, _, rows) in zip(pieces, segments):
            if state is not None:  # the rows going on were real through the whole last segment
                state = tuple(s[:, :rows] for s in state) if isinstance(state, tuple) else state[:, :rows]
            out, state = rnn(piece[:rows] if rows < x.shape[0] else piece, state)  # [rows, stop-start, H]
            outs.append(F.pad(out, (0, 0, 0, 0, 0, x.shape[0] - rows)))  # finished rows: zeros
        out = torch.cat(outs, dim=1)
        return F.pad(out, (0, 0, 0, x.shape[1] - out.shape[1]))  # [B,T,H]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, mode: str) -> torch.Tensor:
        """``x`` [B,T,D] -> outputs [B,T,H] (or [B,T,2H], forward then backward).

        ``mode``: ``packed``, ``padded`` or ``segmented`` (module docstring); ``lengths`` on the host.
        """
        order, segments = None, None
        if mode == "segmented":
            order = torch.argsort(lengths, descending=True, stable=True)
            if bool((order == torch.arange(len(order))).all()):
                order = None  # already longest first (the bucket sampler's order)
            else:
                x, lengths = x[order.to(x.device)], lengths[order]
            segments = time_segments(lengths) or None  # None: nothing but empty documents

        def run(rnn: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
            if segments is not None:
                return self._run_segments(rnn, inputs, segments)
            return self._run(rnn, inputs, lengths, mode == "packed")

        out = run(self.forward_rnn, x)
        if self.backward_rnn is not None:
            back = run(self.backward_rnn, reverse_within_length(x, lengths))
            out = torch.cat([out, reverse_within_length(back, lengths)], dim=-1)
        if order is not None:
            out = out[torch.argsort(order).to(out.device)]
        return out


class SequenceDropout(nn.Module):
    """Dropout on [B,T,D] sequences; ``locked`` shares one [B,1,D] mask across all time steps."""

    def __init__(self, p: float, locked: bool) -> None:
        super().__init__()
        self.p, self.locked = p, locked

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` scaled by an inverted-dropout mask (identity in eval mode)."""
        if not self.training or self.p == 0.0:
            return x
        if not self.locked:
            return F.dropout(x, self.p, training=True)
        mask = x.new_empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask


class CharCNN(nn.Module):
    """Per-token character features: embed hashed chars, 3-wide convolution, max over the word."""

    def __init__(self, buckets: int, char_dim: int, channels: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(buckets, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, channels, kernel_size=3, padding=1)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        """``chars`` [B,T,C] -> [B,T,channels]; all-pad tokens give zeros."""
        b, t, c = chars.shape
        x = self.embedding(chars.view(b * t, c)).transpose(1, 2)  # [BT, d, C]
        h = self.conv(x).transpose(1, 2)  # [BT, C, ch]
        h = h.masked_fill((chars.view(b * t, c) == 0).unsqueeze(-1), float("-inf"))
        h = h.max(dim=1).values  # [BT, ch]
        return torch.nan_to_num(h, neginf=0.0).view(b, t, -1)


class DRNN(nn.Module):
    """The joint-layer network; see the module docstring for shapes."""

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 300,
        hidden_size1: int = 300,
        hidden_size2: int = 300,
        cell: str = "lstm",
        bidirectional: bool = True,
        dropout: float = 0.5,
        context_window: int = 1,
        char_buckets: int = 512,
        char_dim: int = 0,
        char_channels: int = 50,
        doc_features: int = 0,
        locked_dropout: bool = False,
        trainable_words: int | None = None,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
        if context_window < 1 or context_window % 2 == 0:
            raise ValueError(f"context_window must be odd and positive, got {context_window}")
        self.context_window = context_window
        # Rows [0, trainable) are parameters; the rest (pretrained words that never occur in
        # training, so never get a gradient) a fixed buffer, which spares the optimizer ~100k
        # rows of zero gradient per step.
        trainable = vocab_size if trainable_words is None else max(2, min(trainable_words, vocab_size))
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        fixed = None
        if trainable < vocab_size:
            rows = self.embedding.weight.detach()
            self.embedding = nn.Embedding(trainable, embedding_dim, padding_idx=0, _weight=rows[:trainable].clone())
            fixed = rows[trainable:].clone()
        self.register_buffer("fixed_embedding", fixed)
        self.char_cnn = CharCNN(char_buckets, char_dim, char_channels) if char_dim > 0 else None
        self.doc_features = doc_features
        self.bidirectional = bidirectional
        token_dim = embedding_dim * context_window + (char_channels if char_dim > 0 else 0) + doc_features
        directions = 2 if bidirectional else 1
        self.rnn1 = MaskedRNN(cell, token_dim, hidden_size1, bidirectional)
        self.head1 = nn.Linear(directions * hidden_size1, 2)
        self.rnn2 = MaskedRNN(cell, directions * hidden_size1, hidden_size2, bidirectional)
        self.head2 = nn.Linear(directions * hidden_size2, 5)
        self.dropout = SequenceDropout(dropout, locked_dropout)

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

    def embed(self, words: torch.Tensor) -> torch.Tensor:
        """``words`` [B,T] -> [B,T,E]; pads embed to zero."""
        if self.fixed_embedding is None:
            return self.embedding(words)
        n = self.embedding.num_embeddings
        own = words < n
        trained = self.embedding(torch.where(own, words, 0))  # fixed words look up the pad row (no gradient)
        fixed = F.embedding((words - n).clamp(min=0), self.fixed_embedding)
        return torch.where(own.unsqueeze(-1), trained, fixed)

    def token_features(
        self, words: torch.Tensor, chars: torch.Tensor | None, features: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Embeddings of a ``context_window`` of words around each token, plus char and document features."""
        emb = self.dropout(self.embed(words))  # [B,T,E]; pads embed to zero
        if self.context_window > 1:
            k = self.context_window // 2
            padded = F.pad(emb, (0, 0, k, k))  # zero vectors before the start and past the end
            emb = torch.cat([padded[:, i : i + words.shape[1]] for i in range(2 * k + 1)], dim=-1)
        if self.char_cnn is not None and chars is not None:
            emb = torch.cat([emb, self.dropout(self.char_cnn(chars))], dim=-1)
        if self.doc_features:
            if features is None or features.shape[-1] != self.doc_features:
                raise ValueError(f"this network needs {self.doc_features} document features per token")
            emb = torch.cat([emb, features.to(emb.dtype)], dim=-1)  # [B,T,F], not dropped
        return emb

    def forward(
        self,
        words: torch.Tensor,
        chars: torch.Tensor | None,
        lengths: torch.Tensor,
        sequence_mode: str = "auto",
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return head-1 logits [B,T,2] and head-2 logits [B,T,5]; values at pads are meaningless."""
        # auto: padded on a GPU (bucketed batches have few pads, and cuDNN's padded kernels
        # beat its packed ones there), segmented on a CPU (whose RNN cost follows rows x steps computed).
        mode = sequence_mode
        if mode == "auto":
            mode = "padded" if words.is_cuda else "segmented"
        x = self.token_features(words, chars, features)
        h1 = self.rnn1(x, lengths, mode)
        h2 = self.rnn2(self.dropout(h1), lengths, mode)
        return self.head1(self.dropout(h1)), self.head2(self.dropout(h2))
