"""Training and inference throughput, side by side on one machine, one model, one data set.

    python benchmarks/throughput.py                      # seed and default configs
    python benchmarks/throughput.py --configs seed --epochs 4

For each config, three ways to train the same model on Inspec train, each in its own process
(so peak RSS is its own):
  (a) a plain PyTorch loop written the seed's way: random batches padded to the batch maximum;
  (b) the same plain loop fed by the project's DataModule (length-bucketed batches);
  (c) `Trainer.fit` with the config's own logger and checkpointing (progress bar off).
Tokens/s counts real (non-pad) tokens; the median epoch after a warm-up epoch is reported.
Also: `predict` throughput on the test split, and CLI start-up time against `import lightning`.
Writes benchmarks/results/throughput.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CONFIGS = {"seed": ROOT / "configs/seed.yaml", "default": ROOT / "configs/inspec.yaml"}


def build(config: Path, data_dir: Path, workdir: Path, epochs: int):
    """Model, DataModule and Trainer exactly as the CLI would build them from ``config``."""
    from keyword_lightning.cli import KeywordCLI
    from keyword_lightning.data.datamodule import KeywordDataModule
    from keyword_lightning.model.module import JointRNN

    os.chdir(workdir)
    args = ["--config", str(config), "--data.dataset_file", str(data_dir / "data_set.pkl"),
            "--trainer.enable_progress_bar", "false", "--trainer.max_epochs", str(epochs),
            "--trainer.num_sanity_val_steps", "0"]  # fmt: skip
    cli = KeywordCLI(JointRNN, KeywordDataModule, run=False, args=args, save_config_kwargs={"overwrite": True})
    return cli.model, cli.datamodule, cli.trainer


def plain_loop(model, batches_per_epoch, epochs: int) -> list[tuple[float, int]]:
    """The seed's loop: forward, alpha-weighted loss, backward, Adam step. Returns (seconds, tokens)."""
    import torch

    opt = model.configure_optimizers()
    model.train()
    out = []
    for epoch in range(epochs):
        t0, tokens = time.perf_counter(), 0
        for batch in batches_per_epoch(epoch):
            loss = model.model_step(batch)["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            tokens += int(batch.lengths.sum())
        out.append((time.perf_counter() - t0, tokens))
    return out


def worker(config: str, variant: str, data_dir: Path, epochs: int) -> dict:
    """One measurement in this process; prints a JSON line."""
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, RandomSampler

    from keyword_lightning.data.datamodule import collate_fun2

    workdir = Path(tempfile.mkdtemp(prefix=f"kw-tp-{config}-{variant}-"))
    L.seed_everything(42)
    model, dm, trainer = build(CONFIGS[config], data_dir, workdir, epochs)
    dm.trainer = None
    dm.setup("fit")
    corpus = dm.split_corpus("train")
    total_tokens = int(corpus.lengths().sum())
    result: dict = {"config": config, "variant": variant}
    if variant == "a":  # random batches, padded to the batch maximum (the seed's DataLoader)
        gen = torch.Generator().manual_seed(42)
        loader = DataLoader(
            corpus, batch_size=64, sampler=RandomSampler(corpus, generator=gen), collate_fn=collate_fun2
        )
        epochs_out = plain_loop(model, lambda e: loader, epochs)
        pads = sum(int(b.words.numel()) for b in loader)
        result["pad_fraction"] = 1 - total_tokens / pads
    elif variant == "b":  # the same loop, fed by the DataModule's length-bucketed batches
        loader = dm.train_dataloader()

        def per_epoch(e):
            loader.batch_sampler.set_epoch(e)
            return loader

        epochs_out = plain_loop(model, per_epoch, epochs)
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
    return result


def startup_seconds(cmd: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=["seed", "default"], choices=sorted(CONFIGS))
    ap.add_argument("--epochs", type=int, default=4, help="epochs per variant; the first is a warm-up")
    ap.add_argument("--data", type=Path, default=None, help="a prepared folder (default: prepare Inspec now)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/throughput.md")
    ap.add_argument("--worker", nargs=2, metavar=("CONFIG", "VARIANT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.data, args.epochs)))
        return

    bin_dir = Path(sys.executable).parent
    data = args.data
    if data is None:
        data = Path(tempfile.mkdtemp(prefix="kw-tp-data-"))
        inspec = SHARED / "inspec"
        subprocess.run([str(bin_dir / "keyword-lightning-prepare"), "--train", str(inspec / "train.txt"),
                        "--val", str(inspec / "valid.txt"), "--test", str(inspec / "test.txt"),
                        "--embeddings", str(SHARED / "glove/glove.6B.50d.top100k.txt.gz"), "--out", str(data)],
                       check=True, capture_output=True)  # fmt: skip
    rows, ratio_rows = [], []
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    for config in args.configs:
        res = {}
        for variant in "abc":
            cmd = [sys.executable, __file__, "--worker", config, variant, "--data", str(data.resolve()),
                   "--epochs", str(args.epochs)]  # fmt: skip
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode:
                sys.exit(proc.stderr[-4000:])
            res[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
            r = res[variant]
            print(f"{config} ({variant}): {r['tokens_per_s']:.0f} tok/s, {r['epoch_seconds']:.2f} s/epoch, "
                  f"RSS {r['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
        names = {"a": "(a) plain loop, random padded batches", "b": "(b) plain loop, DataModule batches",
                 "c": "(c) Trainer.fit, config's loggers + checkpoints"}  # fmt: skip
        for v in "abc":
            r = res[v]
            pad = f"{r['pad_fraction']:.0%}" if "pad_fraction" in r else "as (b)"
            rows.append(f"| {config} | {names[v]} | {r['tokens_per_s']:,.0f} | {r['epoch_seconds']:.2f} | "
                        f"{pad} | {r['peak_rss_mb']:,.0f} |")  # fmt: skip
        c = res["c"]
        ratio_rows.append(f"| {config} | {c['tokens_per_s'] / res['a']['tokens_per_s']:.2f} | "
                          f"{c['tokens_per_s'] / res['b']['tokens_per_s']:.2f} | {c['predict_docs_per_s']:,.0f} | "
                          f"{c['predict_tokens_per_s']:,.0f} |")  # fmt: skip
    cli = startup_seconds([str(bin_dir / "keyword-lightning"), "--help"])
    prep = startup_seconds([str(bin_dir / "keyword-lightning-prepare"), "--help"])
    light = startup_seconds([sys.executable, "-c", "import lightning"])
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    import torch

    text = [
        "# Throughput",
        "",
        f"Measured {datetime.date.today()} on {machine}, torch {torch.__version__}, CPU; "
        f"`python benchmarks/throughput.py --configs {' '.join(args.configs)} --epochs {args.epochs}`.",
        f"Inspec train (1,000 documents, 141,508 tokens); median of {args.epochs - 1} epochs after a warm-up epoch;",
        "real (non-pad) tokens per second; each variant in its own process (peak RSS is its own).",
        "",
        "| config | variant | tokens/s | s/epoch | pads | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        "| config | c/a | c/b | predict docs/s | predict tokens/s |",
        "|---|---:|---:|---:|---:|",
        *ratio_rows,
        "",
        "Start-up (median of 3 runs, wall seconds):",
        "",
        "| command | seconds | ratio to `import lightning` |",
        "|---|---:|---:|",
        f"| `python -c 'import lightning'` | {light:.2f} | 1.00 |",
        f"| `keyword-lightning --help` | {cli:.2f} | {cli / light:.2f} |",
        f"| `keyword-lightning-prepare --help` | {prep:.2f} | {prep / light:.2f} |",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
