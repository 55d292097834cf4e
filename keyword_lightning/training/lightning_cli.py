"""``keyword-lightning fit|validate|test|predict``: LightningCLI over ``JointRNN`` and ``KeywordDataModule``.

The other commands (``commands.COMMANDS``) are no LightningCLI. ``--ckpt_path best`` / ``last``
resolve to the newest earlier ``fit`` run (``commands.resolve_checkpoint``, ``runs.SEARCH_ORDER``).
``validate``, ``test`` and ``predict`` need no ``--config``: the checkpoint holds the model (``configs/checkpoint.yaml``
in the package gives the rest), and they start no logger (no run folder, no wandb run) unless ``--trainer.logger
true`` asks for the config's loggers. stdout carries only results; errors are one line, exit status 2.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from lightning.pytorch.callbacks import ProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.loggers import WandbLogger

from keyword_lightning.commands import PRETRAINED, PROG, fail, resolve_checkpoint
from keyword_lightning.data.datamodule import KeywordDataModule
from keyword_lightning.data.formats import DataError
from keyword_lightning.inputs.encoder import TransformerError
from keyword_lightning.inputs.registry import SettingsError
from keyword_lightning.model.checkpoint import CHECKPOINT_KEY, CheckpointError, read_checkpoint, transformer_files
from keyword_lightning.model.module import JointRNN
from keyword_lightning.model.settings import FLAT_KEYS, ModelSettings, new_place
from keyword_lightning.runs import SEARCH_ORDER, RunError
from keyword_lightning.runtime import (
    QUIET_ENV,
    is_quiet,
    quiet_third_parties,
    restore_stdout,
    results_only_on_stdout,
    results_stream,
    say,
    set_quiet,
    set_threads,
)
from keyword_lightning.training.callbacks import NonFiniteLossError, PredictionWriter, TerminalProgressBar
from keyword_lightning.training.loggers import continue_wandb_run, finish_wandb

CHECKPOINT_DEFAULTS = Path(__file__).parents[1] / "configs" / "checkpoint.yaml"
EVALUATING = ("validate", "test", "predict")  # commands that read a trained checkpoint
ERRORS = (DataError, CheckpointError, TransformerError, RunError, NonFiniteLossError, SettingsError)


class SaveConfigEverywhere(SaveConfigCallback):
    """Saves the resolved config as ``config.yaml`` in the run folder and into the wandb run.

    A command without a logger (validate, test, predict by default) has no run folder: nothing is saved.
    """

    def setup(self, trainer, pl_module, stage: str) -> None:
        """Save, unless there is no run folder to save into."""
        if trainer.loggers:
            super().setup(trainer, pl_module, stage)

    def save_config(self, trainer, pl_module, stage: str) -> None:
        """Put the resolved config into each wandb run's config (offline runs too)."""
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                config = json.loads(self.parser.dump(self.config, skip_none=False, format="json"))
                subcommand = getattr(trainer.state.fn, "value", str(trainer.state.fn))  # fit, test, ...
                logger.experiment.config.update({"cli": config, "subcommand": subcommand}, allow_val_change=True)


# Modules moved into the packages by stage (issue 23), old -> new: a config that names a class by its
# old path (``keyword_lightning.callbacks.PredictionWriter``) fails with a line naming the new one.
# fmt: off
MOVED_MODULES = {f"keyword_lightning.{old}": f"keyword_lightning.{new}" for old, new in {
    "callbacks": "training.callbacks", "loggers": "training.loggers", "plots": "training.plots",
    "metrics": "scoring.metrics", "ranking": "scoring.ranking", "decoding": "tagging.decoding",
    "model.crf": "tagging.crf", "checkpoint": "model.checkpoint", "predictions": "inference.predictions",
    "extractor": "inference.extractor", "serve_http": "serve.http", "serve_loop": "serve.loop",
    "serve_requests": "serve.requests", "model.encoder": "inputs.encoder", "model.pretrained": "inputs.pretrained",
    "model.layers": "inputs.chars",
}.items()}
# fmt: on
_MOVED = re.compile(r"\b(" + "|".join(map(re.escape, MOVED_MODULES)) + r")\b((?:\.\w+)*)")


# A flat model key of earlier releases, on the command line or in a config file.
_FLAT = re.compile(r"(?:(?<![\w.])model\.|Group 'model' does not accept option ')(" + "|".join(FLAT_KEYS) + r")\b")


def moved_paths(message: str) -> list[str]:
    """``OLD is now NEW`` for each moved module (``MOVED_MODULES``) or flat model key (``FLAT_KEYS``) in ``message``."""
    notes = {match.group(0): MOVED_MODULES[match.group(1)] + match.group(2) for match in _MOVED.finditer(message)}
    notes.update({f"model.{m.group(1)}": new_place(m.group(1)) for m in _FLAT.finditer(message)})
    return [f"{old} is now {new}" for old, new in notes.items()]


class OneLineErrors(LightningArgumentParser):
    """Argument errors as one line (no usage dump), naming the option; exit status 2."""

    def error(self, message: str, ex: Exception | None = None):
        """Print ``keyword-lightning SUB: error: ...`` on one line and exit 2 (jsonargparse's own rules else)."""
        if not self.exit_on_error:
            return super().error(message, ex)
        text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
        text = "; ".join([*moved_paths(text), text])  # a moved class's new path first: it survives the cut
        text = text if len(text) <= 400 else text[:397] + "..."
        prog = self.prog.replace(" [options]", "")
        sys.stderr.write(f"{prog}: error: {text} (see {prog} --help)\n")
        sys.exit(2)


def logger_flag(args: list[str]) -> tuple[list[str], str | None]:
    """``args`` less a ``--trainer.logger true``, and the value of ``--trainer.logger`` (None: not given)."""
    out, value, i = [], None, 0
    while i < len(args):
        arg = args[i]
        if arg == "--trainer.logger" or arg.startswith("--trainer.logger="):
            value = arg.split("=", 1)[1] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            if value.lower() == "true":  # the config's loggers: drop the flag, keep the config's value
                i += 1 if "=" in arg else 2
                continue
        out.append(arg)
        i += 1
    return out, value


class KeywordCLI(LightningCLI):
    """LightningCLI with the data -> model links and run-relative checkpoint names.

    wandb runs are offline unless ``WANDB_MODE`` says otherwise (``WANDB_MODE=online``).
    """

    def __init__(self, *args, **kwargs) -> None:
        os.environ.setdefault("WANDB_MODE", "offline")
        kwargs.setdefault("parser_class", OneLineErrors)
        kwargs.setdefault("parser_kwargs", {})
        for sub in EVALUATING:  # a checkpoint alone is enough: the package's defaults, then --config
            sub_kwargs = kwargs["parser_kwargs"].setdefault(sub, {})
            sub_kwargs.setdefault("default_config_files", [str(CHECKPOINT_DEFAULTS)])
            sub_kwargs.setdefault("description", f"{sub.capitalize()} with a checkpoint. {SEARCH_ORDER}.")
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser) -> None:
        """``--threads`` and ``--quiet``; the model's vocabulary, casing, tokenizer and vectors come from the data."""
        parser.add_argument(
            "--threads",
            type=int | None,
            default=None,
            help="torch threads (default: OMP_NUM_THREADS, else half the CPU cores, so two jobs share a machine)",
        )
        parser.add_argument("--quiet", type=bool, default=False, help=f"only errors on stderr (or {QUIET_ENV}=1)")
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
        """Threads set, and stdout kept for results, once parsing is over (--help, --print_config printed)."""
        sub = self.config.get("subcommand")
        if sub:
            set_threads(self.config[sub].get("threads"))
            results_only_on_stdout()

    def _parse_ckpt_path(self) -> None:
        """A checkpoint's model settings over the parsed ones, but decoding and ``sequence_mode``.

        Lightning's own puts every stored hyperparameter over the command line. Here the settings
        that shape the weights come from the checkpoint (an earlier release's flat ones too:
        ``ModelSettings.from_hparams``), while those that only change how the trained weights are
        decoded or run (``--model.decoding.decoder argmax``) stay as the command line and config say.
        """
        sub = self.config.get("subcommand")
        cfg = self.config[sub] if sub else None
        if cfg is None or not cfg.get("ckpt_path"):
            return
        ckpt = read_checkpoint(cfg.ckpt_path)
        meta, stored = ckpt[CHECKPOINT_KEY], ckpt.get("hyper_parameters") or {}
        model = ModelSettings.from_hparams(stored).hparams()
        model["decoding"] = cfg.model.decoding.as_dict()
        model["network"]["sequence_mode"] = cfg.model.network.sequence_mode
        files = transformer_files(meta)  # a transformer's config and tokenizer: the checkpoint alone builds the model
        model.update(trainable_words=stored.get("trainable_words"), transformer_files=files)
        self.config = self.parser.parse_object({sub: {"model": model}}, self.config)
        cfg = self.config[sub]
        if sub == "predict" and cfg.data.get("predict_file") and not cfg.data.get("predict_split"):
            # Raw text needs only the checkpoint (it carries the vocabulary): no dataset is read.
            cfg.data.dataset_file = cfg.data.embedding_file = None
        # A resumed fit, or a test/predict of a checkpoint, logs to the same wandb run.
        if meta.get("wandb_run_id") and cfg.trainer.get("logger"):
            continue_wandb_run(cfg.trainer.logger, str(meta["wandb_run_id"]))

    def after_fit(self) -> None:
        """Say where the best checkpoint is (rank 0 only: the rank that wrote it)."""
        for cb in self.trainer.checkpoint_callbacks if self.trainer.is_global_zero else []:
            if getattr(cb, "monitor", None) and cb.best_model_path and cb.best_model_score is not None:
                say(f"best checkpoint: {cb.best_model_path} ({cb.monitor} {float(cb.best_model_score):.4f})")

    def after_predict(self) -> None:
        """An input with nothing to tag runs no predict loop at all: its writer still writes (nothing)."""
        for callback in self.trainer.callbacks:
            if isinstance(callback, PredictionWriter) and not callback.done and self.trainer.is_global_zero:
                callback.write(self.trainer, [])

    def after_validate(self) -> None:
        """The validation metrics on stdout, one ``name value`` a line."""
        self._print_metrics("val/")

    def after_test(self) -> None:
        """The test metrics on stdout, one ``name value`` a line."""
        self._print_metrics("test/")

    def _print_metrics(self, prefix: str) -> None:
        if self.trainer.is_global_zero:
            metrics = {k: float(v) for k, v in self.trainer.callback_metrics.items() if k.startswith(prefix)}
            results_stream().write("".join(f"{k:24s} {v:.4f}\n" for k, v in sorted(metrics.items())))
            results_stream().flush()

    def parse_arguments(self, parser, args) -> None:
        """Parse; turn ``--ckpt_path best|last`` into a file; no logger for a checkpoint unless asked."""
        args = list(sys.argv[1:] if args is None else args)
        args, logger = logger_flag(args)
        super().parse_arguments(parser, args)
        sub = self.config.get("subcommand")
        if not sub:
            return
        cfg = self.config[sub]
        if cfg.get("quiet"):
            set_quiet(True)
        if is_quiet():
            cfg.trainer.enable_model_summary = False
        if sub in EVALUATING and logger is None:
            cfg.trainer.logger = False  # no run folder, no wandb run
        elif logger and logger.lower() == "true" and not cfg.trainer.get("logger"):
            cfg.trainer.logger = True  # no loggers configured: Lightning's default
        if sub in ("validate", "test"):
            cfg.verbose = False  # the metrics are printed on stdout by after_validate/after_test
        ckpt = cfg.get("ckpt_path")
        if sub == "predict" and not ckpt and cfg.data.get("predict_file") and not cfg.data.get("predict_split"):
            ckpt = PRETRAINED  # raw text and no checkpoint named: the shipped general model
        if ckpt in ("best", "last", PRETRAINED):  # read once, by _parse_ckpt_path
            cfg.ckpt_path = str(resolve_checkpoint(ckpt, cfg.trainer.get("default_root_dir"), check=False))


# How `keyword-lightning` builds its CLI (also for tests that run it in-process).
CLI_OPTIONS = {
    "seed_everything_default": 42,
    "save_config_callback": SaveConfigEverywhere,
    "save_config_kwargs": {"overwrite": True},
}


def main(argv: list[str]) -> None:
    """``fit|validate|test|predict ...`` (``cli.main`` took ``--quiet``); the errors of ``ERRORS``: one line, exit 2."""
    quiet_third_parties()  # again: Lightning's log handlers exist only now that it is imported
    try:
        try:
            KeywordCLI(JointRNN, KeywordDataModule, args=argv, **CLI_OPTIONS)
        finally:
            finish_wandb()
            restore_stdout()
    except ERRORS as err:
        fail(PROG, err)
