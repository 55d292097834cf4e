"""CSL benchmark: Chinese keyword recipes against jieba TF-IDF and TextRank on csl-kg's valid split.

    python benchmarks/csl.py --parallel 2 --workdir /tmp/csl-runs   # csl recipe, 3 seeds, + jieba rows
    python benchmarks/csl.py --recipes explore --seeds 42 --workdir /tmp/csl-runs --out csl-explore.md
    python benchmarks/csl.py --recipes jieba-tfidf jieba-textrank      # the jieba rows only (seconds)
    python benchmarks/csl.py --write-vectors ppmi.txt                  # PPMI-SVD char vectors, for prepare

Each recipe is prepared with its own tokenizer (``keyword-lightning-prepare --format jsonl
--tokenizer ...``), fitted with the real CLI in a fresh process per seed (early stop and the best
checkpoint chosen on valid), and its best checkpoint tags the raw text of ``valid.jsonl``
(``keyword-lightning predict --ckpt_path best``). csl-kg has no test split here (the task's test
split is held out elsewhere): recipes are chosen AND reported on valid, so the figures are
optimistic for the chosen recipe.

Scores (``benchmarks.keyphrase_scores.score_ranked``; phrases lowercased, no stemming):

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
import concurrent.futures
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python benchmarks/csl.py` from anywhere

from benchmarks.keyphrase_scores import read_records, score_ranked  # noqa: E402
from keyword_lightning.data.formats import atomic_write  # noqa: E402
from keyword_lightning.runs import logged_values  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CONFIG = "configs/csl.yaml"
F1_STOP = "configs/trainer/csl.yaml"  # early stop on val/phrase_f1 (patience 10) instead of val/loss
# name -> (configs, tokenizer given to prepare, PPMI-SVD vectors from the training text (their
# dimension) or None for random embeddings, extra CLI overrides). chars, jieba-words and
# ppmi-vectors keep the shared trainer (early stop on val/loss, patience 7); csl and the *-f1-stop
# recipes add configs/trainer/csl.yaml (early stop on val/phrase_f1, patience 10).
NO_REPEATS = ["--model.repeat_features", "false"]  # the recipes explored before the repeat features
RECIPES: dict[str, tuple[tuple[str, ...], str, int | None, list[str]]] = {
    "csl": ((CONFIG, F1_STOP), "chars", None, []),  # the chosen recipe
    "csl-no-repeats": ((CONFIG, F1_STOP), "chars", None, NO_REPEATS),  # the recipe before them
    "chars": ((CONFIG,), "chars", None, NO_REPEATS),
    "jieba-words": ((CONFIG,), "jieba", None, NO_REPEATS),
    "ppmi-vectors": ((CONFIG,), "chars", 128, NO_REPEATS),
    "jieba-f1-stop": ((CONFIG, F1_STOP), "jieba", None, NO_REPEATS),
    "ppmi-f1-stop": ((CONFIG, F1_STOP), "chars", 128, NO_REPEATS),
}
BASELINES = ("jieba-tfidf", "jieba-textrank")  # measured in-process, no seeds
GROUPS = {
    "main": ["csl", *BASELINES],
    "explore": ["csl", "csl-no-repeats", "chars", "jieba-words", "jieba-f1-stop", "ppmi-vectors"],
}
METRICS = ("f1@5", "f1@10", "f1@M")
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "csl.md"


# ----------------------------------------------------------------------------- scoring helpers


def read_jsonl(path: str | Path) -> list[dict]:
    """Records of a JSONL file (``{"id", "text", "keyphrases"}`` a line)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def present(keyphrases: Sequence[str], text: str) -> list[str]:
    """The keyphrases that occur verbatim (case-insensitively) in ``text``."""
    lowered = text.lower()
    return [k for k in keyphrases if k.strip() and k.lower() in lowered]


def score_both(predicted: Sequence[Sequence[tuple[str, float]]], docs: Sequence[dict]) -> dict[str, float]:
    """``score_ranked`` against all gold keyphrases (``all_`` keys) and the present ones (``present_`` keys)."""
    every = [d["keyphrases"] for d in docs]
    there = [present(d["keyphrases"], d["text"]) for d in docs]
    out = {}
    for prefix, gold in (("all_", every), ("present_", there)):
        scores = score_ranked(predicted, gold, ks=(5, 10))
        out.update({prefix + key: scores[key] for key in METRICS})
    return out


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
        out[name] = {**score_both(predicted, docs), "val_f1": float("nan"), "minutes": (time.time() - t0) / 60}
    return out


# ----------------------------------------------------------------------------- vectors


def build_vectors(train: str | Path, tokenizer: str, out: str | Path, dim: int = 64, window: int = 2) -> Path:
    """PPMI-SVD token vectors from the training text alone, written as a GloVe text file.

    Counts token pairs within ``window`` tokens of each other over the ``text`` of ``train``
    (split by ``tokenizer``, not lowercased), weights the counts by positive pointwise mutual
    information (context counts smoothed to the power 0.75), and keeps the top ``dim`` singular
    vectors, scaled by the square root of their singular values. Tokens seen once are left out.
    Offline and a few seconds on 800 documents.
    """
    from collections import Counter

    import numpy as np
    from scipy import sparse
    from scipy.sparse.linalg import svds

    from keyword_lightning.text import get_tokenizer

    split = get_tokenizer(tokenizer)
    docs = [[t for t, _, _ in split(d["text"])] for d in read_jsonl(train)]
    counts = Counter(t for doc in docs for t in doc)
    vocab = sorted((t for t, c in counts.items() if c > 1 and not t.isspace()), key=lambda t: (-counts[t], t))
    index = {t: i for i, t in enumerate(vocab)}
    rows, cols = [], []
    for doc in docs:
        ids = [index.get(t, -1) for t in doc]
        for offset in range(1, window + 1):
            for a, b in zip(ids, ids[offset:]):
                if a >= 0 and b >= 0:
                    rows += [a, b]
                    cols += [b, a]
    n = len(vocab)
    pairs = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    pairs.sum_duplicates()
    word = np.asarray(pairs.sum(axis=1)).ravel()
    context = np.asarray(pairs.sum(axis=0)).ravel() ** 0.75
    pmi = pairs.tocoo()
    values = np.log(pmi.data * context.sum() / (word[pmi.row] * context[pmi.col]))
    keep = values > 0
    ppmi = sparse.csr_matrix((values[keep], (pmi.row[keep], pmi.col[keep])), shape=(n, n))
    u, s, _ = svds(ppmi, k=min(dim, n - 1), random_state=0)
    vectors = u * np.sqrt(s)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-8)
    out = Path(out)
    with out.open("w", encoding="utf-8") as fh:
        for token, vec in zip(vocab, vectors):
            fh.write(token + " " + " ".join(f"{x:.5f}" for x in vec) + "\n")
    return out


# ----------------------------------------------------------------------------- runs


def run(cmd: list[str], cwd: Path, threads: int | None = None) -> str:
    env = {**os.environ, "WANDB_SILENT": "true", "WANDB_MODE": "offline"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"failed: {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return proc.stderr


def data_dir(work: Path, tokenizer: str, vectors: int | None) -> Path:
    return work / (f"data-{tokenizer}" + (f"-ppmi{vectors}" if vectors else ""))


def prepare(work: Path, tokenizer: str, vectors: int | None, data: Path) -> Path:
    """``data_set.pkl`` (and ``embedding.pkl`` from PPMI-SVD vectors) under ``data_dir``, once per workdir."""
    out = data_dir(work, tokenizer, vectors)
    if not (out / "data_set.pkl").is_file():
        cmd = [sys.executable, "-m", "keyword_lightning.prepare", "--format", "jsonl", "--tokenizer", tokenizer,
               "--train", str(data / "train.jsonl"), "--val", str(data / "valid.jsonl"), "--out", str(out)]  # fmt: skip
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
        print(f"{name} seed {seed}: reusing {done}", flush=True)
        return json.loads(done.read_text())
    configs, tokenizer, vectors, extra = RECIPES[name]
    dataset = data_dir(work, tokenizer, vectors) / "data_set.pkl"
    run_dir.mkdir(exist_ok=True)
    cli = [sys.executable, "-m", "keyword_lightning.cli"]
    common = [*(arg for c in configs for arg in ("--config", str(ROOT / c))), "--data.dataset_file", str(dataset),
              "--trainer.enable_progress_bar", "false", "--seed_everything", str(seed), *extra]  # fmt: skip
    t0 = time.time()
    run([*cli, "fit", *common], run_dir, threads)
    minutes = (time.time() - t0) / 60
    val = max(logged_values(run_dir, "val/phrase_f1"))
    out = run_dir / "predictions.jsonl"
    run([*cli, "predict", *common, "--ckpt_path", "best", "--data.predict_file", str(data / "valid.jsonl"),
         "--trainer.callbacks.output_path", str(out)], run_dir, threads)  # fmt: skip
    result = {**score_both(read_records(out), docs), "val_f1": val, "minutes": minutes}
    print(f"{name} seed {seed}: F1@5 present {result['present_f1@5']:.4f}, all {result['all_f1@5']:.4f}, "
          f"span F1 {val:.4f}, {minutes:.1f} min", flush=True)  # fmt: skip
    done.write_text(json.dumps(result))
    return result


def ms(values: list[float]) -> str:
    if any(v != v for v in values):
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def table_rows(results: dict[str, list[dict]], seeds: dict[str, str]) -> list[str]:
    rows = []
    for name, rs in results.items():
        cells = [ms([r[f"{part}_{m}"] for r in rs]) for part in ("present", "all") for m in METRICS]
        minutes = "—" if name in BASELINES else f"{statistics.mean(r['minutes'] for r in rs):.1f}"
        rows.append(f"| {name} | {seeds[name]} | {' | '.join(cells)} | {ms([r['val_f1'] for r in rs])} | {minutes} |")
    return rows


SECTION = ("<!-- csl-kg: written by benchmarks/csl.py -->", "<!-- /csl-kg -->")


def with_section(document: str, body: str) -> str:
    """``document`` with the text between the ``SECTION`` markers replaced by ``body`` (appended if absent)."""
    start, end = SECTION
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in document and end in document:
        head, rest = document.split(start, 1)
        return head + block + rest.split(end, 1)[1]
    return document.rstrip() + "\n\n" + block + "\n"


def main() -> None:
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
    args = ap.parse_args()
    if args.write_vectors:
        print(build_vectors(args.data / "train.jsonl", "chars", args.write_vectors, dim=128))
        return
    names = list(dict.fromkeys(n for r in args.recipes for n in GROUPS.get(r, [r])))
    unknown = [n for n in names if n not in RECIPES and n not in BASELINES]
    if unknown:
        ap.error(f"unknown recipes {unknown}; known: {', '.join([*RECIPES, *BASELINES])}")
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="kw-csl-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    docs = read_jsonl(args.data / "valid.jsonl")

    trained = [n for n in names if n in RECIPES]
    for tokenizer, vectors in dict.fromkeys(RECIPES[n][1:3] for n in trained):
        prepare(work, tokenizer, vectors, args.data)
    threads = max(1, (os.cpu_count() or 1) // args.parallel) if args.parallel > 1 else None
    jobs = [(n, s) for n in trained for s in args.seeds]
    done, failed = {}, []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as pool:
        futures = {job: pool.submit(one_run, *job, work, args.data, docs, threads) for job in jobs}
        for job, future in futures.items():
            try:
                done[job] = future.result()
            except Exception as err:
                failed.append(job)
                print(f"{job[0]} seed {job[1]} failed: {str(err)[-2000:]}", file=sys.stderr, flush=True)
    if failed:
        sys.exit(f"{len(failed)} run(s) failed: {failed}")
    baselines = jieba_baselines(docs) if any(n in BASELINES for n in names) else {}
    results = {n: [baselines[n]] if n in BASELINES else [done[(n, s)] for s in args.seeds] for n in names}
    seeds = {n: "—" if n in BASELINES else str(len(args.seeds)) for n in names}

    import jieba
    import torch

    machine = (f"{platform.machine()}, {os.cpu_count()} CPU cores, "
               f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'}, "
               f"torch {torch.__version__}, jieba {jieba.__version__}")  # fmt: skip
    cmd = " ".join(["python benchmarks/csl.py", "--recipes", *args.recipes, "--seeds", *map(str, args.seeds)]
                   + (["--parallel", str(args.parallel)] if args.parallel > 1 else []))  # fmt: skip
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
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine}; `{cmd}`.",
        "",
        "csl-kg has no test split here (the CSL task's test split is held out elsewhere), so the recipe",
        "was chosen on this valid split AND is reported on it: its figures are optimistic.",
        "Recipes: fitted on train.jsonl (800 documents), early stop and best checkpoint on valid; the best",
        "checkpoint tags valid.jsonl's raw text (`predict --ckpt_path best`), phrases ranked by their score.",
        "jieba rows: `TFIDF().extract_tags(text, topK=10)` and `TextRank().textrank(text, topK=10)`,",
        "ranked in their own order, measured in the same run.",
        "F1@k: micro F1 of the top k unique phrases (`benchmarks/keyphrase_scores.score_ranked`, lowercased,",
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
            for n in trained
        ),  # fmt: skip
        "",
    ]
    with atomic_write(args.out, "w") as fh:  # a reader sees the old table or the new one
        fh.write("\n".join(text))
    print("\n".join(text))
    summary = args.summary or (ROOT / "benchmarks" / "results" / "accuracy.md" if args.out == DEFAULT_OUT else None)
    if summary:
        body = ["## Chinese keywords (csl-kg valid split)", "", *text[2:4],
                "Every column is explained in [csl.md](csl.md), which this table is copied from by the same run.",
                "", *table]  # fmt: skip
        old = summary.read_text(encoding="utf-8") if summary.is_file() else ""
        with atomic_write(summary, "w") as fh:
            fh.write(with_section(old, "\n".join(body)))


if __name__ == "__main__":
    main()
