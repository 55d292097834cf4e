"""Callbacks: the prediction writer (the seed's step 8) and plots after fit and test (step 7)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter, TQDMProgressBar

# The plotting code imports matplotlib only when a plot is drawn.
from keyword_lightning import plots
from keyword_lightning.data.datamodule import PredictDocument
from keyword_lightning.data.formats import atomic_write
from keyword_lightning.tagging import SBMEO, sbmeo_to_spans


def token_char_spans(doc: PredictDocument) -> tuple[str, list[tuple[int, int]]]:
    """The document text and each token's char offsets; without raw text, tokens joined by spaces."""
    if doc.text is not None and doc.spans is not None:
        return doc.text, doc.spans
    spans, pos = [], 0
    for token in doc.tokens:
        spans.append((pos, pos + len(token)))
        pos += len(token) + 1
    return " ".join(doc.tokens), spans


def assemble_prediction(doc: PredictDocument, tags: list[int], probs: list[float]) -> dict[str, Any]:
    """One output record: tags, and keyphrases with token and char offsets and a score.

    A keyphrase's score is the geometric mean of the model's probabilities of its tags.
    """
    text, char_spans = token_char_spans(doc)
    phrases = []
    for start, end in sbmeo_to_spans(tags):
        lo, hi = char_spans[start][0], char_spans[end][1]
        logp = sum(math.log(max(p, 1e-12)) for p in probs[start : end + 1]) / (end - start + 1)
        phrases.append(
            {
                "text": text[lo:hi],
                "start_token": start,
                "end_token": end,
                "start_char": lo,
                "end_char": hi,
                "score": round(math.exp(logp), 6),
            }
        )
    return {"id": doc.id, "tokens": doc.tokens, "tags": [SBMEO[t] for t in tags], "keyphrases": phrases}


def stitch(docs: list[PredictDocument], source, piece_start, parts: list[dict]) -> list[dict[str, Any]]:
    """Join per-item predictions (documents may be split into chunks) back into documents."""
    tags = [[4] * len(d.tokens) for d in docs]  # 4 = O: empty documents stay untagged
    probs = [[1.0] * len(d.tokens) for d in docs]
    for part in parts:
        for item, t, p in zip(part["index"], part["tags"], part["probs"]):
            doc, start = int(source[item]), int(piece_start[item])
            tags[doc][start : start + len(t)] = t
            probs[doc][start : start + len(p)] = p
    return [assemble_prediction(d, t, p) for d, t, p in zip(docs, tags, probs)]


def render_table(records: list[dict[str, Any]], texts: list[str], color: bool = False) -> str:
    """Each document's text with its keyphrases marked, then its keyphrases by score.

    ``texts[i]`` is the text that record ``i``'s char offsets point into. With ``color`` the
    phrases are shown in bold yellow (ANSI, for a terminal); otherwise in [brackets].
    """
    on, off = ("\033[1;33m", "\033[0m") if color else ("[", "]")
    out = []
    for rec, text in zip(records, texts):
        phrases = rec["keyphrases"]
        marked, pos = [], 0
        for k in phrases:
            marked += [text[pos : k["start_char"]], on, text[k["start_char"] : k["end_char"]], off]
            pos = k["end_char"]
        marked.append(text[pos:])
        out.append(f"== {rec['id']} ({len(phrases)} keyphrase{'s' * (len(phrases) != 1)})")
        out.append("".join(marked).strip() or "(empty document)")
        out += [f"  {k['score']:.3f}  {k['text']}" for k in sorted(phrases, key=lambda k: -k["score"])]
        out.append("")
    return "\n".join(out)


class PredictionWriter(BasePredictionWriter):
    """Writes ``predictions.jsonl``: one line per input document, in input order.

    Each line: ``{"id", "tokens", "tags", "keyphrases": [{"text", "start_token", "end_token",
    "start_char", "end_char", "score"}]}``; token offsets are inclusive, ``end_char`` exclusive.
    The file is written to a temporary name and renamed, so it is never half-written.

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
        """Stitch, order and write all predictions."""
        dm = trainer.datamodule
        records = stitch(dm.predict_documents, dm.predict_source, dm.predict_piece_start, self._parts)
        if self.format == "table":
            texts = [token_char_spans(d)[0] for d in dm.predict_documents]
            if self.output_path in (None, "-"):
                sys.stdout.write(render_table(records, texts, color=sys.stdout.isatty()) + "\n")
                sys.stdout.flush()
                return
            lines = render_table(records, texts) + "\n"
        else:
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
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
            metrics = Path(trainer.log_dir) / "metrics.csv"
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
