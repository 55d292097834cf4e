"""Lightning's ``WandbLogger`` without the setting that makes wandb warn at every start."""

from __future__ import annotations

from lightning.pytorch.loggers import WandbLogger as LightningWandbLogger


class WandbLogger(LightningWandbLogger):
    """``lightning.pytorch.loggers.WandbLogger``, less ``anonymous=None`` in ``wandb.init``.

    Lightning always passes ``anonymous``; wandb 0.2x+ warns "The anonymous setting has no effect"
    whenever the key is present, on every run. Given ``anonymous=True``, it is passed on as before.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self._wandb_init.get("anonymous") is None:
            self._wandb_init.pop("anonymous", None)
