"""Callbacks: the prediction writer (the seed's step 8) and plots after fit and test (step 7)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import lightning as L
import torch
import torch.distributed as dist
from lightning.pytorch.callbacks import BasePredictionWriter, TQDMProgressBar

# The plotting code imports matplotlib only when a plot is drawn.
from keyword_lightning import plots
from keyword_lightning.data.formats import atomic_write
from keyword_lightning.predictions import render_table, stitch, to_jsonl, token_char_spans
from keyword_lightning.runs import METRICS_CSV
from keyword_lightning.tagging import SBMEO


class PredictionWriter(BasePredictionWriter):
    """Writes ``predictions.jsonl``: one record per input document, in input order (``predictions.py``).

    The file is written to a temporary name and renamed, so it is never half-written. Under DDP
    each rank tags its share of the batches; rank 0 gathers every rank's share and writes once.

    Args:
        output_path: where to write; default ``<run folder>/predictions.jsonl``; ``-`` = stdout.
        format: ``jsonl``, or ``table``: each document's text with its keyphrases highlighted,
            for reading in a terminal (to stdout unless ``output_path`` names a file).

    """

    def __init__(self, output_path: str | None = None, format: str = "jsonl") -> None:
        super().__init__(write_interval="batch")
        if format not in ("jsonl", "table"):
            raise ValueError(f"format must be jsonl or table, got {format!r}")
        self.output_path = output_path
        self.format = format
        self._parts: list[dict] = []
        self.written: Path | None = None

    def on_predict_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Forget predictions of an earlier run."""
        self._parts = []

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
        dm = trainer.datamodule
        records = stitch(dm.predict_documents, dm.predict_source, dm.predict_piece_start, parts)
        if self.format == "table":
            texts = [token_char_spans(d)[0] for d in dm.predict_documents]
            if self.output_path in (None, "-"):
                sys.stdout.write(render_table(records, texts, color=sys.stdout.isatty()) + "\n")
                sys.stdout.flush()
                return
            lines = render_table(records, texts) + "\n"
        else:
            lines = to_jsonl(records)
        if self.output_path == "-":
            sys.stdout.write(lines)
            sys.stdout.flush()
            return
        path = Path(self.output_path) if self.output_path else Path(trainer.log_dir or ".") / "predictions.jsonl"
        with atomic_write(path, "w") as fh:
            fh.write(lines)
        self.written = path
        print(f"wrote {len(records)} predictions to {path}", file=sys.stderr)


class TerminalProgressBar(TQDMProgressBar):
    """Lightning's progress bar, shown only when stdout is a terminal.

    In ``predict`` it shows only for inputs of at least ``min_predict_batches`` batches: short
    inputs finish before a bar helps.
    """

    def __init__(self, refresh_rate: int = 1, min_predict_batches: int = 10) -> None:
        super().__init__(refresh_rate=refresh_rate)
        self.min_predict_batches = min_predict_batches
        if not sys.stdout.isatty():
            self.disable()

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Decide, now that the input size is known, whether a bar is worth showing."""
        batches = sum(int(n) for n in trainer.num_predict_batches if n != float("inf"))
        if not sys.stdout.isatty() or batches < self.min_predict_batches:
            self.disable()
        super().on_predict_start(trainer, pl_module)


class Plots(L.Callback):
    """Draws ``learning_curves.png`` after fit and ``confusion_matrix.png`` after test, in the run folder."""

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Flush the CSV log and draw the learning curves from it."""
        if trainer.is_global_zero and trainer.log_dir:
            for logger in trainer.loggers:
                logger.save()
            metrics = Path(trainer.log_dir) / METRICS_CSV
            if metrics.is_file():
                plots.plot_learning_curves(metrics, Path(trainer.log_dir) / plots.CURVES)

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Save the test confusion matrix as JSON and PNG."""
        matrix = getattr(pl_module, "test_confusion_matrix", None)
        if trainer.is_global_zero and trainer.log_dir and matrix is not None:
            run = Path(trainer.log_dir)
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
