"""CSL benchmark: Chinese keyword recipes against jieba TF-IDF and TextRank on csl-kg's valid split.

    python -m benchmarks.csl --parallel 2 --workdir /tmp/csl-runs   # csl recipe, 3 seeds, + jieba rows
    python -m benchmarks.csl --recipes explore --seeds 42 --workdir /tmp/csl-runs --out csl-explore.md
    python -m benchmarks.csl --recipes jieba-tfidf jieba-textrank      # the jieba rows only (seconds)
    python -m benchmarks.csl --write-vectors ppmi.txt                  # PPMI-SVD char vectors, for prepare

Each recipe is prepared with its own tokenizer (``keyword-lightning-prepare --format jsonl
--tokenizer ...``), fitted with the real CLI in a fresh process per seed (early stop and the best
checkpoint chosen on valid), and its best checkpoint tags the raw text of ``valid.jsonl``
(``keyword-lightning predict --ckpt_path best``). csl-kg has no test split here (the task's test
split is held out elsewhere): recipes are chosen AND reported on valid, so the figures are
optimistic for the chosen recipe.

A recipe is a config file, configs/experiments/csl/NAME.yaml, prepared with the tokenizer and
vectors ``PREPARE_WITH`` names; a run adds only its data and seed.

Scores (``benchmarks.scoring.score_present``; phrases lowercased, no stemming):

- ranked F1@5 / F1@10 / F1@M against *all* of a document's keywords (present and absent: an
  extractor can never find the absent ones, so they cap recall), and against the *present* ones
  only (those that occur verbatim, case-insensitively, in the text);
- strict span F1: the logged ``val/phrase_f1`` of the best checkpoint (exact token spans against
  every occurrence of the present keyphrases as prepare marked them; the checkpoint is chosen by it).

jieba rows run in the same process: ``TFIDF().extract_tags(text, topK=10)`` and
``TextRank().textrank(text, topK=10)`` (own instances, no global state), ranked in their order.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import (
    CLI,
    PREPARE,
    RESULTS,
    ROOT,
    SHARED,
    command,
    flags,
    header,
    machine,
    mean_sd,
    run,
    run_all,
    threads_per_run,
    unique,
    with_section,
    write_results,
)
from benchmarks.gold import read_jsonl, read_records
from benchmarks.ppmi_vectors import build_vectors
from benchmarks.scoring import PRESENT_METRICS, score_present
from keyword_lightning.runs import logged_values

EXPERIMENTS = ROOT / "configs" / "experiments" / "csl"
# name -> its config, configs/experiments/csl/NAME.yaml (csl and the *-f1-stop recipes stop early
# on val/phrase_f1, patience 10; chars, jieba-words and ppmi-vectors on val/loss, patience 7).
RECIPES: dict[str, Path] = {path.stem: path for path in sorted(EXPERIMENTS.glob("*.yaml"))}
# name -> (tokenizer given to prepare, PPMI-SVD vectors from the training text (their dimension)
# or None for random embeddings): how each recipe's data is prepared.
PREPARE_WITH: dict[str, tuple[str, int | None]] = {
    "csl": ("chars", None),  # the chosen recipe
    "csl-no-repeats": ("chars", None),  # the recipe before the repeat features
    "chars": ("chars", None),
    "jieba-words": ("jieba", None),
    "ppmi-vectors": ("chars", 128),
    "jieba-f1-stop": ("jieba", None),
    "ppmi-f1-stop": ("chars", 128),
}
BASELINES = ("jieba-tfidf", "jieba-textrank")  # measured in-process, no seeds
GROUPS = {
    "main": ["csl", *BASELINES],
    "explore": ["csl", "csl-no-repeats", "chars", "jieba-words", "jieba-f1-stop", "ppmi-vectors"],
}
DEFAULT_OUT = RESULTS / "csl.md"
SECTION = ("csl-kg", "benchmarks/csl.py")  # the section of accuracy.md this script writes


def ranked_in_order(phrases: Sequence[str]) -> list[tuple[str, float]]:
    """A baseline's phrases with scores that keep its own order (first = highest)."""
    return [(p, float(len(phrases) - i)) for i, p in enumerate(phrases)]


def jieba_baselines(docs: Sequence[dict], top_k: int = 10) -> dict[str, dict]:
    """jieba TF-IDF and TextRank keywords of each document, scored; own extractor instances."""
    from jieba.analyse import TFIDF, TextRank

    out = {}
    for name, extract in (("jieba-tfidf", TFIDF().extract_tags), ("jieba-textrank", TextRank().textrank)):
        t0 = time.time()
        predicted = [ranked_in_order(extract(d["text"], topK=top_k)) for d in docs]
        out[name] = {**score_present(predicted, docs), "val_f1": float("nan"), "minutes": (time.time() - t0) / 60}
    return out


# ----------------------------------------------------------------------------- runs


def data_dir(work: Path, tokenizer: str, vectors: int | None) -> Path:
    return work / (f"data-{tokenizer}" + (f"-ppmi{vectors}" if vectors else ""))


def prepare(work: Path, tokenizer: str, vectors: int | None, data: Path) -> Path:
    """``data_set.pkl`` (and ``embedding.pkl`` from PPMI-SVD vectors) under ``data_dir``, once per workdir."""
    out = data_dir(work, tokenizer, vectors)
    if not (out / "data_set.pkl").is_file():
        splits = {"--train": data / "train.jsonl", "--val": data / "valid.jsonl"}
        cmd = [*PREPARE, *flags({"--format": "jsonl", "--tokenizer": tokenizer, **splits, "--out": out})]
        if vectors:
            out.mkdir(parents=True, exist_ok=True)
            path = build_vectors(data / "train.jsonl", tokenizer, out / f"ppmi-{tokenizer}-{vectors}.txt", dim=vectors)
            cmd += ["--embeddings", str(path), "--lowercase", "false"]
        print(run(cmd, work).strip(), flush=True)
    return out / "data_set.pkl"


def one_run(name: str, seed: int, work: Path, data: Path, docs, threads: int | None) -> dict:
    """fit and predict one recipe with one seed in ``work/name-seed``; a finished run (result.json) is reused."""
    run_dir = work / f"{name}-{seed}"
    done = run_dir / "result.json"
    if done.is_file():
        print(f"{name} seed {seed}: reusing {done.relative_to(work)}", flush=True)
        return json.loads(done.read_text())
    dataset = data_dir(work, *PREPARE_WITH[name]) / "data_set.pkl"
    run_dir.mkdir(exist_ok=True)
    options = {"--data.dataset_file": dataset, "--trainer.enable_progress_bar": "false", "--seed_everything": seed}
    common = flags({"--config": RECIPES[name], **options})
    t0 = time.time()
    run([*CLI, "fit", *common], run_dir, threads)
    minutes = (time.time() - t0) / 60
    val = max(logged_values(run_dir, "val/phrase_f1"))
    out = run_dir / "predictions.jsonl"
    predict = {
        "--ckpt_path": "best",
        "--data.predict_file": data / "valid.jsonl",
        "--trainer.callbacks.output_path": out,
    }
    run([*CLI, "predict", *common, *flags(predict)], run_dir, threads)
    result = {**score_present(read_records(out), docs), "val_f1": val, "minutes": minutes}
    print(
        f"{name} seed {seed}: F1@5 present {result['present_f1@5']:.4f}, all {result['all_f1@5']:.4f}, "
        f"span F1 {val:.4f}, {minutes:.1f} min",
        flush=True,
    )
    done.write_text(json.dumps(result))
    return result


def table_rows(results: dict[str, list[dict]], seeds: dict[str, str]) -> list[str]:
    rows = []
    for name, rs in results.items():
        cells = [mean_sd([r[f"{part}_{m}"] for r in rs]) for part in ("present", "all") for m in PRESENT_METRICS]
        minutes = "—" if name in BASELINES else f"{statistics.mean(r['minutes'] for r in rs):.1f}"
        cells += [mean_sd([r["val_f1"] for r in rs]), minutes]
        rows.append(f"| {name} | {seeds[name]} | {' | '.join(cells)} |")
    return rows


def report(args, names: list[str], results: dict[str, list[dict]]) -> tuple[list[str], list[str]]:
    """The results file's lines, and the table alone."""
    import jieba

    seeds = {n: "—" if n in BASELINES else str(len(args.seeds)) for n in names}
    argv = ["--recipes", *args.recipes, "--seeds", *map(str, args.seeds)]
    argv += ["--parallel", str(args.parallel)] if args.parallel > 1 else []
    omp = os.environ.get("OMP_NUM_THREADS")
    threads_note = f", OMP_NUM_THREADS={omp} (torch threads per fit)" if omp and args.parallel == 1 else ""
    table = [
        "| recipe | seeds | F1@5 present | F1@10 present | F1@M present | F1@5 all | F1@10 all | F1@M all "
        "| strict span F1 | fit min |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *table_rows(results, seeds),
    ]
    text = [
        "# Chinese keywords: csl-kg valid split (200 documents)",
        "",
        header(command("csl", argv), on=machine(f"jieba {jieba.__version__}")),
        "",
        "csl-kg has no test split here (the CSL task's test split is held out elsewhere), so the recipe",
        "was chosen on this valid split AND is reported on it: its figures are optimistic.",
        "Recipes: configs/experiments/csl/NAME.yaml, fitted on train.jsonl (800 documents), early stop and",
        "best checkpoint on valid; the best checkpoint tags valid.jsonl's raw text (`predict --ckpt_path best`),",
        "phrases ranked by their score.",
        "jieba rows: `TFIDF().extract_tags(text, topK=10)` and `TextRank().textrank(text, topK=10)`,",
        "ranked in their own order, measured in the same run.",
        "F1@k: micro F1 of the top k unique phrases (`benchmarks/scoring.score_present`, lowercased,",
        "no stemming); *present* = gold keywords occurring verbatim (case-insensitively) in the text,",
        "*all* = every gold keyword, absent ones included (no extractor here can produce those).",
        "Strict span F1 = the logged `val/phrase_f1` of the best checkpoint (exact token spans against every",
        "occurrence of the present keyphrases as prepare marked them). Mean ± std over seeds;",
        f"fit min = fit wall time per run{' (runs shared the machine)' if args.parallel > 1 else ''}{threads_note}.",
        "",
        *table,
        "",
        *(
            f"Per seed, {n} (F1@5 present / strict span F1 / fit min): "
            + "; ".join(
                f"{s}: {r['present_f1@5']:.3f} / {r['val_f1']:.3f} / {r['minutes']:.1f}"
                for s, r in zip(args.seeds, results[n])
            )
            + "."
            for n in names
            if n in RECIPES
        ),
        "",
    ]
    return text, table


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", nargs="+", default=["main"], help=f"names or groups: {', '.join(GROUPS)}")
    ap.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    ap.add_argument("--data", type=Path, default=SHARED / "csl-kg")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--workdir", type=Path, default=None, help="keep runs here and reuse finished ones")
    ap.add_argument(
        "--summary",
        type=Path,
        default=None,
        help="also put the table in this file's csl-kg section (default: results/accuracy.md when --out is default)",
    )
    ap.add_argument("--parallel", type=int, default=1, help="runs at once (each gets its share of the CPU threads)")
    ap.add_argument(
        "--write-vectors",
        type=Path,
        metavar="FILE",
        help="only write the PPMI-SVD vectors of the training text (chars, 128-d) to FILE, for prepare",
    )
    args = ap.parse_args(argv)
    if args.write_vectors:
        print(build_vectors(args.data / "train.jsonl", "chars", args.write_vectors, dim=128))
        return
    names = unique(n for r in args.recipes for n in GROUPS.get(r, [r]))
    unknown = [n for n in names if n not in RECIPES and n not in BASELINES]
    if unknown:
        ap.error(f"unknown recipes {unknown}; known: {', '.join([*RECIPES, *BASELINES])}")
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="kw-csl-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    docs = read_jsonl(args.data / "valid.jsonl")

    trained = [n for n in names if n in RECIPES]
    for tokenizer, vectors in unique(PREPARE_WITH[n] for n in trained):
        prepare(work, tokenizer, vectors, args.data)
    threads = threads_per_run(args.parallel)

    def one(name: str, seed: int) -> dict:
        return one_run(name, seed, work, args.data, docs, threads)

    done, failed = run_all([(n, s) for n in trained for s in args.seeds], one, args.parallel)
    if failed:
        sys.exit(f"{len(failed)} run(s) failed: {failed}")
    baselines = jieba_baselines(docs) if any(n in BASELINES for n in names) else {}
    results = {n: [baselines[n]] if n in BASELINES else [done[(n, s)] for s in args.seeds] for n in names}
    text, table = report(args, names, results)
    write_results(args.out, "\n".join(text))  # a reader sees the old table or the new one
    print("\n".join(text))
    summary = args.summary or (RESULTS / "accuracy.md" if args.out == DEFAULT_OUT else None)
    if summary:
        body = [
            "## Chinese keywords (csl-kg valid split)",
            "",
            *text[2:4],
            "Every column is explained in [csl.md](csl.md), which this table is copied from by the same run.",
            "",
            *table,
        ]
        old = summary.read_text(encoding="utf-8") if summary.is_file() else ""
        write_results(summary, with_section(old, "\n".join(body), *SECTION), keep_sections=False)


if __name__ == "__main__":
    main()
