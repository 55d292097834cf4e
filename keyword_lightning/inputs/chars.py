"""Characters of each token -> a character CNN's features.

Data side: each distinct string's hashed character ids (``data.features.char_ids``, computed once
per string by ``data.encoding``), nothing cached. Model side: ``CharsInput`` [B,T,channels].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from keyword_lightning.data.batch import PAD_CHAR, Batch
from keyword_lightning.data.features import CHAR_BUCKETS
from keyword_lightning.inputs.base import BuildContext, Input, SequenceDropout

__all__ = ["CharCNN", "CharsConfig", "CharsInput", "SequenceDropout"]


@dataclass(frozen=True)
class CharsConfig:
    """``chars`` in ``model.inputs``: a character CNN.

    ``dim``: size of a character's embedding; ``channels``: the CNN's output width per token.
    """

    dim: int = 25
    channels: int = 50


class CharCNN(nn.Module):
    """Per-token character features: embed hashed chars, 3-wide convolution, max over the word."""

    def __init__(self, buckets: int, char_dim: int, channels: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(buckets, char_dim, padding_idx=PAD_CHAR)
        self.conv = nn.Conv1d(char_dim, channels, kernel_size=3, padding=1)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        """``chars`` [B,T,C] -> [B,T,channels]; all-pad tokens give zeros."""
        b, t, c = chars.shape
        x = self.embedding(chars.view(b * t, c)).transpose(1, 2)  # [BT, d, C]
        h = self.conv(x).transpose(1, 2)  # [BT, C, ch]
        h = h.masked_fill((chars.view(b * t, c) == PAD_CHAR).unsqueeze(-1), float("-inf"))
        h = h.max(dim=1).values  # [BT, ch]
        return torch.nan_to_num(h, neginf=0.0).view(b, t, -1)


class CharsInput(Input):
    """The character CNN over ``batch.chars``, dropped out."""

    name = "chars"
    Config = CharsConfig
    order = 20
    build_order = 30

    def __init__(self, char_dim: int, channels: int, dropout: nn.Module | None = None) -> None:
        super().__init__(channels)
        self.cnn = CharCNN(CHAR_BUCKETS, char_dim, channels)
        self.dropout = dropout if dropout is not None else SequenceDropout(0.0, False)

    @classmethod
    def build(cls, config: CharsConfig, context: BuildContext) -> CharsInput:
        """The CNN of ``config``, with the network's dropout."""
        return cls(config.dim, config.channels, context.dropout)

    def forward(self, batch: Batch) -> torch.Tensor:
        """[B,T,channels]."""
        return self.dropout(self.cnn(batch.chars))
