"""The callbacks ``JointRNN`` brings along (``configure_callbacks``): its side jobs in a fit, test or predict.

- ``RandomState``: torch's random state goes into each checkpoint, and a resumed fit starts from
  it: dropout draws from torch's global stream, so a resumed run continues the same stream
  (an exact resume on CPU).
- ``WandbRunId``: the id of the wandb run goes into each checkpoint; the CLI continues that run
  when the checkpoint is resumed or tested (``training/loggers.py``).
- ``DataReading``: the data module is told how this model reads (``JointRNN.reading``), and a fit
  takes the data's tokenizer.

Both kept values sit in the checkpoint's ``CHECKPOINT_KEY`` entry (``model/checkpoint.py``), where
``JointRNN.on_save_checkpoint`` adds the rest.
"""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch import Callback
from lightning.pytorch.loggers import WandbLogger

from keyword_lightning.model.checkpoint import CHECKPOINT_KEY


def _entry(ckpt: dict[str, Any]) -> dict[str, Any]:
    return ckpt.setdefault(CHECKPOINT_KEY, {})


class RandomState(Callback):
    """Keeps torch's random state in each checkpoint; a fit resumed from one continues its stream."""

    def __init__(self) -> None:
        self.resumed: torch.Tensor | None = None

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        """Store the state as of this save."""
        _entry(checkpoint)["torch_rng_state"] = torch.get_rng_state()

    def on_load_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        """Hold a resumed fit's state until training starts (Lightning calls this only when a fit resumes)."""
        state = (checkpoint.get(CHECKPOINT_KEY) or {}).get("torch_rng_state")
        self.resumed = state if isinstance(state, torch.Tensor) and state.dtype == torch.uint8 else None

    def on_train_start(self, trainer, pl_module) -> None:
        """Continue the resumed run's random stream."""
        if self.resumed is not None:
            torch.set_rng_state(self.resumed.cpu())
        self.resumed = None


class WandbRunId(Callback):
    """Keeps the id of the fit's wandb run (None: none) in each checkpoint."""

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        """The first wandb logger's run id (``WandbLogger.version``: its run's, or the one it was given)."""
        runs = [logger.version for logger in trainer.loggers if isinstance(logger, WandbLogger)]
        _entry(checkpoint)["wandb_run_id"] = str(runs[0]) if runs and runs[0] is not None else None


class DataReading(Callback):
    """Hands the data module what it asks of the model (``read_as``); on fit, the model takes the data's tokenizer."""

    def setup(self, trainer, pl_module, stage: str) -> None:
        """Before the model's own ``setup``, after the data module's."""
        datamodule = trainer.datamodule
        if stage == "fit" and getattr(datamodule, "tokenizer", None):
            pl_module.tokenizer = datamodule.tokenizer
        if hasattr(datamodule, "read_as"):
            datamodule.read_as(pl_module.reading)
