"""The general model shipped in the package, beside YAKE and plain term frequency: F1@10 and documents/s.

    python -m benchmarks.shipped                 # the model in keyword_lightning/pretrained/
    python -m benchmarks.shipped --ckpt C        # another checkpoint, measured the same way

On each genre's dev split (``benchmarks/genres.py``; the shipped ranker was fitted on these dev
documents, so its figures there are in-sample: the cross-fitted ones are in ``generalization.md``)
and on the two test splits: F1@10 of the reference scorer (stemmed, all gold keyphrases) and
documents per second, each tool in this process on one thread, one after the other on the same
texts (the model's loading excluded, one warm-up call). Then the time of one 90,000-character
document through ``keyphrases()``, and of ``keyword-lightning keyphrases README.md`` as a new
process (its start-up included), the median of three. Writes ``benchmarks/results/shipped.md``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import CLI, RESULTS, ROOT, SHARED, command, header, shown, write_results
from benchmarks.corpora import read_corpus
from benchmarks.genres import GENRES, TESTS, baselines, dev, f1_at_10, ranked

LONG = 90_000  # characters: the long document of the target (<= 1 s through keyphrases())


def long_document(chars: int = LONG) -> str:
    """Inspec test abstracts joined into one document of ``chars`` characters (a stand-in for a paper)."""
    texts, size = [], 0
    for text in read_corpus(SHARED / TESTS["Inspec test"]).texts:
        texts.append(text)
        size += len(text) + 2
        if size >= chars:
            break
    return "\n\n".join(texts)[:chars]


def long_seconds(ckpt: Path, threads: int) -> tuple[float, int]:
    """Seconds (the best of three) of ``keyphrases()`` on ``long_document``, and how many keyphrases it gave."""
    from keyword_lightning import KeywordExtractor

    extractor = KeywordExtractor.from_checkpoint(ckpt, threads=threads)
    text = long_document()
    extractor.keyphrases(text[:2000])
    times, found = [], []
    for _ in range(3):
        start = time.perf_counter()
        found = extractor.keyphrases(text)
        times.append(time.perf_counter() - start)
    return min(times), len(found)


def yake_long_seconds() -> float:
    """Seconds (the best of three) of YAKE (n=3, top 20) on ``long_document``, beside the model's."""
    from benchmarks.peers import need

    extractor = need("yake", "yake").KeywordExtractor(lan="en", n=3, top=20)
    text = long_document()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        extractor.extract_keywords(text)
        times.append(time.perf_counter() - start)
    return min(times)


def command_seconds(args: list[str], runs: int = 3) -> float:
    """The median wall time of ``keyword-lightning ARGS`` as a new process, in the repository root."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*CLI, *args], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, default=None, help="default: the shipped model")
    ap.add_argument("--out", type=Path, default=RESULTS / "shipped.md")
    args = ap.parse_args(argv)
    from keyword_lightning.model import shipped

    ckpt = (args.ckpt or shipped.path()).resolve()
    rows = []
    corpora = {f"{g} dev": dev(g) for g in GENRES} | {t: read_corpus(SHARED / f) for t, f in TESTS.items()}
    for name, corpus in corpora.items():
        found, rate = ranked(ckpt, corpus)
        ours = f1_at_10(found, corpus)
        base = baselines(corpus)
        better = max(v for v, _ in base.values())
        (yake, yake_rate), (tf, _) = base["YAKE"], base["TF"]
        chars = sum(map(len, corpus.texts)) / len(corpus)
        rows.append(
            f"| {name} | {len(corpus)} | {chars:,.0f} | **{ours:.3f}** | {yake:.3f} | {tf:.3f} | {ours / better:.2f}x "
            f"| {rate:,.0f} | {yake_rate:,.0f} | {rate / yake_rate:.1f}x |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    seconds, found = long_seconds(ckpt, threads=1)
    yake_seconds = yake_long_seconds()
    readme = command_seconds(["keyphrases", "README.md", *(["--ckpt_path", str(ckpt)] if args.ckpt else [])])
    lines = [
        "# The shipped general model beside YAKE and plain term frequency",
        "",
        header(command("shipped", argv if argv is not None else sys.argv[1:])),
        f"Checkpoint `{shown(ckpt)}`. F1@10 of the reference scorer, Porter-stemmed, against all gold keyphrases;",
        "documents/s on one thread, each tool on the same texts in this process (`benchmarks/shipped.py`). On the dev",
        "splits the model's ranker was fitted on these very documents: see generalization.md for cross-fitted figures.",
        "",
        "| split | docs | chars/doc | model F1@10 | YAKE | TF | model / better of the two | model docs/s | "
        "YAKE docs/s | model / YAKE speed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"One document of {LONG:,} characters (Inspec test abstracts joined, about a full paper) through "
        f"`keyphrases()`: **{seconds:.2f} s** on one thread ({found} keyphrases listed); YAKE on the same text: "
        f"{yake_seconds:.2f} s (best of 3 each).",
        f"`keyword-lightning keyphrases README.md` as a new process, start-up included: **{readme:.1f} s** "
        "(median of 3).",
    ]
    write_results(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
