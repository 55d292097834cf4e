"""One measurement of ``benchmarks/throughput.py``, run in its own process (so peak RSS is its own).

``throughput.py --worker CONFIG VARIANT PRECISION`` calls ``worker``, which trains one config's model
on Inspec train one way and returns its figures (printed as a JSON line):
  (a) a plain PyTorch loop written the seed's way (random padded batches, the RNN run padded);
  (b) the same plain loop fed by the project's DataModule (length-bucketed batches);
  (c) `Trainer.fit` with the config's own logger and checkpointing, then `predict` on the test split.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, flags

CONFIGS = {"seed": ROOT / "configs/seed.yaml", "default": ROOT / "configs/inspec.yaml"}


def build(config: Path, data_dir: Path, workdir: Path, epochs: int, accelerator: str, precision: str):
    """Model, DataModule and Trainer exactly as the CLI would build them from ``config``."""
    from keyword_lightning.data.datamodule import KeywordDataModule
    from keyword_lightning.model.module import JointRNN
    from keyword_lightning.training.lightning_cli import KeywordCLI

    os.chdir(workdir)
    options = {
        "--config": config,
        "--data.dataset_file": data_dir / "data_set.pkl",
        "--trainer.enable_progress_bar": "false",
        "--trainer.max_epochs": epochs,
        "--trainer.num_sanity_val_steps": 0,
        "--trainer.accelerator": accelerator,
        "--trainer.precision": precision,
    }
    args = flags(options)
    if importlib.util.find_spec("wandb") is None:  # a machine without wandb: the config's CSV logger only
        csv_only = [{"class_path": "lightning.pytorch.loggers.CSVLogger", "init_args": {"save_dir": "runs"}}]
        args += ["--trainer.logger", json.dumps(csv_only)]
    cli = KeywordCLI(JointRNN, KeywordDataModule, run=False, args=args, save_config_kwargs={"overwrite": True})
    return cli.model, cli.datamodule, cli.trainer


def plain_loop(model, batches_per_epoch, epochs: int, device: str, bf16: bool) -> list[tuple[float, int]]:
    """The seed's loop: forward, alpha-weighted loss, backward, Adam step. Returns (seconds, tokens)."""
    import torch

    from keyword_lightning.data.batch import batch_to_device

    model.to(device)
    opt = model.configure_optimizers()
    model.train()
    cuda = device == "cuda"
    out = []
    for epoch in range(epochs):
        t0, tokens = time.perf_counter(), 0
        for batch in batches_per_epoch(epoch):
            tokens += int(batch.lengths.sum())
            if cuda:
                batch = batch_to_device(batch, device)
            cast = torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
            with cast:
                loss = model.model_step(batch)["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        if cuda:
            torch.cuda.synchronize()
        out.append((time.perf_counter() - t0, tokens))
    return out


def worker(config: str, variant: str, data_dir: Path, epochs: int, accelerator: str, precision: str) -> dict:
    """One measurement in this process; prints a JSON line."""
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, RandomSampler

    from keyword_lightning.data.batch import collate_fun2

    workdir = Path(tempfile.mkdtemp(prefix=f"kw-tp-{config}-{variant}-"))
    L.seed_everything(42)
    model, dm, trainer = build(CONFIGS[config], data_dir, workdir, epochs, accelerator, precision)
    device = "cuda" if accelerator == "gpu" else "cpu"
    bf16 = precision.startswith("bf16")
    dm.trainer = None
    dm.setup("fit")
    corpus = dm.split_corpus("train")
    total_tokens = int(corpus.lengths().sum())
    result: dict = {"config": config, "variant": variant}
    if variant == "a":  # random batches, padded to the batch maximum (the seed's DataLoader)
        # ... and run padded, as the seed's loop does (no packing, no segments; the backward
        # direction still reads each document reversed within its length, so it stays exact).
        model.net.sequence_mode = "padded"
        gen = torch.Generator().manual_seed(42)
        loader = DataLoader(
            corpus,
            batch_size=dm.hparams.batch_size,
            sampler=RandomSampler(corpus, generator=gen),
            collate_fn=collate_fun2,
        )
        epochs_out = plain_loop(model, lambda e: loader, epochs, device, bf16)
        pads = sum(int(b.words.numel()) for b in loader)
        result["pad_fraction"] = 1 - total_tokens / pads
    elif variant == "b":  # the same loop, fed by the DataModule's length-bucketed batches
        loader = dm.train_dataloader()

        def per_epoch(e):
            loader.batch_sampler.set_epoch(e)
            return loader

        epochs_out = plain_loop(model, per_epoch, epochs, device, bf16)
        result["pad_fraction"] = 1 - total_tokens / sum(int(b.words.numel()) for b in loader)
    else:  # Trainer.fit with the config's logger and checkpointing

        class Timer(L.Callback):
            """Training time of each epoch: from its start to its validation (not counted)."""

            def __init__(self):
                self.times, self.t0 = [], None

            def on_train_epoch_start(self, *_):
                self.t0 = time.perf_counter()

            def _stop(self):
                if self.t0 is not None:
                    if device == "cuda":
                        torch.cuda.synchronize()
                    self.times.append(time.perf_counter() - self.t0)
                    self.t0 = None

            def on_validation_start(self, trainer, *_):
                if not trainer.sanity_checking:
                    self._stop()

            def on_train_epoch_end(self, *_):
                self._stop()

        timer = Timer()
        trainer.callbacks.append(timer)
        t0 = time.perf_counter()
        trainer.fit(model, dm)
        result["fit_seconds"] = time.perf_counter() - t0
        epochs_out = [(t, total_tokens) for t in timer.times]
        # Inference: predict the test split, batched by length.
        dm.hparams.predict_split = "test"
        t0 = time.perf_counter()
        trainer.predict(model, dm, return_predictions=False)
        seconds = time.perf_counter() - t0
        docs = dm.predict_documents
        result["predict_docs_per_s"] = len(docs) / seconds
        result["predict_tokens_per_s"] = sum(len(d.tokens) for d in docs) / seconds
    steady = epochs_out[1:]  # the first epoch warms up
    result["epoch_seconds"] = statistics.median(t for t, _ in steady)
    result["tokens_per_s"] = statistics.median(n / t for t, n in steady)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if device == "cuda":
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result
