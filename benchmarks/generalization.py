"""The transfer check: train on one corpus, score on the other's test split, both ways, and on both.

    python -m benchmarks.generalization --workdir W        # 3 preparations, 4 fits (~20 min on 2 cores)
    (run again with the same --workdir: the fits already there are rescored, not refitted)

Corpora: Inspec (CS abstracts) and SemEval-2017 (ScienceDirect paragraphs: CS, materials,
physics), from ``../shared/data``. Fits, each of the default recipe (``configs/inspec.yaml``):
on Inspec alone, on SemEval-2017 alone, and ``configs/general.yaml`` on both, as it is and with
SemEval-2017 weighted 2 (the choice of general.yaml's weights: the best union validation F1).
Each best checkpoint reads each test split as raw text (``KeywordExtractor.predict``), the
splits read and scored as ``benchmarks/compare.py`` reads and scores a CoNLL corpus
(``benchmarks/corpora.py``, ``benchmarks/scoring.py``): strict span F1 (the tagger) and F1@10 of
the records' ``ranked`` keyphrases, Porter-stemmed, against each document's unique present
keyphrases (``score_present(stem=True)``; CoNLL gold keyphrases are all present).
Writes ``benchmarks/results/generalization.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import CLI, PREPARE, RESULTS, ROOT, SHARED, command, flags, header, run, write_results
from benchmarks.corpora import read_corpus
from benchmarks.project import run_project
from benchmarks.scoring import score_present, strict_f1

SPLITS = {  # corpus -> (train, val, test) file names in its folder
    "inspec": ("train.txt", "valid.txt", "test.txt"),
    "semeval2017": ("train.txt", "dev.txt", "test.txt"),
}
FITS = {  # name -> (folder, corpora it is trained on, config, more flags)
    "Inspec": ("inspec", ["inspec"], "configs/inspec.yaml", []),
    "SemEval-2017": ("semeval2017", ["semeval2017"], "configs/inspec.yaml", []),
    "both (`configs/general.yaml`)": ("both", ["inspec", "semeval2017"], "configs/general.yaml", []),
    "both, SemEval-2017 weighted 2": (
        "both-semeval-x2",
        ["inspec", "semeval2017"],
        "configs/general.yaml",
        ["--data.corpus_weights", "{semeval2017: 2.0}"],
    ),
}


def prepare(corpora: list[str], out: Path, glove: Path) -> Path:
    """``keyword-lightning-prepare`` of ``corpora`` (their splits joined) into ``out``."""
    if (out / "data_set.pkl").is_file():
        return out / "data_set.pkl"
    files = [[str(SHARED / c / SPLITS[c][i]) for c in corpora] for i in range(3)]
    args = [f"[{', '.join(f)}]" if len(f) > 1 else f[0] for f in files]
    splits = {"--train": args[0], "--val": args[1], "--test": args[2]}
    run([*PREPARE, *flags({"--format": "conll", **splits, "--embeddings": glove, "--out": out})], out.parent)
    return out / "data_set.pkl"


def fit(name: str, work: Path, glove: Path) -> tuple[Path, float]:
    """Fit one of ``FITS`` in ``work/<slug>``; its best checkpoint and the minutes taken."""
    slug, corpora, config, extra = FITS[name]
    folder = work / slug
    folder.mkdir(parents=True, exist_ok=True)
    found = sorted(folder.glob("runs/checkpoints/best-*.ckpt"))
    if found:
        return found[-1], float("nan")
    data = prepare(corpora, work / f"data-{'-'.join(corpora)}", glove)
    start = time.time()
    options = {"--config": ROOT / config, "--data.dataset_file": data, "--trainer.logger": "false"}
    run([*CLI, "fit", *flags(options), "--trainer.default_root_dir", "runs", "--quiet", *extra], folder)
    found = sorted(folder.glob("runs/checkpoints/best-*.ckpt"))
    if not found:
        raise SystemExit(f"{name}: the fit wrote no best-*.ckpt under {folder}")
    return found[-1], (time.time() - start) / 60


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=None, help="where to prepare and fit (default: temp)")
    ap.add_argument("--glove", type=Path, default=SHARED / "glove/glove.6B.50d.top100k.txt.gz")
    ap.add_argument("--out", type=Path, default=RESULTS / "generalization.md")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = (args.workdir or Path(tmp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        tests = {c: read_corpus(SHARED / c / SPLITS[c][2]) for c in SPLITS}
        for name in FITS:
            ckpt, minutes = fit(name, work, args.glove)
            cells = []
            for corpus in tests.values():  # Inspec, then SemEval-2017
                row = run_project(name, ckpt, corpus)
                ranked = score_present(row.predicted, corpus.records(), stem=True)
                cells.append(f"{strict_f1(row.spans, corpus.spans):.3f} | {ranked['present_f1@10_stem']:.3f}")
            took = "—" if minutes != minutes else f"{minutes:.1f}"
            val = ckpt.stem.rsplit("-f1", 1)[-1]  # best-epochEE-f1F.FFFF: the best validation phrase F1
            rows.append(f"| {name} | {val} | {' | '.join(cells)} | {took} |")
            print(rows[-1], file=sys.stderr)
    lines = [
        "# Generalization: train on one corpus, score on another",
        "",
        header(command("generalization", argv if argv is not None else sys.argv[1:])),
        "Test splits read as raw text by each fit's best checkpoint (chosen on its own validation split"
        " or splits); strict span F1 of the tagger, F1@10 of `ranked` (Porter-stemmed, present keyphrases).",
        "",
        "| trained on | val F1 (its own split(s)) | Inspec test strict F1 | Inspec test F1@10 | "
        "SemEval-2017 test strict F1 | SemEval-2017 test F1@10 | fit minutes |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
    write_results(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
