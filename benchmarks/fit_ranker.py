"""A checkpoint's ranking fitted on another genre's labelled documents (``keyword-lightning fit-ranker``).

    python -m benchmarks.fit_ranker --ckpt demo/runs/version_0/checkpoints/best-*.ckpt

The checkpoint (by default ``make demo``'s: tagger and scorer from Inspec) is given a ranking fitted
on SemEval-2017 dev (50 paragraphs, CoNLL) by ``keyword-lightning fit-ranker``; both checkpoints then
rank SemEval-2017 test as ``benchmarks/compare.py`` reads and scores it (raw text, F1@5/@10/@M
Porter-stemmed against each document's unique gold keyphrases; strict span F1 of the tagger, which
must not move). Writes ``benchmarks/results/fit-ranker.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.common import CLI, RESULTS, SHARED, command, flags, header, run, shown, write_results
from benchmarks.corpora import read_corpus
from benchmarks.project import run_project
from benchmarks.scoring import score_present, strict_f1


def label(path: Path) -> str:
    """``semeval2017/dev.txt``: a data file by its folder and name."""
    return f"{path.parent.name}/{path.name}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--fit-on", type=Path, default=SHARED / "semeval2017/dev.txt", help="labelled documents")
    ap.add_argument("--corpus", type=Path, default=SHARED / "semeval2017/test.txt", help="the documents to score")
    ap.add_argument("--out", type=Path, default=RESULTS / "fit-ranker.md")
    args = ap.parse_args(argv)
    corpus = read_corpus(args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        refitted = Path(tmp) / "refitted.ckpt"
        options = {"--ckpt_path": args.ckpt.resolve(), "--documents": args.fit_on.resolve(), "--output": refitted}
        said = run([*CLI, "fit-ranker", *flags(options)], Path(tmp))
        rows = [
            run_project("as it is", args.ckpt, corpus),
            run_project(f"ranking fitted on {label(args.fit_on)}", refitted, corpus),
        ]
    lines = [
        "# A checkpoint's ranking fitted on another genre's documents",
        "",
        header(command("fit_ranker", argv if argv is not None else sys.argv[1:])),
        f"Checkpoint `{shown(args.ckpt)}`; `keyword-lightning fit-ranker --documents {label(args.fit_on)}` said:",
        f"`{[line for line in said.splitlines() if 'documents;' in line][-1].split('; wrote')[0]}`.",
        f"Scored on `{label(args.corpus)}` ({len(corpus)} documents) as `benchmarks/compare.py` scores it.",
        "",
        "| checkpoint | F1@5 | F1@10 | F1@M | strict span F1 |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        s = score_present(row.predicted, corpus.records(), stem=True)
        strict = f"{strict_f1(row.spans, corpus.spans):.3f}" if row.spans is not None and corpus.spans else "—"
        lines.append(
            f"| {row.name} | " + " | ".join(f"{s[f'all_f1@{k}_stem']:.3f}" for k in ("5", "10", "M")) + f" | {strict} |"
        )
        print(lines[-1], file=sys.stderr)
    write_results(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
