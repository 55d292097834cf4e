"""Accuracy benchmark: prepare Inspec, then fit + test + predict named recipes with several seeds.

    python benchmarks/accuracy.py                       # default and seed recipes, 1 seed
    python benchmarks/accuracy.py --recipes default --seeds 42 43 44

Each run is the real CLI in a fresh process (`keyword-lightning fit/test/predict`, `--ckpt_path
best`). The predictions are re-scored by an independent span scorer written here, and the
table goes to benchmarks/results/accuracy.md with machine, date and minutes per run.
"""

from __future__ import annotations

import argparse
import csv
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

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

# name -> (config, extra CLI overrides). Ablations change one thing of the default recipe
# (or add one feature that the default leaves off).
RECIPES: dict[str, tuple[str, list[str]]] = {
    "default": ("configs/inspec.yaml", []),
    "seed": ("configs/seed.yaml", []),
    "no-pretrained": ("configs/inspec.yaml", ["--data.embedding_file", "null", "--model.embedding_dim", "50"]),
    "argmax": ("configs/inspec.yaml", ["--model.decoder", "argmax"]),
    "alpha-0": ("configs/inspec.yaml", ["--model.alpha", "0.0"]),
    "alpha-0.3": ("configs/inspec.yaml", ["--model.alpha", "0.3"]),
    "alpha-1": ("configs/inspec.yaml", ["--model.alpha", "1.0"]),
    "cell-gru": ("configs/inspec.yaml", ["--model.cell", "gru"]),
    "cell-rnn": ("configs/inspec.yaml", ["--model.cell", "rnn"]),
    "window-3": ("configs/inspec.yaml", ["--model.context_window", "3"]),
    "chars": ("configs/inspec.yaml", ["--model.char_dim", "25"]),
    "window-3+chars+word-dropout": (
        "configs/inspec.yaml",
        ["--model.context_window", "3", "--model.char_dim", "25", "--model.word_dropout", "0.05"],
    ),
}


def spans_from_bio(path: Path) -> list[set[tuple[int, int]]]:
    """Gold spans per document straight from the CoNLL file (conlleval reading, any type)."""
    docs, spans, i, start, kind = [], set(), 0, None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if start is not None:
                spans.add((start, i - 1))
            if i:
                docs.append(spans)
            spans, i, start, kind = set(), 0, None, None
            continue
        tag = line.split("\t")[-1].strip()
        cont = tag.startswith("I-") and start is not None and tag[2:] == kind
        if not cont:
            if start is not None:
                spans.add((start, i - 1))
            start, kind = (i, tag[2:]) if tag != "O" else (None, None)
        i += 1
    return docs


def score(pred_file: Path, gold: list[set[tuple[int, int]]]) -> dict[str, float]:
    """Strict span P/R/F1 and document-level keyphrase-set F1 (micro) from predictions.jsonl."""
    records = [json.loads(x) for x in pred_file.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(gold), (len(records), len(gold))
    tp = npred = ngold = 0
    stp = spred = sgold = 0
    for rec, g in zip(records, gold):
        p = {(k["start_token"], k["end_token"]) for k in rec["keyphrases"]}
        tp, npred, ngold = tp + len(p & g), npred + len(p), ngold + len(g)
        toks = [t.lower() for t in rec["tokens"]]
        ps = {" ".join(toks[s : e + 1]) for s, e in p}
        gs = {" ".join(toks[s : e + 1]) for s, e in g}
        stp, spred, sgold = stp + len(ps & gs), spred + len(ps), sgold + len(gs)
    prec, rec_ = tp / max(npred, 1), tp / max(ngold, 1)
    return {
        "precision": prec,
        "recall": rec_,
        "f1": 2 * tp / max(npred + ngold, 1),
        "set_f1": 2 * stp / max(spred + sgold, 1),
    }


def run(cmd: list[str], cwd: Path) -> str:
    env = {**os.environ, "WANDB_SILENT": "true", "WANDB_MODE": "offline"}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return proc.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", nargs="+", default=["default", "seed"], choices=sorted(RECIPES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[42])
    ap.add_argument("--data", type=Path, default=SHARED / "inspec")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove" / "glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "accuracy.md")
    ap.add_argument("--workdir", type=Path, default=None, help="keep runs here (default: a temp folder)")
    args = ap.parse_args()

    bin_dir = Path(sys.executable).parent
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-accuracy-"))
    work.mkdir(parents=True, exist_ok=True)
    d = args.data
    run([str(bin_dir / "keyword-lightning-prepare"), "--format", "conll", "--train", str(d / "train.txt"),
         "--val", str(d / "valid.txt"), "--test", str(d / "test.txt"), "--embeddings", str(args.glove),
         "--out", str(work / "data")], work)  # fmt: skip
    gold = spans_from_bio(d / "test.txt")
    cli = str(bin_dir / "keyword-lightning")
    rows = []
    for name in args.recipes:
        config, extra = RECIPES[name]
        results = []
        for seed in args.seeds:
            run_dir = work / f"{name}-{seed}"
            run_dir.mkdir(exist_ok=True)
            common = ["--config", str(ROOT / config), "--data.dataset_file", str(work / "data" / "data_set.pkl"),
                      "--trainer.enable_progress_bar", "false", "--seed_everything", str(seed), *extra]  # fmt: skip
            t0 = time.time()
            run([cli, "fit", *common], run_dir)
            minutes = (time.time() - t0) / 60
            run([cli, "test", *common, "--ckpt_path", "best"], run_dir)
            metrics_file = max(run_dir.rglob("metrics.csv"), key=lambda p: p.stat().st_mtime)
            with open(metrics_file) as fh:
                logged = float([r for r in csv.DictReader(fh) if r.get("test/phrase_f1")][-1]["test/phrase_f1"])
            out = run_dir / "predictions.jsonl"
            run([cli, "predict", *common, "--ckpt_path", "best", "--data.predict_split", "test",
                 "--trainer.callbacks.output_path", str(out)], run_dir)  # fmt: skip
            scored = score(out, gold)
            assert abs(scored["f1"] - logged) < 1e-6, f"independent scorer {scored['f1']} != logged {logged}"
            results.append({**scored, "minutes": minutes})
            print(f"{name} seed {seed}: F1 {scored['f1']:.4f} (logged {logged:.4f}), {minutes:.1f} min", flush=True)

        def ms(key: str, results=results) -> str:
            vals = [r[key] for r in results]
            sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
            return f"{statistics.mean(vals):.3f} ± {sd:.3f}"

        rows.append(f"| {name} | {len(results)} | {ms('precision')} | {ms('recall')} | {ms('f1')} | {ms('set_f1')} | "
                    f"{statistics.mean(r['minutes'] for r in results):.1f} |")  # fmt: skip

    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.processor() or 'cpu'}"
    text = [
        "# Accuracy on the Inspec test split",
        "",
        f"Measured {datetime.date.today()} on {machine}; `python benchmarks/accuracy.py "
        f"--recipes {' '.join(args.recipes)} --seeds {' '.join(map(str, args.seeds))}`.",
        "Strict span P/R/F1 (exact start and end, micro over documents) and document-level",
        "keyphrase-set F1 (lowercased unique phrases per document, micro), from the written",
        "predictions by an independent scorer (equal to the logged test/phrase_f1, checked).",
        "Mean ± std over seeds; minutes = fit wall time per run.",
        "",
        "| recipe | seeds | precision | recall | strict F1 | set F1 | fit min |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
