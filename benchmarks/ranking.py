"""A document's keyphrases: occurrence ranking vs document-level rankings, beside YAKE.

    python -m benchmarks.ranking --ckpt demo/runs/version_0/checkpoints/best-*.ckpt

For each corpus (Inspec valid and test, SemEval-2017 dev and test; CoNLL, gold = each
document's unique present keyphrases), the checkpoint's records for the raw texts are ranked
in several ways and scored with ``benchmarks/scoring.py`` (F1@5/@10/@M, Porter-stemmed):

- occurrences: the tagger's occurrences by their own score, made unique (the ranking before
  the document level existed);
- the unique phrases of ``scoring/keyphrases.py`` scored by the sum, the max or the mean of
  their occurrences' scores, by the mean times log(1 + count), and by the sum times
  (1.5 - first position): the last one is ``rank_score``, the hand rule, the records' ``ranked``
  in checkpoints without a learned phrase ranker;
- the learned phrase ranker (``scoring/phrase_ranker.py``): on a validation corpus 2-fold cross-fitted (each
  half ranked by a ranker fitted on the other half, as a fit chooses it); on a test corpus fitted
  on each validation corpus, its own genre's and the other's (the transfer check of the ranker);
  and the checkpoint's own ranker when it has a learned one (fitted on its fit's validation split).
  (Rankers read ``rarity`` two releases before: results/ranking.md of build 40b0e65 has the rows
  that show why it was dropped; this release fits no such ranker.)
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

from benchmarks.common import CORPORA, RESULTS, TESTS, VALIDATION, command, header, shown, write_results
from benchmarks.corpora import raw_texts
from benchmarks.gold import read_conll_gold
from benchmarks.scoring import score_ranked
from keyword_lightning.inference.extractor import KeywordExtractor
from keyword_lightning.scoring.keyphrases import (
    HAND,
    features,
    occurrences,
    phrase_key,
    rank_occurrences,
    rank_record,
)
from keyword_lightning.scoring.phrase_ranker import PhraseRanker, TaggedDocument

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


def documents(records: list[dict], gold: list[list[str]], extractor: KeywordExtractor) -> list[TaggedDocument]:
    """Records as a phrase ranker's training documents: their tagged phrases, length and gold keys."""
    out = []
    for record, phrases in zip(records, gold):
        keys = [phrase_key(p.split()) for p in phrases]
        out.append(TaggedDocument(*occurrences(record), len(record["tokens"]), keys))
    return out


def ranked(records: list[dict], ranker) -> list[list[tuple[str, float]]]:
    """``(phrase, score)`` lists of each record's ``ranked`` by ``ranker``."""
    return [[(k["text"], k["score"]) for k in rank_record(r, ranker)] for r in records]


def cross_fitted(records: list[dict], docs: list[TaggedDocument], lowercase: bool) -> list[list[tuple[str, float]]]:
    """Each half of the records ranked by a ranker fitted on the other half (``phrase_ranker.choose``'s halves)."""
    out: list = [None] * len(records)
    for held in (0, 1):
        ranker = PhraseRanker.fit(docs[1 - held :: 2], lowercase)
        for i in range(held, len(records), 2):
            out[i] = ranked([records[i]], ranker)[0]
    return out


def rankings(records: list[dict], learned: dict) -> dict[str, list[list[tuple[str, float]]]]:
    """Each way of ranking, per document: ``(phrase, score)`` lists for ``score_ranked``; ``learned`` added last."""
    out = {"occurrences (before)": [[(p["text"], p["score"]) for p in r["keyphrases"]] for r in records]}
    unique = [unique_phrases(r) for r in records]
    for name, fn in SCORES.items():
        out[f"document: {name}"] = [[(text, fn(f)) for text, f in doc] for doc in unique]
    out["document: sum x (1.5 - first) (hand rule)"] = ranked(records, HAND)
    return {**out, **learned}


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
        header(command("ranking", argv if argv is not None else sys.argv[1:])),
        f"Checkpoint `{shown(args.ckpt)}`. F1@k against each document's unique present keyphrases, Porter-stemmed,",
        "micro over documents (`benchmarks/scoring.py`). Raw texts: the CoNLL tokens joined by spaces.",
        "",
        "| corpus | ranking | F1@5 | F1@10 | F1@M |",
        "|---|---|---:|---:|---:|",
    ]
    fitted_on: dict[str, list[TaggedDocument]] = {}  # each corpus's documents, for the ranker of its test corpus
    for corpus, path in CORPORA.items():
        tokens, gold = read_conll_gold(path)
        records = extractor.predict(raw_texts(tokens)[0])
        docs = fitted_on[corpus] = documents(records, gold, extractor)
        learned = {}
        if corpus in TESTS:
            for fit_on in VALIDATION:
                ranker = PhraseRanker.fit(fitted_on[fit_on], extractor.lowercase)
                learned[f"document: learned, fitted on {fit_on}"] = ranked(records, ranker)
        else:
            learned["document: learned, 2-fold cross-fitted"] = cross_fitted(records, docs, extractor.lowercase)
        if isinstance(extractor.ranker, PhraseRanker):
            learned["document: the checkpoint's learned phrase ranker (`ranked`)"] = ranked(records, extractor.ranker)
        methods = rankings(records, learned)
        texts = raw_texts(tokens)[0]
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
