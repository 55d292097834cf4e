"""Accuracy benchmark: prepare Inspec, then fit + test + predict named recipes with several seeds.

    python -m benchmarks.accuracy                       # default and seed recipes, 3 seeds
    python -m benchmarks.accuracy --recipes default --seeds 42
    python -m benchmarks.accuracy --recipes ablations --parallel 12 --trainer-args --trainer.accelerator gpu
    python -m benchmarks.accuracy --recipes csl         # Chinese (csl-kg), by benchmarks/csl.py

A recipe is a config file, configs/experiments/NAME.yaml (``a+b``: both files, which must agree
on every key both set); a run adds only its data, seed and --trainer-args. Each run is the real
CLI in a fresh process (`keyword-lightning fit/test/predict --config ...`, `--ckpt_path best`).
The predictions are re-scored by the independent scorer benchmarks/scoring.py, and the table
goes to benchmarks/results/accuracy.md with machine, build, date and minutes per run. The
"val F1" column is the best validation strict F1 of the run (what the checkpoint was chosen
by); choose recipes by it, never by the test columns.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks import csl
from benchmarks.common import (
    CLI,
    PREPARE,
    RESULTS,
    ROOT,
    SHARED,
    command,
    flags,
    header,
    mean_sd,
    run,
    run_all,
    threads_per_run,
    unique,
    write_results,
)
from benchmarks.gold import spans_from_bio
from benchmarks.scoring import score_predictions
from keyword_lightning.runs import logged_values

EXPERIMENTS = ROOT / "configs" / "experiments"
# name -> its config: configs/experiments/NAME.yaml, a whole config (its header names its base and
# what it changes). Ablations change one thing of the default (or add one it leaves off).
RECIPES: dict[str, Path] = {path.stem: path for path in sorted(EXPERIMENTS.glob("*.yaml"))}
# name -> (recipe whose checkpoints are decoded, CLI overrides for test/predict): no training,
# the same weights decoded another way (each seed after that recipe's run of the same seed).
DECODE_ONLY: dict[str, tuple[str, list[str]]] = {
    "argmax": ("default", ["--model.decoding.decoder", "argmax"]),
}
# Named groups of recipes for --recipes.
GROUPS = {
    "main": ["default", "seed"],
    # What the issue names: pretrained vectors, char features, window, decoder, alpha, cell.
    "ablations": "default seed no-pretrained chars window-3 argmax alpha-0 alpha-0.3 alpha-1 cell-rnn cell-gru".split(),
    # This project's own additions to the recipe, each taken away.
    "additions": ["no-doc-features", "plain-dropout", "batch-64", "fusion-1", "frozen-embeddings"],
    # The transformer encoder (issue 12): frozen (the CPU recipe) and fine-tuned, each with and
    # without GloVe rows and document features.
    "transformer": (
        "default minilm-frozen minilm-frozen-no-glove minilm-frozen-doc-features minilm-frozen-no-repeats "
        "minilm-frozen-before minilm-frozen-before-no-glove minilm-finetuned minilm-finetuned-no-glove "
        "minilm-finetuned-no-doc-features"
    ).split(),
}


def settings(path: Path) -> dict[str, object]:
    """A config file's settings by key (``model.optimizer.lr``, ``model.inputs.chars``; ``trainer``: its file)."""
    out: dict[str, object] = {}
    for section, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
        if section == "trainer" and isinstance(value, str):  # relative to the config, as jsonargparse reads it
            out["trainer"] = (path.parent / value).resolve()
        elif section == "model" and isinstance(value, dict):  # a group's keys one by one; an input whole
            for group, values in value.items():
                if group == "inputs":
                    entries = [e.items() if isinstance(e, dict) else [(e, None)] for e in values or []]
                    out.update({f"model.inputs.{name}": v or {} for entry in entries for name, v in entry})
                elif isinstance(values, dict):
                    out.update({f"model.{group}.{key}": v for key, v in values.items()})
                else:
                    out[f"model.{group}"] = values
        elif section == "data" and isinstance(value, dict):
            out.update({f"{section}.{key}": v for key, v in value.items()})
        else:
            out[section] = value
    return out


def recipe_configs(name: str) -> list[Path]:
    """The config files of a recipe; ``a+b`` gives ``a``'s then ``b``'s, which must agree on every key both set."""
    paths = [RECIPES[part] for part in name.split("+")]
    seen: dict[str, tuple[object, str]] = {}
    for path in paths:
        for key, value in settings(path).items():
            if key in seen and seen[key][0] != value:
                raise ValueError(f"{name}: {seen[key][1]} and {path.stem} set {key} otherwise; write its own config")
            seen.setdefault(key, (value, path.stem))
    return paths


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
        print(f"{name} seed {seed}: reusing {done.relative_to(work)}", flush=True)
        return json.loads(done.read_text())
    decode_only = name in DECODE_ONLY
    source, extra = DECODE_ONLY[name] if decode_only else (name, [])
    run_dir.mkdir(exist_ok=True)
    data = str(work / "data" / "data_set.pkl")
    configs = [arg for c in recipe_configs(source) for arg in ("--config", str(c))]
    options = {"--data.dataset_file": data, "--trainer.enable_progress_bar": "false", "--seed_everything": seed}
    common = [*configs, *flags(options), *extra_args, *extra]
    t0 = time.time()
    if decode_only:  # the source run's best checkpoint, decoded another way
        ckpt = str(next((work / f"{source}-{seed}").rglob("best-*.ckpt")))
        minutes, val = 0.0, float("nan")
    else:
        run([*CLI, "fit", *common], run_dir, threads)
        ckpt = "best"
        minutes = (time.time() - t0) / 60
        val = max(logged_values(run_dir, "val/phrase_f1"))
    if fit_only:  # choosing a recipe: validation only
        print(f"{name} seed {seed}: val F1 {val:.4f}, {minutes:.1f} min", flush=True)
        done.write_text(json.dumps({"val_f1": val, "minutes": minutes}))
        return {"val_f1": val, "minutes": minutes}
    run([*CLI, "test", *common, "--ckpt_path", ckpt], run_dir, threads)
    test_f1 = logged_values(run_dir, "test/phrase_f1")[-1]
    out = run_dir / "predictions.jsonl"
    predict = {"--ckpt_path": ckpt, "--data.predict_split": "test", "--trainer.callbacks.output_path": out}
    run([*CLI, "predict", *common, *flags(predict)], run_dir, threads)
    scored = score_predictions(out, gold)
    assert abs(scored["f1"] - test_f1) < 1e-6, f"{name}: independent scorer {scored['f1']} != logged {test_f1}"
    set_f1 = logged_values(run_dir, "test/set_f1")[-1]
    assert abs(scored["set_f1"] - set_f1) < 1e-6, f"{name}: independent set F1 {scored['set_f1']} != logged {set_f1}"
    print(f"{name} seed {seed}: val F1 {val:.4f}, test F1 {scored['f1']:.4f}, {minutes:.1f} min", flush=True)
    result = {**scored, "val_f1": val, "minutes": minutes}
    done.write_text(json.dumps(result))
    return result


def table(args, names: list[str], results: dict, note: str) -> str:
    """The results file: header, how it was scored, and a row per recipe."""
    runs = {name: [results[(name, seed)] for seed in args.seeds if (name, seed) in results] for name in names}
    base = statistics.mean(r["f1"] for r in runs["default"]) if runs.get("default") else None
    rows = []
    for name, rs in runs.items():
        if not rs:
            continue
        # what each change adds or costs, against the default's mean
        delta = "" if base is None or name == "default" else f"{statistics.mean(r['f1'] for r in rs) - base:+.3f}"
        cells = [mean_sd([r[key] for r in rs], "(as trained)") for key in ("val_f1", "precision", "recall", "f1")]
        cells += [delta, *(mean_sd([r[key] for r in rs]) for key in ("set_f1", "set_macro_f1"))]
        rows.append(f"| {name} | {len(rs)} | {' | '.join(cells)} | {statistics.mean(r['minutes'] for r in rs):.1f} |")
    seeds_run = {n: [s for s in args.seeds if (n, s) in results] for n in names}
    partial = {n: v for n, v in seeds_run.items() if v and len(v) < len(args.seeds)}
    if partial:
        note += " Recipes with fewer seeds ran only " + "; ".join(f"{n}: {v}" for n, v in partial.items()) + "."
    argv = ["--recipes", *args.recipes, "--seeds", *map(str, args.seeds)]
    argv += (["--parallel", str(args.parallel)] if args.parallel > 1 else []) + (
        ["--trainer-args", *args.trainer_args] if args.trainer_args else []
    )
    text = [
        "# Accuracy on the Inspec test split",
        "",
        header(command("accuracy", argv)) + note,
        "Recipes: configs/experiments/NAME.yaml (`a+b`: both files). Strict span P/R/F1 (exact start and end,",
        "micro over documents) and document-level keyphrase-set F1 (lowercased unique phrases per document,",
        "micro and macro), from the written predictions by benchmarks/scoring.py (equal to the logged",
        "test/phrase_f1 and test/set_f1, checked). val F1 = best validation strict F1 (the checkpoint is",
        "chosen by it). Mean ± std over seeds; decode-only recipes (argmax) decode the named recipe's",
        "checkpoints of the same seeds (no fit);",
        f"minutes = fit wall time per run{' (runs shared the machine)' if args.parallel > 1 else ''};",
        "Δ = mean strict F1 minus the default's.",
        "",
        "| recipe | seeds | val F1 | precision | recall | strict F1 | Δ | set F1 | set macro F1 | fit min |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    return "\n".join(text)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", nargs="+", default=["main"], help=f"names or groups: {', '.join(GROUPS)}")
    ap.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    ap.add_argument("--data", type=Path, default=SHARED / "inspec")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove" / "glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--out", type=Path, default=RESULTS / "accuracy.md")
    ap.add_argument("--workdir", type=Path, default=None, help="keep runs here (default: a temp folder)")
    ap.add_argument("--parallel", type=int, default=1, help="runs at once (each gets its share of the CPU threads)")
    ap.add_argument("--fit-only", action="store_true", help="report validation F1 only (for choosing a recipe)")
    ap.add_argument(
        "--table-only",
        action="store_true",
        help="write the table from the finished runs in --workdir; train nothing new",
    )
    ap.add_argument("--trainer-args", nargs=argparse.REMAINDER, default=[], help="passed to every CLI call")
    args = ap.parse_args(argv)
    if "csl" in args.recipes:  # Chinese: its own data, tokenizer and ranked scores, in benchmarks/csl.py
        if len(args.recipes) > 1:
            ap.error("--recipes csl runs alone (it writes results/csl.md and the csl-kg section of accuracy.md)")
        csl_argv = ["--recipes", "main", "--seeds", *map(str, args.seeds), "--parallel", str(args.parallel)]
        csl.main(csl_argv + (["--workdir", str(args.workdir)] if args.workdir else []))
        return
    names = unique(n for r in args.recipes for n in GROUPS.get(r, [r]))  # once each, in order
    unknown = [n for n in names if n not in DECODE_ONLY and any(part not in RECIPES for part in n.split("+"))]
    if unknown:
        ap.error(f"unknown recipes {unknown}; known: {', '.join(RECIPES)}")
    for name in names:
        try:
            recipe_configs(DECODE_ONLY.get(name, (name,))[0])
        except ValueError as err:
            ap.error(str(err))
    missing = {DECODE_ONLY[n][0] for n in names if n in DECODE_ONLY} - set(names)
    if missing:
        ap.error(f"decode-only recipes need their source recipes too: add {sorted(missing)}")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-accuracy-"))
    work.mkdir(parents=True, exist_ok=True)
    d = args.data
    splits = {"--train": d / "train.txt", "--val": d / "valid.txt", "--test": d / "test.txt"}
    run([*PREPARE, *flags({"--format": "conll", **splits, "--embeddings": args.glove, "--out": work / "data"})], work)
    gold = spans_from_bio(d / "test.txt")
    extra_args = list(args.trainer_args)
    note = ""
    if importlib.util.find_spec("wandb") is None:  # e.g. a GPU machine without wandb: CSV logs only
        csv_only = [{"class_path": "lightning.pytorch.loggers.CSVLogger", "init_args": {"save_dir": "runs"}}]
        extra_args += ["--trainer.logger", json.dumps(csv_only)]
        note = " wandb was not installed there, so runs logged to CSV only."
    threads = threads_per_run(args.parallel)

    def one(name: str, seed: int) -> dict:
        return one_run(name, seed, work, gold, extra_args, threads, args.fit_only)

    results: dict = {}
    for phase in (False, True):  # trained recipes first, then those that decode their checkpoints
        jobs = [(name, seed) for name in names if (name in DECODE_ONLY) == phase for seed in args.seeds]
        if args.table_only:  # finished runs only (decoding runs need a finished source run)
            jobs = [(n, s) for n, s in jobs if (work / f"{DECODE_ONLY.get(n, (n,))[0]}-{s}/result.json").is_file()]
        done, failed = run_all(jobs, one, args.parallel)
        results.update(done)
        if failed:
            sys.exit(f"{len(failed)} run(s) failed: {failed}")
    if args.fit_only:
        for name in names:
            vals = [results[(name, seed)]["val_f1"] for seed in args.seeds]
            sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
            print(f"| {name} | {len(vals)} | {statistics.mean(vals):.4f} ± {sd:.4f} |")
        return
    text = table(args, names, results, note)
    write_results(args.out, text)  # keeps the csl-kg section that benchmarks/csl.py writes into accuracy.md
    print(text)


if __name__ == "__main__":
    main()
