"""Layers of the token encoder: dropout variants and the character CNN."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from keyword_lightning.data.batch import PAD_CHAR


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
