"""The seed's optimizer, Adam, with a fine-tuned transformer encoder as its own warmed-up group."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from keyword_lightning.inputs.encoder import TransformerEncoder


@dataclass(frozen=True)
class OptimizerConfig:
    """``model.optimizer``: Adam's learning rate and weight decay (LightningCLI's ``--optimizer`` overrides them)."""

    lr: float = 1e-3
    weight_decay: float = 0.0


def adam(params: Iterable[nn.Parameter], encoder: TransformerEncoder | None, lr: float, weight_decay: float) -> Any:
    """Adam over the trainable ``params``, as ``LightningModule.configure_optimizers`` returns it.

    A fine-tuned encoder's trainable parameters are a second group with the encoder's own
    learning rate, which rises linearly over its ``warmup_steps`` (stepped every batch; the
    RNN's stays constant). Empty parameters (``words: {dim: 0}``) stay out: nothing to train,
    and no empty kernels.
    """
    tuned = [p for p in encoder.parameters() if p.requires_grad] if encoder is not None else []
    own = {id(p) for p in tuned}
    rest = [p for p in params if p.requires_grad and p.numel() and id(p) not in own]
    if not tuned:
        return torch.optim.Adam(rest, lr=lr, weight_decay=weight_decay)
    groups = [{"params": rest}, {"params": tuned, "lr": encoder.config.lr}]
    optimizer = torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
    warmup = max(1, encoder.config.warmup_steps)
    ramps = [lambda step: 1.0, lambda step: min(1.0, (step + 1) / warmup)]  # per group: RNN, encoder
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, ramps)
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
