"""Two fits at once on one machine: does each still run at about its speed alone?

    python -m benchmarks.shared_cpu                  # prepares Inspec, then 8 short fits
    python -m benchmarks.shared_cpu --data DIR       # a prepared folder (data_set.pkl, embedding.pkl)

A short fit of the default recipe (``--trainer.max_epochs 2 --trainer.limit_train_batches 15``,
full validation) is run alone, then twice at the same time, each in its own process, with
nothing in the environment about threads (no ``OMP_NUM_THREADS``). Once with the project's
default threads (``runtime.default_threads``) and once with torch's own (``--threads 0``:
one thread per core). Writes the ``shared-cpu`` section of ``benchmarks/results/throughput.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import CLI, PREPARE, RESULTS, ROOT, SHARED, command, flags, header, with_section, write_results

FIT = {
    "--trainer.max_epochs": 2,
    "--trainer.limit_train_batches": 15,
    "--trainer.logger": "false",
    "--trainer.enable_checkpointing": "false",
    "--trainer.callbacks": "null",
}
THREADS = {"project default": [], "torch default (one per core)": ["--threads", "0"]}
SECTION = "shared-cpu"


def user_env() -> dict[str, str]:
    """The environment a user has: no thread settings, wandb off (no logger anyway)."""
    drop = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "KW_QUIET")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def fits(data: Path, work: Path, extra: list[str], at_once: int) -> list[float]:
    """Wall seconds of each of ``at_once`` fits started together."""
    options = {"--config": ROOT / "configs/inspec.yaml", "--data.dataset_file": data / "data_set.pkl", **FIT}
    cmd = [*CLI, "fit", *flags(options), "--quiet", *extra]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            list(map(str, cmd)), cwd=work, env=user_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(at_once)
    ]
    seconds = []
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"fit failed: {err[-2000:]}")
        seconds.append(time.perf_counter() - start)
    return seconds


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="a prepared folder (default: prepare Inspec now)")
    ap.add_argument("--inspec", type=Path, default=SHARED / "inspec")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove/glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--out", type=Path, default=RESULTS / "throughput.md")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = args.data
        if data is None:
            data = work / "data"
            splits = {"--train": args.inspec / "train.txt", "--val": args.inspec / "valid.txt"}
            splits["--test"] = args.inspec / "test.txt"
            options = {"--format": "conll", **splits, "--embeddings": args.glove, "--out": data}
            subprocess.run([*PREPARE, *flags(options)], check=True, env=user_env(), capture_output=True)
        rows = []
        for name, extra in THREADS.items():
            (alone,) = fits(data, work, extra, 1)
            pair = fits(data, work, extra, 2)
            worst = max(pair) / alone
            rows.append(
                f"| {name} | {alone:.1f} | {alone / 2:.1f} | {pair[0]:.1f}, {pair[1]:.1f} | "
                f"{max(pair) / 2:.1f} | {worst:.2f} |"
            )
            print(rows[-1], file=sys.stderr)
    body = "\n".join(
        [
            "## Two fits at once on a shared CPU",
            "",
            header(command("shared_cpu", argv if argv is not None else sys.argv[1:])),
            "A short fit of `configs/inspec.yaml` (2 epochs of 15 batches, full validation, start-up included),",
            "alone and two at once, no thread settings in the environment. Target: each of two at once",
            "<= 2.5x one alone.",
            "",
            "| threads | alone s | alone s/epoch | two at once s (each) | two at once s/epoch | slower |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    old = args.out.read_text(encoding="utf-8") if args.out.is_file() else "# Throughput\n"
    write_results(args.out, with_section(old, body, SECTION, "benchmarks/shared_cpu.py"))
    print(f"wrote the {SECTION} section of {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
