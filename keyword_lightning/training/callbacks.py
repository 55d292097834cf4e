"""Callbacks: the prediction writer (the seed's step 8) and plots after fit and test (step 7)."""

from __future__ import annotations

import json
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import lightning as L
import torch
import torch.distributed as dist
from lightning.pytorch.callbacks import BasePredictionWriter, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from keyword_lightning.data.formats import atomic_write
from keyword_lightning.inference.predictions import render_table, stitch, to_jsonl, token_char_spans
from keyword_lightning.runs import METRICS_CSV
from keyword_lightning.runtime import is_quiet, results_stream, say
from keyword_lightning.tagging.schemes import SBMEO

# The plotting code imports matplotlib only when a plot is drawn.
from keyword_lightning.training import plots


def run_folder(trainer: L.Trainer) -> Path | None:
    """The run folder (``trainer.log_dir`` on rank 0), None without a logger.

    Taken from the first logger as ``trainer.log_dir`` takes it, without its broadcast: under DDP
    that waits for every rank, and rank 0 writes plots and predictions after the others are done.
    """
    if not trainer.loggers:
        return None
    logger = trainer.loggers[0]
    folder = logger.log_dir if isinstance(logger, (CSVLogger, TensorBoardLogger)) else logger.save_dir
    return Path(folder) if folder else None


class PredictionWriter(BasePredictionWriter):
    """Writes ``predictions.jsonl``: one record per input document, in input order (``predictions.py``).

    The file is written to a temporary name and renamed, so it is never half-written. Under DDP
    each rank tags its share of the batches; rank 0 gathers every rank's share and writes once.

    Args:
        output_path: where to write; ``-`` = stdout; default ``predictions.jsonl`` in the run
            folder when a logger runs, else in the working directory.
        format: ``jsonl``, or ``table``: each document's text with its keyphrases highlighted,
            for reading in a terminal (to stdout unless ``output_path`` names a file).

    An input of no documents writes an empty output (a pipeline still sees a result) and says so.

    """

    def __init__(self, output_path: str | None = None, format: str = "jsonl") -> None:
        super().__init__(write_interval="batch")
        if format not in ("jsonl", "table"):
            raise ValueError(f"format must be jsonl or table, got {format!r}")
        self.output_path = output_path
        self.format = format
        self._parts: list[dict] = []
        self.done = False
        self.written: Path | None = None

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Forget predictions of an earlier run."""
        self._parts, self.done, self.written = [], False, None

    def write_on_batch_end(
        self, trainer, pl_module, prediction, batch_indices, batch, batch_idx, dataloader_idx
    ) -> None:
        """Keep the batch's predictions until the epoch ends."""
        self._parts.append(prediction)

    def on_predict_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Gather every rank's predictions, stitch them into documents and write them from rank 0."""
        parts = self._parts
        if trainer.world_size > 1 and dist.is_available() and dist.is_initialized():
            shares: list[list[dict] | None] = [None] * trainer.world_size
            dist.all_gather_object(shares, parts)
            parts = [part for share in shares for part in share or []]
        if not trainer.is_global_zero:
            return
        self.write(trainer, parts)

    def write(self, trainer: L.Trainer, parts: list[dict]) -> None:
        """Stitch ``parts`` into one record per input document and write them."""
        dm = trainer.datamodule
        ranker = getattr(trainer.lightning_module, "ranker", None)  # the model's ranker (None: the hand rule)
        records = stitch(dm.predict_documents, dm.predict_source, dm.predict_piece_start, parts, ranker)
        self.done = True
        out = results_stream()
        if self.format == "table":
            texts = [token_char_spans(d)[0] for d in dm.predict_documents]
            to_terminal = self.output_path in (None, "-")
            lines = render_table(records, texts, color=to_terminal and out.isatty()) + "\n" if records else ""
        else:
            to_terminal = self.output_path == "-"
            lines = to_jsonl(records)
        path = None if to_terminal else self.output_file(trainer)
        if to_terminal:
            out.write(lines)
            out.flush()
        else:
            with atomic_write(path, "w") as fh:
                fh.write(lines)
            self.written = path
        source = dm.hparams.get("predict_file") or f"the {dm.hparams.get('predict_split')} split"
        if records and path is not None:
            say(f"wrote {len(records)} predictions to {path}")
        elif not records:  # not an error: the pipeline gets its (empty) output
            source = "stdin" if source == "-" else source
            say(f"keyword-lightning: 0 documents in {source}; wrote an empty output to {path or 'stdout'}")

    def output_file(self, trainer: L.Trainer) -> Path:
        """``output_path``, or ``predictions.jsonl`` in the run folder (with a logger) or the working directory."""
        if self.output_path:
            return Path(self.output_path)
        return (run_folder(trainer) or Path(".")) / "predictions.jsonl"


def _on_stderr(make_bar):
    """``make_bar`` (a ``TQDMProgressBar.init_*_tqdm``) with ``sys.stdout`` read as stderr while it runs."""

    def init(self):
        with redirect_stdout(sys.stderr):
            return make_bar(self)

    init.__doc__ = make_bar.__doc__
    return init


class TerminalProgressBar(TQDMProgressBar):
    """Progress on stderr: Lightning's bar when stderr is a terminal, else one line per epoch.

    The line, printed once an epoch's metrics are known (``--quiet`` / ``KW_QUIET=1``: none)::

        epoch 3/40  train/loss 0.412  val/loss 0.301  val/phrase_f1 0.4123  elapsed 0:01:02  eta <=0:08:10

    The ETA counts every epoch up to ``max_epochs``; early stopping may end sooner. In ``predict``
    the bar shows only for inputs of at least ``min_predict_batches`` batches.
    """

    LINE_METRICS = ("train/loss_epoch", "val/loss", "val/phrase_f1")

    def __init__(self, refresh_rate: int = 1, min_predict_batches: int = 10) -> None:
        super().__init__(refresh_rate=refresh_rate)
        self.min_predict_batches = min_predict_batches
        self.lines = not sys.stderr.isatty() and not is_quiet()
        if is_quiet() or not sys.stderr.isatty():
            self.disable()
        self._start: float | None = None
        self._pending: tuple[int, float] | None = None  # (epoch, elapsed seconds) not yet printed

    # Lightning creates its bars on stdout; ours go to stderr, which is where progress belongs.
    init_sanity_tqdm = _on_stderr(TQDMProgressBar.init_sanity_tqdm)
    init_train_tqdm = _on_stderr(TQDMProgressBar.init_train_tqdm)
    init_validation_tqdm = _on_stderr(TQDMProgressBar.init_validation_tqdm)
    init_predict_tqdm = _on_stderr(TQDMProgressBar.init_predict_tqdm)
    init_test_tqdm = _on_stderr(TQDMProgressBar.init_test_tqdm)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Start the clock for the per-epoch lines."""
        super().on_train_start(trainer, pl_module)
        self._start, self._pending = time.monotonic(), None

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Note the epoch; its line waits for the epoch's train loss (logged after this hook)."""
        super().on_train_epoch_end(trainer, pl_module)
        self._pending = (trainer.current_epoch, time.monotonic() - (self._start or time.monotonic()))

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Print the previous epoch's line."""
        super().on_train_epoch_start(trainer, pl_module)
        self._print_line(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Print the last epoch's line."""
        super().on_train_end(trainer, pl_module)
        self._print_line(trainer)

    def _print_line(self, trainer: L.Trainer) -> None:
        if not (self.lines and self._pending and trainer.is_global_zero):
            return
        (epoch, elapsed), self._pending = self._pending, None
        say(epoch_line(epoch, trainer.max_epochs, elapsed, trainer.callback_metrics, self.LINE_METRICS))

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Decide, now that the input size is known, whether a bar is worth showing."""
        batches = sum(int(n) for n in trainer.num_predict_batches if n != float("inf"))
        if not sys.stderr.isatty() or batches < self.min_predict_batches:
            self.disable()
        super().on_predict_start(trainer, pl_module)


def epoch_line(epoch: int, max_epochs: int | None, elapsed: float, metrics: dict, keys: tuple[str, ...]) -> str:
    """``epoch E/N  name value ...  elapsed H:MM:SS  eta <=H:MM:SS`` for 0-based ``epoch``."""
    done = epoch + 1
    parts = [f"epoch {done}/{max_epochs}" if max_epochs and max_epochs > 0 else f"epoch {done}"]
    for key in keys:
        if key in metrics:
            parts.append(f"{key.removesuffix('_epoch')} {float(metrics[key]):.4f}")
    parts.append(f"elapsed {clock(elapsed)}")
    if max_epochs and max_epochs > done:
        parts.append(f"eta <={clock(elapsed / done * (max_epochs - done))}")
    return "  ".join(parts)


def clock(seconds: float) -> str:
    """``H:MM:SS``."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Plots(L.Callback):
    """Draws ``learning_curves.png`` after fit and ``confusion_matrix.png`` after test, in the run folder.

    Without a logger there is no run folder, and nothing is drawn. Under DDP rank 0 draws.
    """

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Flush the CSV log and draw the learning curves from it."""
        run = run_folder(trainer) if trainer.is_global_zero else None
        if run is not None:
            for logger in trainer.loggers:
                logger.save()
            if (run / METRICS_CSV).is_file():
                plots.plot_learning_curves(run / METRICS_CSV, run / plots.CURVES)

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Save the test confusion matrix as JSON and PNG."""
        matrix = getattr(pl_module, "test_confusion_matrix", None)
        run = run_folder(trainer) if trainer.is_global_zero else None
        if run is not None and matrix is not None:
            run.mkdir(parents=True, exist_ok=True)
            with atomic_write(run / plots.CONFUSION_JSON, "w") as fh:
                json.dump({"labels": list(SBMEO), "matrix": matrix}, fh)
            plots.plot_confusion(matrix, run / plots.CONFUSION)


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss."""


class NonFiniteLossGuard(L.Callback):
    """Stops training on a NaN/inf training loss, before a checkpoint can save broken weights.

    The check accumulates on the device and is read once every ``check_every`` steps, before
    each validation and at the end of each epoch, so it adds no host sync to ordinary steps.
    Checkpoints are written at validation or epoch end, after these checks, so ``last.ckpt``
    keeps the last good weights.
    """

    def __init__(self, check_every: int = 50) -> None:
        self.check_every = check_every
        self._bad = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        """Record whether this step's loss was finite; read the record now and then."""
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        bad = ~torch.isfinite(loss.detach())
        self._bad = bad if self._bad is None else (self._bad | bad)
        if (batch_idx + 1) % self.check_every == 0:
            self._check(trainer)

    def on_validation_start(self, trainer, pl_module) -> None:
        """Check before validation (whose end may write a checkpoint)."""
        self._check(trainer)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        """Check before the epoch's checkpoints are written."""
        self._check(trainer)

    def _check(self, trainer) -> None:
        if self._bad is not None and bool(self._bad):
            kept = [str(cb.last_model_path or cb.best_model_path) for cb in trainer.checkpoint_callbacks]
            where = f"epoch {trainer.current_epoch}, step {trainer.global_step}"
            raise NonFiniteLossError(
                f"non-finite training loss (NaN or inf) by {where}; training stopped; "
                f"last good checkpoint: {', '.join(p for p in kept if p) or 'none saved yet'}"
            )
        self._bad = None
