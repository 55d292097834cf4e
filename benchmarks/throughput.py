"""Training and inference throughput, side by side on one machine, one model, one data set.

    python -m benchmarks.throughput                      # seed and default configs, CPU
    python -m benchmarks.throughput --configs seed --epochs 4
    python -m benchmarks.throughput --accelerator gpu --precision 32-true bf16-mixed \
        --out benchmarks/results/gpu.md                  # on a GPU, fp32 and bf16 autocast

For each config, three ways to train the same model on Inspec train, each in its own process
(so peak RSS is its own):
  (a) a plain PyTorch loop written the seed's way: random batches padded to the batch maximum,
      the RNN run over the whole padded batch;
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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, SHARED, flags
from benchmarks.throughput_worker import CONFIGS, worker
from keyword_lightning.data.formats import atomic_write


def startup_seconds(cmd: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_startup() -> dict[str, float]:
    """Median wall seconds of each start-up command, by its Markdown label."""
    py = [sys.executable, "-m"]
    bin_dir = Path(sys.executable).parent
    installed = bin_dir / "keyword-lightning", bin_dir / "keyword-lightning-prepare"
    cli_cmd = [str(installed[0])] if installed[0].exists() else [*py, "keyword_lightning.cli"]
    prep_cmd = [str(installed[1])] if installed[1].exists() else [*py, "keyword_lightning.prepare"]
    startup = {
        "`python -c 'import torch'`": startup_seconds([sys.executable, "-c", "import torch"]),
        "`python -c 'import lightning'`": startup_seconds([sys.executable, "-c", "import lightning"]),
        "`from keyword_lightning import KeywordExtractor`": startup_seconds(
            [sys.executable, "-c", "from keyword_lightning import KeywordExtractor; KeywordExtractor"]
        ),
        "`keyword-lightning --help`": startup_seconds([*cli_cmd, "--help"]),
        "`keyword-lightning-prepare --help`": startup_seconds([*prep_cmd, "--help"]),
    }
    return startup


def startup_lines(startup: dict[str, float]) -> list[str]:
    """The start-up table."""
    torch_s, light = startup["`python -c 'import torch'`"], startup["`python -c 'import lightning'`"]
    return [
        "Start-up (median of 3 runs, wall seconds):",
        "",
        "| command | seconds | ratio to `import torch` | ratio to `import lightning` |",
        "|---|---:|---:|---:|",
        *[f"| {cmd} | {s:.2f} | {s / torch_s:.2f} | {s / light:.2f} |" for cmd, s in startup.items()],
        "",
    ]


BF16_NOTE = "bf16-mixed: the plain loops run under `torch.autocast(bfloat16)`, as Lightning's precision does."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=["seed", "default"], choices=sorted(CONFIGS))
    ap.add_argument("--epochs", type=int, default=4, help="epochs per variant; the first is a warm-up")
    ap.add_argument("--data", type=Path, default=None, help="a prepared folder (default: prepare Inspec now)")
    ap.add_argument("--inspec", type=Path, default=SHARED / "inspec", help="CoNLL train/valid/test folder")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove/glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--precision", nargs="+", default=["32-true"], help="e.g. 32-true bf16-mixed")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/throughput.md")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up timings")
    ap.add_argument("--startup-only", action="store_true", help="measure the start-up timings alone")
    ap.add_argument("--worker", nargs=3, metavar=("CONFIG", "VARIANT", "PRECISION"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker[:2], args.data, args.epochs, args.accelerator, args.worker[2])))
        return

    if args.startup_only:  # its own small report: the throughput tables stay as they are
        startup = measure_startup()
        machine = f"{platform.machine()}, {os.cpu_count()} CPU cores"
        lines = [
            "# Start-up",
            "",
            f"Measured {datetime.date.today()} on {machine}; `python -m benchmarks.throughput --startup-only`.",
            "",
            *startup_lines(startup),
        ]
        with atomic_write(ROOT / "benchmarks/results/startup.md", "w") as fh:
            fh.write("\n".join(lines))
        print("\n".join(lines))
        return
    py = [sys.executable, "-m"]
    data = args.data
    if data is None:
        data = Path(tempfile.mkdtemp(prefix="kw-tp-data-"))
        inspec = args.inspec
        splits = {"--train": inspec / "train.txt", "--val": inspec / "valid.txt", "--test": inspec / "test.txt"}
        options = {**splits, "--embeddings": args.glove, "--out": data}
        subprocess.run([*py, "keyword_lightning.prepare", *flags(options)], check=True, capture_output=True)
    rows, ratio_rows = [], []
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # the worker: this checkout
    names = {
        "a": "(a) plain loop, random padded batches",
        "b": "(b) plain loop, DataModule batches",
        "c": "(c) Trainer.fit, config's loggers + checkpoints",
    }
    gpu = args.accelerator == "gpu"
    failures: list[str] = []
    for config in args.configs:
        for precision in args.precision:
            res = {}
            for variant in "abc":
                cmd = [sys.executable, "-m", "benchmarks.throughput", "--worker", config, variant, precision]
                cmd += ["--data", str(data.resolve()), "--epochs", str(args.epochs), "--accelerator", args.accelerator]
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if proc.returncode:  # report it and go on with the other measurements
                    print(f"{config} {precision} ({variant}) failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
                    failures.append(f"{config} {precision} ({variant})")
                    break
                res[variant] = r = json.loads(proc.stdout.strip().splitlines()[-1])
                print(
                    f"{config} {precision} ({variant}): {r['tokens_per_s']:.0f} tok/s, {r['epoch_seconds']:.2f} "
                    f"s/epoch, RSS {r['peak_rss_mb']:.0f} MB",
                    flush=True,
                )
            if len(res) < 3:
                continue
            for v in "abc":
                r = res[v]
                pad = f"{r['pad_fraction']:.0%}" if "pad_fraction" in r else "as (b)"
                mem = f" {r['peak_gpu_mb']:,.0f} |" if gpu else ""
                rows.append(
                    f"| {config} | {precision} | {names[v]} | {r['tokens_per_s']:,.0f} | "
                    f"{r['epoch_seconds']:.2f} | {pad} | {r['peak_rss_mb']:,.0f} |{mem}"
                )
            c = res["c"]
            ratio_rows.append(
                f"| {config} | {precision} | {c['tokens_per_s'] / res['a']['tokens_per_s']:.2f} | "
                f"{c['tokens_per_s'] / res['b']['tokens_per_s']:.2f} | "
                f"{c['predict_docs_per_s']:,.0f} | {c['predict_tokens_per_s']:,.0f} |"
            )
            write(args, rows, ratio_rows, failures, startup=None)  # a run cut short keeps its finished rows
    if args.no_startup:
        print(write(args, rows, ratio_rows, failures, None))
        return
    startup = measure_startup()
    print(write(args, rows, ratio_rows, failures, startup))


def write(
    args: argparse.Namespace,
    rows: list[str],
    ratio_rows: list[str],
    failures: list[str],
    startup: dict[str, float] | None,
) -> str:
    """Write the Markdown report (so far) to ``args.out``; ``startup`` None: not measured yet."""
    import torch

    gpu = args.accelerator == "gpu"
    device = torch.cuda.get_device_name(0) if gpu else "CPU"
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {device}, torch {torch.__version__}"
    cmd = " ".join(
        ["python -m benchmarks.throughput --configs", *args.configs, "--epochs", str(args.epochs)]
        + (["--accelerator gpu --precision", *args.precision] if gpu else [])
    )
    if startup is None:
        start_lines = ["Start-up: not measured yet (the run is still going, or was cut short).", ""]
    else:
        start_lines = startup_lines(startup)
    text = [
        f"# Throughput{' on a GPU' if gpu else ''}",
        "",
        f"Measured {datetime.date.today()} on {machine}; `{cmd}`.",
        f"Inspec train (1,000 documents, 141,508 tokens); median of {args.epochs - 1} epochs after a warm-up epoch;",
        "real (non-pad) tokens per second; each variant in its own process (peak RSS is its own).",
        *([BF16_NOTE] if gpu else []),
        "",
        f"| config | precision | variant | tokens/s | s/epoch | pads | peak RSS MB |{' peak GPU MB |' if gpu else ''}",
        f"|---|---|---|---:|---:|---:|---:|{'---:|' if gpu else ''}",
        *rows,
        "",
        "| config | precision | c/a | c/b | predict docs/s | predict tokens/s |",
        "|---|---|---:|---:|---:|---:|",
        *ratio_rows,
        "",
        *start_lines,
        *([f"Failed (see the run's stderr): {', '.join(failures)}.", ""] if failures else []),
    ]
    with atomic_write(args.out, "w") as fh:  # never a half-written report
        fh.write("\n".join(text))
    return "\n".join(text)


if __name__ == "__main__":
    main()
