"""Scale benchmark: a synthetic corpus the size of KP20k through prepare and one bounded fit epoch.

    python -m benchmarks.scale                         # 530,000 documents (~100M tokens)
    python -m benchmarks.scale --docs 53000            # a tenth, for a quick look

The corpus has Inspec's length distribution (document lengths drawn from Inspec train), a
Zipf vocabulary of 500,000 words and keyphrase tags at Inspec's rates. It measures:
  - `keyword-lightning-prepare` on it: wall time, peak RSS, size of `data_set.pkl`;
  - `keyword-lightning fit` (configs/inspec.yaml, random embeddings, one epoch bounded by
    `--trainer.limit_train_batches`): set-up time (load + encode), training tokens/s, peak RSS.
Each step runs in its own process; peak RSS is that process's own (`wait4`).
Writes benchmarks/results/scale.md. The corpus comes from ``synthetic.py``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, SHARED, command, flags, header, measured, write_results
from benchmarks.synthetic import inspec_lengths, write_corpus


def fit_worker(dataset: Path, batches: int) -> None:
    """One bounded epoch, in this process; prints a JSON line."""
    import lightning as L

    from keyword_lightning.data.datamodule import KeywordDataModule
    from keyword_lightning.model.module import JointRNN
    from keyword_lightning.training.lightning_cli import KeywordCLI

    t0 = time.perf_counter()
    options = {
        "--config": ROOT / "configs/inspec.yaml",
        "--data.dataset_file": dataset,
        "--data.embedding_file": "null",
        "--model.inputs": "[{words: {dim: 50}}]",
        "--trainer.logger": "false",
        "--trainer.enable_progress_bar": "false",
        "--trainer.max_epochs": 1,
        "--trainer.limit_train_batches": batches,
        "--trainer.limit_val_batches": 0,
        "--trainer.enable_checkpointing": "false",
        "--trainer.callbacks": "[]",
    }
    args = flags(options)
    cli = KeywordCLI(JointRNN, KeywordDataModule, run=False, args=args, save_config_callback=None)

    class Count(L.Callback):
        def __init__(self) -> None:
            self.tokens, self.start, self.setup = 0, None, None

        def on_train_start(self, trainer, pl_module) -> None:
            self.setup = time.perf_counter() - t0

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            if batch_idx == 1:  # the first batch warms up
                self.start = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            if batch_idx >= 1:
                self.tokens += int(batch.lengths.sum())

    count = Count()
    cli.trainer.callbacks.append(count)
    cli.trainer.fit(cli.model, cli.datamodule)
    seconds = time.perf_counter() - count.start
    setup_seconds = count.setup
    print(json.dumps({"tokens_per_s": count.tokens / seconds, "setup_seconds": setup_seconds}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=530_000)
    ap.add_argument("--batches", type=int, default=40, help="training batches of the bounded epoch")
    ap.add_argument("--inspec", type=Path, default=SHARED / "inspec")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS / "scale.md")
    ap.add_argument("--fit-worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fit_worker:
        fit_worker(args.fit_worker, args.batches)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    lengths = inspec_lengths(args.inspec / "train.txt")
    t0 = time.perf_counter()
    tokens = write_corpus(work / "train.txt", args.docs, lengths, seed=0)
    write_corpus(work / "valid.txt", 500, lengths, seed=1)
    gen_seconds = time.perf_counter() - t0
    print(f"generated {args.docs:,} documents, {tokens:,} tokens in {gen_seconds:.0f} s", flush=True)

    splits = {"--train": work / "train.txt", "--val": work / "valid.txt", "--out": work / "data"}
    prep_wall, prep_rss, _ = measured(["keyword_lightning.prepare", *flags(splits)], work)
    pkl = work / "data" / "data_set.pkl"
    print(f"prepare: {prep_wall:.0f} s, peak RSS {prep_rss:,.0f} MB, {pkl.stat().st_size / 2**20:,.0f} MB", flush=True)
    fit_wall, fit_rss, out = measured(
        ["benchmarks.scale", "--fit-worker", str(pkl), "--batches", str(args.batches)], work
    )
    fit = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    print(f"fit: set-up {fit['setup_seconds']:.0f} s, {fit['tokens_per_s']:,.0f} tokens/s, peak RSS {fit_rss:,.0f} MB")

    text = [
        "# Scale: a KP20k-size synthetic corpus",
        "",
        header(command("scale", ["--docs", str(args.docs), "--batches", str(args.batches)])),
        f"{args.docs:,} documents, {tokens:,} tokens (Inspec's length distribution, a Zipf vocabulary of",
        "500,000 words); plus a 500-document validation split. Peak RSS is each process's own.",
        "",
        "| step | wall seconds | peak RSS MB | notes |",
        "|---|---:|---:|---|",
        f"| `keyword-lightning-prepare` | {prep_wall:,.0f} | {prep_rss:,.0f} | "
        f"`data_set.pkl` {pkl.stat().st_size / 2**20:,.0f} MB |",
        f"| `fit` set-up (load, vocabulary, encode) | {fit['setup_seconds']:,.0f} | | |",
        f"| `fit`, {args.batches} batches of `configs/inspec.yaml` (random embeddings) | {fit_wall:,.0f} | "
        f"{fit_rss:,.0f} | {fit['tokens_per_s']:,.0f} training tokens/s |",
        "",
    ]
    write_results(args.out, "\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
