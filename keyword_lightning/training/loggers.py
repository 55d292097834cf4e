"""``WandbLogger`` without the setting that makes wandb warn at every start; a run continued, a run ended."""

from __future__ import annotations

import sys
from pathlib import Path

from lightning.pytorch.loggers import WandbLogger as LightningWandbLogger

from keyword_lightning.runtime import say


class WandbLogger(LightningWandbLogger):
    """``lightning.pytorch.loggers.WandbLogger``, less ``anonymous=None`` in ``wandb.init``.

    Lightning always passes ``anonymous``; wandb 0.2x+ warns "The anonymous setting has no effect"
    whenever the key is present, on every run. Given ``anonymous=True``, it is passed on as before.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self._wandb_init.get("anonymous") is None:
            self._wandb_init.pop("anonymous", None)


def continue_wandb_run(loggers: list, run_id: str) -> None:
    """Point the config's ``WandbLogger`` at the wandb run of the checkpoint being resumed or tested."""
    for logger in loggers if isinstance(loggers, list) else [loggers]:
        if str(getattr(logger, "class_path", "")).endswith("WandbLogger") and not logger.init_args.get("id"):
            logger.init_args.id = run_id
            logger.init_args.resume = logger.init_args.get("resume") or "allow"
            say(f"wandb: continuing run {run_id} of the checkpoint")


def finish_wandb() -> None:
    """End this process's wandb run now (its lines go to stderr), and say in one line where it is."""
    wandb = sys.modules.get("wandb")
    run = getattr(wandb, "run", None) if wandb else None
    if run is None:
        return
    folder, offline = Path(run.dir).parent, run.settings.mode == "offline"
    wandb.finish()
    if offline:
        say(f"wandb: offline run in {folder} (upload it with: wandb sync {folder})")
