"""A document's keyphrases: occurrence ranking vs document-level rankings, beside YAKE.

    python benchmarks/ranking.py --ckpt demo/runs/version_0/checkpoints/best-*.ckpt

For each corpus (Inspec valid and test, SemEval-2017 dev and test; CoNLL, gold = each
document's unique present keyphrases), the checkpoint's records for the raw texts are ranked
in several ways and scored with ``benchmarks/scoring.py`` (F1@5/@10/@M, Porter-stemmed):

- occurrences: the tagger's occurrences by their own score, made unique (the ranking before
  the document level existed);
- the unique phrases of ``scoring/keyphrases.py`` scored by the sum, the max or the mean of
  their occurrences' scores, by the mean times log(1 + count), and by the sum times
  (1.5 - first position): the last one is ``rank_score``, the records' ``ranked``;
- YAKE 0.7 (n=3, top 20) on the same texts (needs the ``bench`` extra).

Also the time of ``keyphrases()`` on one long document (Inspec test abstracts joined until
90,000 characters, about a full paper), best of 3 calls, and whether a batch ranks it the same.
Writes ``benchmarks/results/ranking.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/ranking.py`: import this checkout's benchmarks
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, SHARED, command, header, shown, write_results  # noqa: E402
from benchmarks.corpora import raw_texts  # noqa: E402
from benchmarks.gold import read_conll_gold  # noqa: E402
from benchmarks.scoring import score_ranked  # noqa: E402
from keyword_lightning.inference.extractor import KeywordExtractor  # noqa: E402
from keyword_lightning.scoring.keyphrases import features, occurrences, rank_occurrences, rank_record  # noqa: E402

CORPORA = {
    "Inspec valid": SHARED / "inspec/valid.txt",
    "Inspec test": SHARED / "inspec/test.txt",
    "SemEval-2017 dev": SHARED / "semeval2017/dev.txt",
    "SemEval-2017 test": SHARED / "semeval2017/test.txt",
}
SCORES = {
    "sum": lambda f: f["score_sum"],
    "max": lambda f: f["score_max"],
    "mean": lambda f: f["score_mean"],
    "mean x log(1+count)": lambda f: f["score_mean"] * math.log1p(f["count"]),
}


def unique_phrases(record: dict) -> list[tuple[str, dict[str, float]]]:
    """Each unique phrase of a record (as ``rank_record`` groups them): its first text and its features."""
    keys, scores, starts, lengths = occurrences(record)
    n = len(record["tokens"])
    return [
        (record["keyphrases"][m[0]]["text"], features([scores[i] for i in m], [starts[i] for i in m], n, lengths[m[0]]))
        for _, _, m in rank_occurrences(keys, scores, starts, lengths, n)
    ]


def rankings(records: list[dict]) -> dict[str, list[list[tuple[str, float]]]]:
    """Each way of ranking, per document: ``(phrase, score)`` lists for ``score_ranked``."""
    out = {"occurrences (before)": [[(p["text"], p["score"]) for p in r["keyphrases"]] for r in records]}
    unique = [unique_phrases(r) for r in records]
    for name, fn in SCORES.items():
        out[f"document: {name}"] = [[(text, fn(f)) for text, f in doc] for doc in unique]
    out["document: sum x (1.5 - first) (`ranked`)"] = [
        [(k["text"], k["score"]) for k in rank_record(r)] for r in records
    ]
    return out


def long_document(extractor: KeywordExtractor, abstracts: list[str], chars: int = 90_000) -> list[str]:
    """Lines on ``keyphrases()`` of one ``chars``-long document: seconds, and batch equality."""
    text = ""
    for abstract in abstracts:
        if len(text) >= chars:
            break
        text += abstract + "\n\n"
    text = text[:chars]
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        alone = extractor.keyphrases(text)
        seconds.append(time.perf_counter() - start)
    batch = extractor.keyphrases([abstracts[0], text, abstracts[1]])[1]
    same = [k["text"] for k in batch] == [k["text"] for k in alone]
    last = max((end for k in alone for _, end in k["occurrences"]), default=0)
    return [
        f"A {len(text):,}-character document (Inspec test abstracts joined) through `keyphrases()`:",
        f"{min(seconds):.2f} s (best of 3, {extractor.threads} torch thread(s)); {len(alone)} unique keyphrases,",
        f"the last occurrence ending at character {last:,}; the same ranking inside a batch of 3: {same}.",
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--no-yake", action="store_true", help="skip YAKE (no bench extra)")
    ap.add_argument("--out", type=Path, default=RESULTS / "ranking.md")
    args = ap.parse_args(argv)
    extractor = KeywordExtractor.from_checkpoint(args.ckpt)
    lines = [
        "# A document's keyphrases: rankings",
        "",
        header(command("ranking.py", argv if argv is not None else sys.argv[1:])),
        f"Checkpoint `{shown(args.ckpt)}`. F1@k against each document's unique present keyphrases, Porter-stemmed,",
        "micro over documents (`benchmarks/scoring.py`). Raw texts: the CoNLL tokens joined by spaces.",
        "",
        "| corpus | ranking | F1@5 | F1@10 | F1@M |",
        "|---|---|---:|---:|---:|",
    ]
    for corpus, path in CORPORA.items():
        docs, gold = read_conll_gold(path)
        texts, _ = raw_texts(docs)
        methods = rankings(extractor.predict(texts))
        if not args.no_yake:
            from benchmarks.peers import run_yake

            (row,) = run_yake(texts)
            methods[row.name] = row.predicted
        for name, predicted in methods.items():
            s = score_ranked(predicted, gold)
            lines.append(f"| {corpus} | {name} | {s['f1@5_stem']:.3f} | {s['f1@10_stem']:.3f} | {s['f1@M_stem']:.3f} |")
            print(lines[-1], file=sys.stderr)
    lines += ["", *long_document(extractor, raw_texts(read_conll_gold(CORPORA["Inspec test"])[0])[0])]
    write_results(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
