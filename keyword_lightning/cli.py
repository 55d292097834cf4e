"""``keyword-lightning``: LightningCLI over ``JointRNN`` and ``KeywordDataModule``.

Subcommands ``fit``, ``validate``, ``test``, ``predict``, and ``serve`` (``serve.py``, no
LightningCLI). ``--ckpt_path best`` / ``last`` resolve to the newest earlier ``fit`` run below
``trainer.default_root_dir`` (or the working directory), also in a new process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lightning.pytorch.callbacks import ProgressBar
from lightning.pytorch.cli import LightningCLI, SaveConfigCallback
from lightning.pytorch.loggers import WandbLogger

from keyword_lightning.callbacks import NonFiniteLossError, TerminalProgressBar
from keyword_lightning.checkpoint import CHECKPOINT_KEY, CheckpointError, read_checkpoint
from keyword_lightning.data.datamodule import KeywordDataModule
from keyword_lightning.data.formats import DataError
from keyword_lightning.decoding import Decoding
from keyword_lightning.model.encoder import EncoderError
from keyword_lightning.model.module import JointRNN
from keyword_lightning.runs import RunError, find_run_checkpoint


class SaveConfigEverywhere(SaveConfigCallback):
    """Saves the resolved config as ``config.yaml`` in the run folder and into the wandb run."""

    def save_config(self, trainer, pl_module, stage: str) -> None:
        """Put the resolved config into each wandb run's config (offline runs too)."""
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                config = json.loads(self.parser.dump(self.config, skip_none=False, format="json"))
                subcommand = getattr(trainer.state.fn, "value", str(trainer.state.fn))  # fit, test, ...
                logger.experiment.config.update({"cli": config, "subcommand": subcommand}, allow_val_change=True)


def continue_wandb_run(loggers: list, run_id: str) -> None:
    """Point the config's ``WandbLogger`` at the wandb run of the checkpoint being resumed or tested."""
    for logger in loggers if isinstance(loggers, list) else [loggers]:
        if str(getattr(logger, "class_path", "")).endswith("WandbLogger") and not logger.init_args.get("id"):
            logger.init_args.id = run_id
            logger.init_args.resume = logger.init_args.get("resume") or "allow"
            print(f"wandb: continuing run {run_id} of the checkpoint", file=sys.stderr)


# Model settings that change how trained weights are decoded or run, not the weights.
DECODING = (*Decoding._fields, "sequence_mode")


class KeywordCLI(LightningCLI):
    """LightningCLI with the data -> model links and run-relative checkpoint names.

    wandb runs are offline unless ``WANDB_MODE`` says otherwise (``WANDB_MODE=online``).
    """

    def __init__(self, *args, **kwargs) -> None:
        os.environ.setdefault("WANDB_MODE", "offline")
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser) -> None:
        """The model's vocabulary, casing, tokenizer and pretrained vectors come from the data."""
        parser.link_arguments("data.vocabulary", "model.vocabulary", apply_on="instantiate")
        parser.link_arguments("data.trainable_words", "model.trainable_words", apply_on="instantiate")
        parser.link_arguments("data.lowercase", "model.lowercase")
        parser.link_arguments("data.tokenizer", "model.tokenizer", apply_on="instantiate")
        parser.link_arguments("data.embedding_path", "model.embedding_file", apply_on="instantiate")

    def instantiate_trainer(self, **kwargs):
        """The Trainer, with ``TerminalProgressBar`` as its progress bar unless one is configured."""
        config = self.config_init[self.subcommand] if self.subcommand else self.config_init
        trainer = config.get("trainer") or {}
        callbacks = trainer.get("callbacks") or []
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        if trainer.get("enable_progress_bar") is not False and not any(isinstance(c, ProgressBar) for c in callbacks):
            kwargs["callbacks"] = [*callbacks, *(kwargs.get("callbacks") or []), TerminalProgressBar()]
        return super().instantiate_trainer(**kwargs)

    def before_instantiate_classes(self) -> None:
        """Decoding settings come from the command line and config, not from the checkpoint.

        LightningCLI puts a checkpoint's hyperparameters over the parsed ones; for settings that
        only change how trained weights are decoded (``--model.decoder argmax`` on a Viterbi-trained
        checkpoint) the command line must win.
        """
        sub = self.config.get("subcommand")
        model = self.config[sub].get("model") if sub else None
        for key, value in getattr(self, "_decoding", {}).items():
            model[key] = value
        if getattr(self, "_encoder_files", None) and model is not None:
            model["encoder_files"] = self._encoder_files  # the checkpoint's encoder: no model files needed

    def parse_arguments(self, parser, args) -> None:
        """Parse, then turn ``--ckpt_path best|last`` into a file of the newest fit run."""
        super().parse_arguments(parser, args)
        sub = self.config.get("subcommand")
        if not sub:
            return
        cfg = self.config[sub]
        ckpt = cfg.get("ckpt_path")
        if ckpt in ("best", "last"):
            root = Path(cfg.trainer.get("default_root_dir") or ".")
            cfg.ckpt_path = str(find_run_checkpoint(root, ckpt))
            print(f"--ckpt_path {ckpt}: {cfg.ckpt_path}", file=sys.stderr)
        model = cfg.get("model")
        self._decoding = {k: model[k] for k in DECODING if model is not None and k in model}
        if cfg.get("ckpt_path"):
            meta = read_checkpoint(cfg.ckpt_path)[CHECKPOINT_KEY]
            self._encoder_files = meta.get("encoder_files")
            if sub == "predict" and cfg.data.get("predict_file") and not cfg.data.get("predict_split"):
                # Raw text needs only the checkpoint (it carries the vocabulary): no dataset is read.
                cfg.data.dataset_file = cfg.data.embedding_file = None
            # A resumed fit, or a test/predict of a checkpoint, logs to the same wandb run.
            if meta.get("wandb_run_id") and cfg.trainer.get("logger"):
                continue_wandb_run(cfg.trainer.logger, str(meta["wandb_run_id"]))


# How `keyword-lightning` builds its CLI (also for tests that run it in-process).
CLI_OPTIONS = {
    "seed_everything_default": 42,
    "save_config_callback": SaveConfigEverywhere,
    "save_config_kwargs": {"overwrite": True},
}


def main(args: list[str] | None = None) -> None:
    """Console entry point; data and checkpoint problems end in one line, exit code 2.

    ``keyword-lightning serve ...`` goes to ``serve.main`` (an HTTP server; no LightningCLI).
    """
    argv = sys.argv[1:] if args is None else args
    if argv[:1] == ["serve"]:
        from keyword_lightning.serve import main as serve

        serve(argv[1:])
        return
    try:
        KeywordCLI(JointRNN, KeywordDataModule, args=args, **CLI_OPTIONS)
    except (DataError, CheckpointError, EncoderError, RunError, NonFiniteLossError) as err:
        print(f"keyword-lightning: error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
